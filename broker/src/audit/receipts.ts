import { auditReceiptMessage, encodeAuditReceipt, type AuditReceipt } from '@blindlink/protocol';
import type { BrokerKeyring } from '../trust/keys.js';

/**
 * Audit receipts (format: protocol/src/audit.ts): the broker signs the head of its chain as it
 * stood just after appending one request's row. Signed after the row is committed, so a receipt never
 * names a row that was rolled back; and outside the append lock, so signing adds nothing to the
 * section every request queues for.
 */
export function signAuditReceipt(
  keys: BrokerKeyring,
  head: { seq: number; hash: string },
  at = new Date(),
): AuditReceipt {
  const body = { seq: head.seq, hash: head.hash, at: at.toISOString(), brokerKeyId: keys.keyId };
  return { ...body, signature: Buffer.from(keys.sign(new Uint8Array(auditReceiptMessage(body)))).toString('base64') };
}

/** The header value for one response. */
export function auditHeadHeader(keys: BrokerKeyring, head: { seq: number; hash: string }): string {
  return encodeAuditReceipt(signAuditReceipt(keys, head));
}
