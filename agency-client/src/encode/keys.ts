import { hkdfSync } from 'node:crypto';
import type { EncodingSchema } from './schema.js';

/**
 * One 32-byte key per field, derived with HKDF-SHA256 from the agencies' shared secret. The schema id
 * and version are the salt, so a schema change never reuses a key under a new meaning.
 */
export function deriveFieldKeys(secret: Uint8Array, schema: EncodingSchema): Map<string, Uint8Array> {
  if (secret.length < 16) throw new Error('the linkage secret is shorter than 16 bytes: use a long random secret');
  const salt = Buffer.from(`blindlink/${schema.id}/v${schema.version}`, 'utf8');
  const keys = new Map<string, Uint8Array>();
  for (const f of schema.fields) {
    keys.set(f.name, new Uint8Array(hkdfSync('sha256', secret, salt, Buffer.from(`field:${f.name}`, 'utf8'), 32)));
  }
  return keys;
}
