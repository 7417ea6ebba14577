import { createHash } from 'node:crypto';
import { canonicalJson } from '@blindlink/protocol';

/**
 * The audit chain: each entry's hash covers its own fields and the previous entry's hash, so
 * changing, removing or reordering any row breaks every hash after it. Pure: no I/O here.
 */

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditFields {
  seq: number;
  /** ISO 8601 with milliseconds, UTC: the form that round-trips through timestamptz unchanged. */
  at: string;
  actor: string;
  action: string;
  purpose: string | null;
  policyId: string | null;
  policyVersion: number | null;
  policyRule: string | null;
  decision: 'allowed' | 'refused' | 'failed';
  status: number;
  reason: string;
  counts: Record<string, number>;
  releaseDigest: string | null;
}

export interface ChainedAuditEntry extends AuditFields {
  prevHash: string;
  hash: string;
}

export function entryHash(fields: AuditFields, prevHash: string): string {
  return createHash('sha256')
    .update(canonicalJson({ ...fields, prevHash }))
    .digest('hex');
}

export function chain(fields: AuditFields, prevHash: string): ChainedAuditEntry {
  return { ...fields, prevHash, hash: entryHash(fields, prevHash) };
}

export type ChainBreak = { seq: number; problem: string };

/**
 * Checks entries in order. Returns the first break: a gap in sequence numbers, a prev_hash that is
 * not the previous row's hash, or a hash that does not match the row's own fields.
 */
export class ChainVerifier {
  #expectedSeq: number;
  #prevHash: string;
  checked = 0;

  /**
   * By default the chain starts at row 1 after the genesis hash. A partial export starts elsewhere:
   * `start` is then the first row's number and the prev_hash it must carry (a signed checkpoint pins it).
   */
  constructor(start: { seq: number; prevHash: string } = { seq: 1, prevHash: GENESIS_HASH }) {
    this.#expectedSeq = start.seq;
    this.#prevHash = start.prevHash;
  }

  /** Number and hash of the last row accepted (seq one less than the start, and its hash, before any). */
  get head(): { seq: number; hash: string } {
    return { seq: this.#expectedSeq - 1, hash: this.#prevHash };
  }

  next(e: ChainedAuditEntry): ChainBreak | null {
    if (e.seq !== this.#expectedSeq) {
      return {
        seq: e.seq,
        problem: `expected row ${this.#expectedSeq} next, found ${e.seq}: rows are missing or reordered`,
      };
    }
    if (e.prevHash !== this.#prevHash) {
      return { seq: e.seq, problem: 'prev_hash does not match the hash of the row before it' };
    }
    const { prevHash, hash, ...fields } = e;
    if (entryHash(fields, prevHash) !== hash) {
      return { seq: e.seq, problem: 'row content does not match its hash: the row was altered' };
    }
    this.#expectedSeq = e.seq + 1;
    this.#prevHash = hash;
    this.checked++;
    return null;
  }
}

/** Digest of what a release handed out, recorded in the audit row (not the content itself). */
export function releaseDigest(payload: unknown): string {
  return 'sha256:' + createHash('sha256').update(canonicalJson(payload)).digest('hex');
}
