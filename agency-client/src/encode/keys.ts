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
  /**
   * Keys the per-record randomised-response noise (flip hardening): 64 bytes, the AES-256 key of the
   * noise stream, then the BLAKE2b key of its per-record nonces.
   */
  flip: Uint8Array;
}

export const MIN_SECRET_BYTES = 16;

/** HKDF-SHA256 of the secret, salt `blindlink/<schema id>/v<version>`, with one info string per use. */
function deriver(
  secret: Uint8Array,
  schema: Pick<EncodingSchema, 'id' | 'version'>,
): (info: string, bytes?: number) => Uint8Array {
  if (secret.length < MIN_SECRET_BYTES)
    throw new Error(`the linkage secret is shorter than ${MIN_SECRET_BYTES} bytes: use a long random secret`);
  const salt = Buffer.from(`blindlink/${schema.id}/v${schema.version}`, 'utf8');
  return (info, bytes = 32) => new Uint8Array(hkdfSync('sha256', secret, salt, Buffer.from(info, 'utf8'), bytes));
}

export function deriveKeys(
  secret: Uint8Array,
  schema: Pick<EncodingSchema, 'id' | 'version' | 'fields'>,
): EncodingKeys {
  const derive = deriver(secret, schema);
  const token = new Map<string, Uint8Array>();
  for (const f of schema.fields) token.set(f.name, derive(`token:${f.name}`));
  return {
    token,
    block: derive('block'),
    permutation: (target) => derive(`permute:${target}`),
    flip: derive('flip-stream', 64),
  };
}

/** HKDF info string of the key check value; no other use may take it. */
export const KEY_CHECK_INFO = 'key-check';

/**
 * The key check value written to the encoded file's header (16 bytes, base64url), so the broker can
 * tell that two agencies encoded with different secrets before it links them into nonsense.
 *
 * Why it is safe to publish: HKDF outputs under distinct info strings are independent
 * pseudo-random values, so this value says nothing about the token, blocking or permutation keys,
 * and cannot be turned back into the secret. Like any keyed output (a blocking token too) it lets
 * whoever holds it test a guessed secret, which is why the secret must be long and random, never a
 * pass phrase. The salt makes it per schema id/version, as every other key.
 */
export function keyCheckValue(secret: Uint8Array, schema: Pick<EncodingSchema, 'id' | 'version'>): string {
  return Buffer.from(deriver(secret, schema)(KEY_CHECK_INFO, 16)).toString('base64url');
}
