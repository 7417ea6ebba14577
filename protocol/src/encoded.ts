import Type, { type Static } from 'typebox';
import { ENCODED_FORMAT, ENCODED_FORMAT_VERSION } from './version.js';

/**
 * The encoded dataset an agency produces and uploads. It never holds plaintext or the linkage
 * secret: only keyed Bloom filters and random row tokens whose meaning stays at the agency.
 */

/** 16 random bytes, base64url without padding: the only per-row handle the broker ever sees. */
export const RowToken = Type.String({ pattern: '^[A-Za-z0-9_-]{22}$', description: 'Random row token (16 bytes, base64url)' });

/** Standard padded base64 of a bit string, most significant bit of each byte first (as clkhash). */
export const Base64Bits = Type.String({
  pattern: '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$',
  maxLength: 8192,
  description: 'Bit string, standard padded base64',
});

export const SchemaRef = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 128, description: 'Encoding schema name, e.g. uk-person' }),
    version: Type.Integer({ minimum: 1 }),
    fingerprint: Type.String({ pattern: '^sha256:[0-9a-f]{64}$', description: 'SHA-256 of the canonical schema (never of the secret)' }),
    fields: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 64, description: 'Identifier fields the schema encodes' }),
  },
  { additionalProperties: false },
);
export type SchemaRef = Static<typeof SchemaRef>;

export const EncodedHeader = Type.Object(
  {
    format: Type.Literal(ENCODED_FORMAT),
    formatVersion: Type.Literal(ENCODED_FORMAT_VERSION),
    schema: SchemaRef,
    clkBits: Type.Integer({ minimum: 8, maximum: 65536, multipleOf: 8, description: 'Length of every record-level CLK in bits' }),
    hardening: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 16, description: 'Hardening steps applied, in order' }),
    recordCount: Type.Integer({ minimum: 0 }),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type EncodedHeader = Static<typeof EncodedHeader>;

export const EncodedRecord = Type.Object(
  {
    token: RowToken,
    clk: Base64Bits,
  },
  { additionalProperties: false },
);
export type EncodedRecord = Static<typeof EncodedRecord>;

export function encodedFileHeader(h: Omit<EncodedHeader, 'format' | 'formatVersion'>): EncodedHeader {
  return { format: ENCODED_FORMAT, formatVersion: ENCODED_FORMAT_VERSION, ...h };
}
