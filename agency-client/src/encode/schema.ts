import { createHash } from 'node:crypto';

/**
 * blindlink's own encoding schema. Versioned: any change that alters encodings is a new version, and
 * the fingerprint (sha256 of the canonical schema) travels with every encoded file so the broker
 * only links files encoded alike. The secret is never part of the schema or the fingerprint.
 */
export type FieldName = 'given_name' | 'surname' | 'dob' | 'sex' | 'address' | 'postcode' | 'nhs_number';

export interface FieldSpec {
  name: FieldName;
  /** q-gram length; 0 means the whole normalised value is one token. */
  q: number;
  /** Bits set per token in the record-level CLK. */
  bitsPerToken: number;
}

export interface EncodingSchema {
  id: string;
  version: number;
  clkBits: number;
  fields: FieldSpec[];
}

export const UK_PERSON: EncodingSchema = {
  id: 'uk-person',
  version: 1,
  clkBits: 1024,
  // Bits per token keep a typical record's filter about a quarter full: a fuller filter makes
  // unrelated records look alike (two random half-full filters already score Dice 0.5).
  fields: [
    { name: 'given_name', q: 2, bitsPerToken: 10 },
    { name: 'surname', q: 2, bitsPerToken: 10 },
    { name: 'dob', q: 1, bitsPerToken: 8 },
    { name: 'sex', q: 0, bitsPerToken: 4 },
    { name: 'address', q: 2, bitsPerToken: 3 },
    { name: 'postcode', q: 2, bitsPerToken: 6 },
    { name: 'nhs_number', q: 0, bitsPerToken: 20 },
  ],
};

export const BUILT_IN_SCHEMAS: Record<string, EncodingSchema> = { 'uk-person': UK_PERSON };

function canonical(v: unknown): string {
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  if (v && typeof v === 'object') {
    return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + canonical((v as Record<string, unknown>)[k])).join(',') + '}';
  }
  return JSON.stringify(v);
}

/** Fingerprint of the schema restricted to the fields actually present in the input. */
export function schemaFingerprint(schema: EncodingSchema, present: FieldName[]): string {
  const fields = schema.fields.filter((f) => present.includes(f.name));
  return 'sha256:' + createHash('sha256').update(canonical({ ...schema, fields })).digest('hex');
}
