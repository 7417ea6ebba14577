import { createHash, createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import { Compile } from 'typebox/compile';
import { AUDIT_CHECKPOINT_CONTEXT, AUDIT_RECEIPT_CONTEXT, AuditReceipt } from './audit.js';
import { canonicalJson } from './canonical-json.js';

/**
 * Encoding and offline verification of audit receipts (the format is in audit.ts). Verification
 * needs only the broker's Ed25519 public key and Node's own crypto, so an agency, an IG lead's
 * laptop or any other tool can check a receipt without the broker's code or libsodium. The bytes of a
 * signed checkpoint are built here too: both are a signed chain head, and both are checked offline.
 */

const checkReceipt = Compile(AuditReceipt);

/** The four fields of a signed chain head, common to receipts and checkpoints. */
export type SignedHead = Pick<AuditReceipt, 'seq' | 'hash' | 'at' | 'brokerKeyId'>;

/** context ‖ "\n" ‖ canonical JSON of the four fields (and nothing else the caller's object holds). */
function headMessage(context: string, r: SignedHead): Buffer {
  return Buffer.from(
    `${context}\n${canonicalJson({ at: r.at, brokerKeyId: r.brokerKeyId, hash: r.hash, seq: r.seq })}`,
    'utf8',
  );
}

/** The exact bytes the broker signs for an audit receipt. */
export function auditReceiptMessage(r: SignedHead): Buffer {
  return headMessage(AUDIT_RECEIPT_CONTEXT, r);
}

/** The exact bytes the broker signs for an audit checkpoint. */
export function auditCheckpointMessage(r: SignedHead): Buffer {
  return headMessage(AUDIT_CHECKPOINT_CONTEXT, r);
}

/** `ed25519:` + the first 16 hex digits of the SHA-256 of the raw public key (as the broker names its key). */
export function auditKeyId(publicKey: Uint8Array): string {
  return 'ed25519:' + createHash('sha256').update(publicKey).digest('hex').slice(0, 16);
}

/** Header value: base64url of the receipt's JSON (no padding), one token, safe in any header. */
export function encodeAuditReceipt(r: AuditReceipt): string {
  return Buffer.from(JSON.stringify(r), 'utf8').toString('base64url');
}

export type ReceiptParse = { ok: true; receipt: AuditReceipt } | { ok: false; reason: string };

/** Parses and shape-checks a receipt from its JSON value (a receipts file line, say). */
export function parseAuditReceipt(value: unknown): ReceiptParse {
  if (checkReceipt.Check(value)) return { ok: true, receipt: value };
  for (const e of checkReceipt.Errors(value))
    return { ok: false, reason: `not an audit receipt: ${e.instancePath || '(value)'} ${e.message}` };
  return { ok: false, reason: 'not an audit receipt' };
}

/** Parses a header value; never throws. */
export function decodeAuditReceipt(header: string): ReceiptParse {
  if (!/^[A-Za-z0-9_-]{1,2048}$/.test(header))
    return { ok: false, reason: 'the audit receipt header is not base64url' };
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'the audit receipt header is not base64url JSON' };
  }
  return parseAuditReceipt(value);
}

/** Importing a key costs more than checking a signature; an agency or a verifier uses one key throughout. */
const keyObjects = new Map<string, KeyObject>();
function keyObject(pk: Buffer): KeyObject {
  const x = pk.toString('base64url');
  let k = keyObjects.get(x);
  if (!k) {
    if (keyObjects.size > 16) keyObjects.clear();
    k = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
    keyObjects.set(x, k);
  }
  return k;
}

export type ReceiptCheck = { ok: true } | { ok: false; reason: string };

/** Offline check of a receipt's signature with the broker's public key (raw 32 bytes or base64). Never throws. */
export function verifyAuditReceipt(r: AuditReceipt, brokerPublicKey: Uint8Array | string): ReceiptCheck {
  const shape = parseAuditReceipt(r);
  if (!shape.ok) return shape;
  const pk =
    typeof brokerPublicKey === 'string' ? Buffer.from(brokerPublicKey.trim(), 'base64') : Buffer.from(brokerPublicKey);
  if (pk.length !== 32) return { ok: false, reason: 'the broker public key must be 32 bytes (Ed25519)' };
  const keyId = auditKeyId(pk);
  if (r.brokerKeyId !== keyId)
    return { ok: false, reason: `the receipt names broker key ${r.brokerKeyId}, not ${keyId}` };
  const good = verifySignature(null, auditReceiptMessage(r), keyObject(pk), Buffer.from(r.signature, 'base64'));
  return good
    ? { ok: true }
    : { ok: false, reason: 'the signature does not verify with the broker key: the receipt is forged or altered' };
}
