import { hkdfSync } from 'node:crypto';
import type { EncodingSchema } from './schema.js';

/**
 * Every key the encoder uses, derived with HKDF-SHA256 from the agencies' shared secret. The schema
 * id and version are the HKDF salt, so a new schema version never reuses a key under a new meaning;
 * the info string separates uses, so knowing one derived key (say, by a bug that logged it) reveals
 * nothing about the others or the secret.
 */
export interface EncodingKeys {
  /** Per field: keys BLAKE2b for that field's tokens (CLK and field filter positions). */
  token: Map<string, Uint8Array>;
  /** Keys BLAKE2b for the blocking tokens. */
  block: Uint8Array;
  /** Seed of the balancing permutation of one filter ("clk" or "field:NAME"). */
  permutation(target: string): Uint8Array;
  /** Keys the per-record randomised-response noise (flip hardening), from the record id. */
  flip: Uint8Array;
}

export const MIN_SECRET_BYTES = 16;

export function deriveKeys(secret: Uint8Array, schema: Pick<EncodingSchema, 'id' | 'version' | 'fields'>): EncodingKeys {
  if (secret.length < MIN_SECRET_BYTES) throw new Error(`the linkage secret is shorter than ${MIN_SECRET_BYTES} bytes: use a long random secret`);
  const salt = Buffer.from(`blindlink/${schema.id}/v${schema.version}`, 'utf8');
  const derive = (info: string): Uint8Array => new Uint8Array(hkdfSync('sha256', secret, salt, Buffer.from(info, 'utf8'), 32));
  const token = new Map<string, Uint8Array>();
  for (const f of schema.fields) token.set(f.name, derive(`token:${f.name}`));
  return { token, block: derive('block'), permutation: (target) => derive(`permute:${target}`), flip: derive('flip') };
}
