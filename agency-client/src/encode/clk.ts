import sodium from 'libsodium-wrappers';
import type { EncodingSchema, FieldSpec } from './schema.js';

/**
 * Record-level CLK: every field's tokens hashed into one Bloom filter with keyed BLAKE2b, so without
 * the secret nobody can test a guessed name against an encoding. Pure given a ready libsodium.
 */

export async function sodiumReady(): Promise<void> {
  await sodium.ready;
}

export function tokens(value: string, q: number): string[] {
  if (q === 0) return [value];
  const cps = [...value];
  if (q === 1) return cps.map((c, i) => `${i + 1}:${c}`);
  const padded = [...' '.repeat(q - 1), ...cps, ...' '.repeat(q - 1)];
  const out: string[] = [];
  for (let i = 0; i + q <= padded.length; i++) out.push(padded.slice(i, i + q).join(''));
  return out;
}

function setBits(filter: Uint8Array, bits: number, key: Uint8Array, token: string, k: number): void {
  // One 64-byte digest gives 32 16-bit positions; ask for more digests (by prefixing a counter) if k > 32.
  for (let done = 0, round = 0; done < k; round++) {
    const digest = sodium.crypto_generichash(64, round === 0 ? token : `${round}|${token}`, key);
    for (let i = 0; i < 32 && done < k; i++, done++) {
      const pos = (digest[2 * i]! | (digest[2 * i + 1]! << 8)) % bits;
      filter[pos >>> 3]! |= 0x80 >>> (pos & 7);
    }
  }
}

export function encodeRecord(schema: EncodingSchema, keys: Map<string, Uint8Array>, values: Map<string, string>): Uint8Array {
  const filter = new Uint8Array(schema.clkBits / 8);
  for (const f of schema.fields as FieldSpec[]) {
    const v = values.get(f.name);
    if (v === undefined) continue;
    const key = keys.get(f.name)!;
    for (const t of tokens(v, f.q)) setBits(filter, schema.clkBits, key, t, f.bitsPerToken);
  }
  return filter;
}
