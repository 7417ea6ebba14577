import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Compile } from 'typebox/compile';
import {
  AUDIT_EXPORT_FORMAT,
  AUDIT_EXPORT_VERSION,
  AuditCheckpoint,
  AuditEntry,
  AuditExportHeader,
  auditKeyId,
} from '@blindlink/protocol';
import { verifyCheckpoint, type SignedCheckpoint } from '../trust/checkpoint.js';
import { decodeBase64Strict } from '../trust/sodium.js';
import { ChainVerifier, type ChainedAuditEntry } from './chain.js';

/**
 * Offline verification of an audit export (see export.ts for the format) with nothing but the
 * broker's Ed25519 public key, obtained independently of the file: the file's own key is only
 * compared with it, never trusted. Checks, line by line:
 *   - the header names that key;
 *   - every row's hash covers its fields and the previous row's hash, seq numbers run without gaps;
 *   - every checkpoint comes straight after the row it names, signs that row's hash, and verifies;
 *   - the last row is covered by a checkpoint (else the unsigned tail could have been cut or forged)
 *     and is the row the header says the export runs to.
 * Reports the first line and row that fail.
 */

export type ExportVerdict =
  | {
      ok: true;
      rows: number;
      fromSeq: number;
      toSeq: number;
      checkpoints: number;
      lastCheckpoint: SignedCheckpoint;
      brokerKeyId: string;
    }
  | { ok: false; line: number | null; seq: number | null; problem: string; rowsVerified: number };

const checkHeader = Compile(AuditExportHeader);
const checkEntry = Compile(AuditEntry);
const checkCheckpoint = Compile(AuditCheckpoint);

function firstError(
  check: { Errors(v: unknown): Iterable<{ instancePath: string; message: string }> },
  value: unknown,
): string {
  for (const e of check.Errors(value)) return `${e.instancePath || '(line)'} ${e.message}`;
  return 'invalid';
}

export class ExportVerifier {
  readonly #key: Uint8Array;
  readonly #keyId: string;
  #lineNo = 0;
  #header: AuditExportHeader | null = null;
  #chain: ChainVerifier | null = null;
  #last: ChainedAuditEntry | null = null;
  #lastCheckpoint: SignedCheckpoint | null = null;
  /** A partial export's first row is trusted only once its checkpoint follows it. */
  #anchorPending = false;
  #checkpoints = 0;
  #failed: ExportVerdict | null = null;

  readonly #onEntry: ((e: ChainedAuditEntry) => void) | undefined;

  /**
   * `brokerPublicKey`: the broker's Ed25519 signing key, raw or base64 (as GET /v1/broker prints it).
   * `onEntry` sees each row once it has passed the chain check (receipts are matched against them).
   */
  constructor(brokerPublicKey: Uint8Array | string, opts: { onEntry?: (e: ChainedAuditEntry) => void } = {}) {
    this.#onEntry = opts.onEntry;
    const key =
      typeof brokerPublicKey === 'string'
        ? decodeBase64Strict(brokerPublicKey.trim(), 'broker public key')
        : brokerPublicKey;
    if (key.length !== 32)
      throw new Error(`the broker public key must be 32 bytes (Ed25519); this one is ${key.length}`);
    this.#key = key;
    this.#keyId = auditKeyId(key);
  }

