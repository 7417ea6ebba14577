/**
 * Per-purpose pseudonyms of entity (and household) ids.
 *
 * An entity id is internal to the broker. What leaves it under a purpose is HMAC-SHA256 of the id
 * under a key derived for that purpose (and optionally that recipient) from the broker's master key
 * with HKDF. Without the keys, pseudonyms released under two purposes cannot be joined: each is a
 * pseudorandom function of the id under an independent key. With the same master key they are
 * stable across runs, because entity ids are. The kind ('entity' / 'household') is part of the MAC
 * input, so a household pseudonym can never equal a person pseudonym.
 */
import { createHmac, hkdfSync } from 'node:crypto';

/** Domain separation for the key derivation; bump the version to rotate every pseudonym at once. */
const HKDF_SALT = Buffer.from('blindlink/pseudonym-key/v1', 'utf8');
const KEY_BYTES = 32;
/** 128 bits: collisions are negligible (birthday bound ~2^64) and values are 22 characters. */
export const DEFAULT_PSEUDONYM_BYTES = 16;

export type PseudonymKind = 'entity' | 'household';

/** Length-prefixed fields, so ("ab", "c") and ("a", "bc") can never derive the same key. */
function encodeInfo(fields: readonly string[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of fields) {
    const b = Buffer.from(f, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    parts.push(len, b);
  }
  return Buffer.concat(parts);
}

function checkName(what: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0) throw new RangeError(`${what} must be a non-empty string`);
}

/** The key for one purpose: HKDF-SHA256(master, salt, info = "purpose" ‖ purpose). */
export function derivePurposeKey(masterKey: Uint8Array, purpose: string): Buffer {
  if (masterKey.length < 32) throw new RangeError('the master key must hold at least 32 bytes');
  checkName('purpose', purpose);
  return Buffer.from(hkdfSync('sha256', masterKey, HKDF_SALT, encodeInfo(['purpose', purpose]), KEY_BYTES));
}

/**
 * The key for one recipient under a purpose, derived from the purpose key, so that two recipients
 * of the same purpose (e.g. two lead workers' teams) cannot pool what they were given either.
 */
export function deriveRecipientKey(purposeKey: Uint8Array, recipient: string): Buffer {
  if (purposeKey.length < 32) throw new RangeError('the purpose key must hold at least 32 bytes');
  checkName('recipient', recipient);
  return Buffer.from(hkdfSync('sha256', purposeKey, HKDF_SALT, encodeInfo(['recipient', recipient]), KEY_BYTES));
}

export interface PseudonymOptions {
  /** Which kind of id this is; default 'entity'. */
  kind?: PseudonymKind;
  /** Output length in bytes before base64url, 16..32; default 16. */
  bytes?: number;
}

function mac(key: Uint8Array, id: string, kind: PseudonymKind, bytes: number): string {
  if (!Number.isInteger(bytes) || bytes < 16 || bytes > 32)
    throw new RangeError('pseudonym length must be 16..32 bytes');
  checkName('id', id);
  return createHmac('sha256', key)
    .update(encodeInfo([kind, id]))
    .digest()
    .subarray(0, bytes)
    .toString('base64url');
}

/**
 * The pseudonym of an id under a purpose key (from derivePurposeKey), optionally for one recipient.
 * For many ids, use pseudonymiser: it derives the recipient key once.
 */
export function pseudonym(
  entityId: string,
  purposeKey: Uint8Array,
  recipient?: string,
  options: PseudonymOptions = {},
): string {
  const key = recipient === undefined ? purposeKey : deriveRecipientKey(purposeKey, recipient);
  return mac(key, entityId, options.kind ?? 'entity', options.bytes ?? DEFAULT_PSEUDONYM_BYTES);
}

/** A function mapping ids to pseudonyms for one purpose (and recipient), keys derived once. */
export function pseudonymiser(
  masterKey: Uint8Array,
  purpose: string,
  options: PseudonymOptions & { recipient?: string } = {},
): (id: string) => string {
  const purposeKey = derivePurposeKey(masterKey, purpose);
  const key = options.recipient === undefined ? purposeKey : deriveRecipientKey(purposeKey, options.recipient);
  const kind = options.kind ?? 'entity';
  const bytes = options.bytes ?? DEFAULT_PSEUDONYM_BYTES;
  mac(key, 'probe', kind, bytes); // fail on bad options now, not on the first id
  return (id) => mac(key, id, kind, bytes);
}
