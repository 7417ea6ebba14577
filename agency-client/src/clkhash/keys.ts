/**
 * Key derivation as clkhash does it: one HKDF (RFC 5869) over the secret producing
 * 2 · (number of features, ignored ones included) · keySize bytes; feature i takes key1 from
 * bytes [2i·ks, (2i+1)·ks) and key2 from the next ks bytes. Implemented with createHmac rather
 * than crypto.hkdfSync because the latter caps `info` at 1024 bytes, which clkhash does not.
 */
import { createHmac } from 'node:crypto';
import type { KdfConfig } from './schema.js';

export interface FeatureKeys {
  key1: Uint8Array;
  key2: Uint8Array;
}

export function hkdf(
  hash: 'SHA256' | 'SHA512',
  ikm: Uint8Array,
  salt: Uint8Array | undefined,
  info: Uint8Array | undefined,
  length: number,
): Uint8Array {
  const alg = hash === 'SHA256' ? 'sha256' : 'sha512';
  const hashLen = hash === 'SHA256' ? 32 : 64;
  if (length > 255 * hashLen) throw new RangeError(`HKDF-${hash} cannot produce ${length} bytes`);
  const prk = createHmac(alg, salt ?? new Uint8Array(hashLen))
    .update(ikm)
    .digest();
  const out = new Uint8Array(length);
  let prev: Uint8Array = new Uint8Array(0);
  for (let i = 1, pos = 0; pos < length; i++) {
    prev = createHmac(alg, prk)
      .update(prev)
      .update(info ?? new Uint8Array(0))
      .update(Uint8Array.of(i))
      .digest();
    out.set(prev.subarray(0, Math.min(hashLen, length - pos)), pos);
    pos += hashLen;
  }
  return out;
}

/** Derives the per-feature key pairs for `featureCount` features (ignored ones included). */
export function deriveFeatureKeys(secret: Uint8Array, kdf: KdfConfig, featureCount: number): FeatureKeys[] {
  const ks = kdf.keySize;
  const material = hkdf(kdf.hash, secret, kdf.salt, kdf.info, 2 * featureCount * ks);
  const keys: FeatureKeys[] = [];
  for (let i = 0; i < featureCount; i++) {
    keys.push({
      key1: material.slice(2 * i * ks, (2 * i + 1) * ks),
      key2: material.slice((2 * i + 1) * ks, (2 * i + 2) * ks),
    });
  }
  return keys;
}