  #fail(seq: number | null, problem: string, line: number | null = this.#lineNo): ExportVerdict {
    this.#failed = { ok: false, line, seq, problem, rowsVerified: this.#chain?.checked ?? 0 };
    return this.#failed;
  }

  /** Feed the next line (without its newline). Returns the failure if this line fails, else null. */
  async line(text: string): Promise<ExportVerdict | null> {
    if (this.#failed) return this.#failed;
    this.#lineNo++;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return this.#fail(null, this.#lineNo === 1 ? 'the header is not JSON' : 'not JSON');
    }
    if (this.#lineNo === 1) return this.#onHeader(value);
    const h = this.#header!;
    const obj = (value ?? {}) as Record<string, unknown>;
    const seqOf = typeof obj.seq === 'number' ? obj.seq : null;
    if (obj.type === 'entry') {
      const { type: _type, ...entry } = obj;
      if (!checkEntry.Check(entry)) return this.#fail(seqOf, `not an audit row: ${firstError(checkEntry, entry)}`);
      if (this.#anchorPending)
        return this.#fail(
          this.#last!.seq,
          `a partial export must give the checkpoint of its first row (${this.#last!.seq}) straight after it`,
        );
      if (!this.#chain) {
        // From row 1 the chain starts at the genesis hash; from a later row, at the row's own prev_hash,
        // which its checkpoint (required next) vouches for.
        if (entry.seq !== h.fromSeq)
          return this.#fail(entry.seq, `the export should start at row ${h.fromSeq}, as its header says`);
        this.#chain =
          h.fromSeq === 1 ? new ChainVerifier() : new ChainVerifier({ seq: h.fromSeq, prevHash: entry.prevHash });
        this.#anchorPending = h.fromSeq > 1;
      }
      if (entry.seq > h.toSeq)
        return this.#fail(
          entry.seq,
          `row beyond the end of the export (the header says it runs to row ${h.toSeq}): a row was added`,
        );
      const broken = this.#chain.next(entry);
      if (broken) return this.#fail(broken.seq, broken.problem);
      this.#last = entry;
      this.#onEntry?.(entry);
      return null;
    }
    if (obj.type === 'checkpoint') {
      const { type: _type, ...cp } = obj;
      if (!checkCheckpoint.Check(cp)) return this.#fail(seqOf, `not a checkpoint: ${firstError(checkCheckpoint, cp)}`);
      const last = this.#last;
      if (!last || cp.seq !== last.seq)
        return this.#fail(cp.seq, `checkpoint for row ${cp.seq} is not straight after that row`);
      if (cp.hash !== last.hash)
        return this.#fail(
          cp.seq,
          "the row's hash is not the one the broker signed: this row or one before it was altered and re-hashed",
        );
      const sig = await verifyCheckpoint(cp, this.#key);
      if (!sig.ok) return this.#fail(cp.seq, `checkpoint does not verify with the broker key: ${sig.reason}`);
      this.#lastCheckpoint = cp;
      this.#anchorPending = false;
      this.#checkpoints++;
      return null;
    }
    return this.#fail(seqOf, `unknown line type ${JSON.stringify(obj.type)}`);
  }

  #onHeader(value: unknown): ExportVerdict | null {
    if (!checkHeader.Check(value)) {
      const v = value as Record<string, unknown> | null;
      if (v?.format !== AUDIT_EXPORT_FORMAT)
        return this.#fail(
          null,
          `not a blindlink audit export (the first line must be its ${AUDIT_EXPORT_FORMAT} header)`,
        );
      if (v.version !== AUDIT_EXPORT_VERSION)
        return this.#fail(
          null,
          `export version ${String(v.version)} is not one this verifier reads (${AUDIT_EXPORT_VERSION})`,
        );
      return this.#fail(null, `bad header: ${firstError(checkHeader, value)}`);
    }
    let fileKey: Uint8Array;
    try {
      fileKey = decodeBase64Strict(value.signingPublicKey, "the header's signingPublicKey");
    } catch (err) {
      return this.#fail(null, (err as Error).message);
    }
    if (!Buffer.from(fileKey).equals(Buffer.from(this.#key)) || value.brokerKeyId !== this.#keyId) {
      return this.#fail(
        null,
        `the export names broker key ${value.brokerKeyId}, not the key you gave (${this.#keyId}): it was ` +
          `not signed by that broker, or you have the wrong key`,
      );
    }
    if (value.toSeq < value.fromSeq)
      return this.#fail(null, `the header's toSeq (${value.toSeq}) is before its fromSeq (${value.fromSeq})`);
    this.#header = value;
    return null;
  }

  /** Call after the last line: the tail checks, then the verdict. */
  end(): ExportVerdict {
    if (this.#failed) return this.#failed;
    const h = this.#header;
    if (!h) return this.#fail(null, 'the file is empty', null);
    const last = this.#last;
    if (!last) return this.#fail(h.fromSeq, 'the export holds no rows', null);
    if (this.#anchorPending)
      return this.#fail(
        last.seq,
        `a partial export must give the checkpoint of its first row (${last.seq}) straight after it`,
        null,
      );
    const covered = this.#lastCheckpoint?.seq ?? h.fromSeq - 1;
    const missing =
      last.seq < h.toSeq
        ? `; and the header says the export runs to row ${h.toSeq}, so rows ${last.seq + 1}–${h.toSeq} are missing`
        : '';
    if (covered < last.seq) {
      return this.#fail(
        covered + 1,
        `rows ${covered + 1}–${last.seq} are not covered by any signed checkpoint: the tail after the ` +
          `last checkpoint could have been cut, rewritten or appended to${missing}`,
        null,
      );
    }
    if (missing)
      return this.#fail(
        last.seq + 1,
        `the file ends at row ${last.seq} but its header says the export runs to row ${h.toSeq}: rows ` +
          `${last.seq + 1}–${h.toSeq} are missing`,
        null,
      );
    return {
      ok: true,
      rows: this.#chain!.checked,
      fromSeq: h.fromSeq,
      toSeq: h.toSeq,
      checkpoints: this.#checkpoints,
      lastCheckpoint: this.#lastCheckpoint!,
      brokerKeyId: this.#keyId,
    };
  }
}

/** Verify export text already in memory (tests, small exports). */
export async function verifyExportText(
  text: string,
  brokerPublicKey: Uint8Array | string,
  opts: { onEntry?: (e: ChainedAuditEntry) => void } = {},
): Promise<ExportVerdict> {
  const v = new ExportVerifier(brokerPublicKey, opts);
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const l of lines) if (await v.line(l.replace(/\r$/, ''))) break;
  return v.end();
}

/** Verify an export file, streaming it line by line (exports can be large). */
export async function verifyExportFile(
  file: string,
  brokerPublicKey: Uint8Array | string,
  opts: { onEntry?: (e: ChainedAuditEntry) => void } = {},
): Promise<ExportVerdict> {
  const v = new ExportVerifier(brokerPublicKey, opts);
  const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  try {
    for await (const l of rl) if (await v.line(l)) break;
  } finally {
    rl.close();
  }
  return v.end();
}

/** One line for a person: what was checked, or the first row that fails. */
export function describeVerdict(v: ExportVerdict): string {
  if (v.ok) {
    return (
      `audit export verified: rows ${v.fromSeq}–${v.toSeq} (${v.rows} rows, ${v.checkpoints} signed ` +
      `checkpoint(s)); the last, on row ${v.lastCheckpoint.seq}, signed at ${v.lastCheckpoint.at} by ` +
      `${v.brokerKeyId}` +
      (v.fromSeq > 1
        ? `; rows before ${v.fromSeq} are vouched for only by the checkpoint on row ${v.fromSeq}, not checked here`
        : '')
    );
  }
  const where = v.seq !== null ? `row ${v.seq}` : 'the header';
  return (
    `audit export FAILS at ${where}${v.line !== null ? ` (line ${v.line})` : ' (end of file)'}: ${v.problem}` +
    ` (${v.rowsVerified} row(s) before it verified)`
  );
}
