import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AUDIT_HEAD_HEADER, decodeAuditReceipt, verifyAuditReceipt, type AuditReceipt } from '@blindlink/protocol';

/**
 * The agency's copy of the broker's audit receipts. Every audited answer carries the broker's
 * signature over its audit chain head including that request's row; we verify it with the broker key
 * pinned at enrolment and append it to `<key-dir>/receipts/<broker host>.jsonl`, one receipt a line.
 * An IG lead collects these files and runs `blindlink-broker audit verify --receipts`: a trail cut
 * back or rewritten after a receipt was issued then fails, even if its own checkpoints verify.
 * Receipts hold no identifiers (a row number, a hash, a time, a key id, a signature).
 */

export const RECEIPTS_DIR = 'receipts';

/** A file name for the broker: its host and port, with anything but [A-Za-z0-9.-] made '_'. */
export function receiptsFileFor(keyDir: string, baseUrl: string): string {
  const host = new URL(baseUrl).host.replace(/[^A-Za-z0-9.-]/g, '_');
  return join(keyDir, RECEIPTS_DIR, `${host}.jsonl`);
}

/** A receipt that failed to verify: the broker (or someone between it and us) is not to be believed. */
export class BadReceiptError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'BadReceiptError';
  }
}

export class ReceiptStore {
  readonly file: string;
  /** The newest receipt this process saw (highest seq). */
  latest: AuditReceipt | null = null;
  /** Answers that carried no receipt (an older broker, or a proxy that strips headers). */
  missing = 0;

  constructor(
    keyDir: string,
    baseUrl: string,
    /** The broker's Ed25519 key (base64) pinned at enrolment; never the one a response offers. */
    readonly brokerKey: string,
  ) {
    this.file = receiptsFileFor(keyDir, baseUrl);
  }

  /**
   * Check and keep the receipt of one answer (any status: refusals are audited too). Throws
   * BadReceiptError if it does not verify; nothing is stored then.
   */
  accept(headers: Record<string, string | string[] | undefined>, status: number): AuditReceipt | null {
    const raw = headers[AUDIT_HEAD_HEADER];
    if (raw === undefined) {
      this.missing++;
      return null;
    }
    const parsed = decodeAuditReceipt(Array.isArray(raw) ? raw.join(',') : raw);
    if (!parsed.ok)
      throw new BadReceiptError(
        status,
        `the broker's audit receipt is malformed (${parsed.reason}); the answer (HTTP ${status}) is not ` +
          `to be trusted: tell your IG lead`,
      );
    const r = parsed.receipt;
    const check = verifyAuditReceipt(r, this.brokerKey);
    if (!check.ok)
      throw new BadReceiptError(
        status,
        `the broker's audit receipt for row ${r.seq} does NOT verify with the broker key pinned at ` +
          `enrolment (${check.reason}); the answer (HTTP ${status}) is not to be trusted: tell your IG lead`,
      );
    mkdirSync(join(this.file, '..'), { recursive: true, mode: 0o700 });
    // One short line per append (O_APPEND): concurrent clients interleave whole lines.
    appendFileSync(this.file, JSON.stringify(r) + '\n', { mode: 0o600 });
    if (!this.latest || r.seq > this.latest.seq) this.latest = r;
    return r;
  }
}
