import Type, { type Static } from 'typebox';
import { ENCODED_FORMAT, ENCODED_FORMAT_VERSION } from './version.js';

/**
 * The encoded dataset an agency produces and uploads. It never holds plaintext or the linkage
 * secret: only keyed Bloom filters and random row tokens whose meaning stays at the agency.
 */

/** 16 random bytes, base64url without padding: the only per-row handle the broker ever sees. */
export const RowToken = Type.String({
  pattern: '^[A-Za-z0-9_-]{22}$',
  description: 'Random row token (16 bytes, base64url)',
});

/** Standard padded base64 of a bit string, most significant bit of each byte first (as clkhash). */
export const Base64Bits = Type.String({
  pattern: '^[A-Za-z0-9+/]*={0,2}$',
  maxLength: 8192,
  description: 'Bit string, standard padded base64',
});

export const SchemaRef = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 128, description: 'Encoding schema name, e.g. uk-person' }),
    version: Type.Integer({ minimum: 1 }),
    fingerprint: Type.String({
      pattern: '^sha256:[0-9a-f]{64}$',
      description: 'SHA-256 of the canonical schema (never of the secret)',
    }),
    fields: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
      maxItems: 64,
      description: 'Identifier fields the schema encodes',
    }),
  },
  { additionalProperties: false },
);
export type SchemaRef = Static<typeof SchemaRef>;

/** Keyed blocking token: 16 bytes of a keyed hash, base64url. Equal tokens = equal blocking key values. */
export const BlockToken = Type.String({
  pattern: '^[A-Za-z0-9_-]{22}$',
  description: 'Keyed blocking token (16 bytes, base64url)',
});

export const FieldFilterSpec = Type.Object(
  {
    field: Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' }),
    bits: Type.Integer({ minimum: 8, maximum: 8192, multipleOf: 8 }),
    /** The field tells apart people who share a household (given name, date of birth, a personal identifier). */
    personal: Type.Optional(Type.Literal(true)),
    /**
     * Probability with which the encoder flipped each bit of this filter, independently per record
     * (randomised response): equal values no longer give equal filters. The broker corrects Dice for it.
     */
    flip: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 0.45 })),
  },
  { additionalProperties: false },
);
export type FieldFilterSpec = Static<typeof FieldFilterSpec>;

/**
 * Key check value: 16 bytes of HKDF-SHA256 of the linkage secret under its own info string
 * (`key-check`), base64url. Equal values = the same secret and schema id/version; it reveals
 * nothing else (see agency-client/src/encode/keys.ts).
 */
export const KeyCheck = Type.String({
  pattern: '^[A-Za-z0-9_-]{22}$',
  description:
    'Key check value of the linkage secret (16 bytes of HKDF, base64url): equal for files encoded with ' +
    'the same secret and schema version, revealing nothing about the secret',
});

export const EncodedHeader = Type.Object(
  {
    format: Type.Literal(ENCODED_FORMAT),
    formatVersion: Type.Literal(ENCODED_FORMAT_VERSION),
    schema: SchemaRef,
    /**
     * Optional on the wire only so that files written before key checks still parse (the offline
     * linker reads them) and the broker can refuse them with a precise message: it requires it.
     */
    keyCheck: Type.Optional(KeyCheck),
    clkBits: Type.Integer({
      minimum: 8,
      maximum: 65536,
      multipleOf: 8,
      description: 'Length of every record-level CLK in bits',
    }),
    hardening: Type.Array(Type.String({ maxLength: 64 }), {
      maxItems: 16,
      description: 'Hardening steps applied, in order',
    }),
    fieldFilters: Type.Optional(
      Type.Array(FieldFilterSpec, {
        maxItems: 32,
        description: 'Field-level Bloom filters each record may carry, for per-field scoring',
      }),
    ),
    blockingKeys: Type.Optional(
      Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9+._-]{0,63}$' }), {
        maxItems: 16,
        description: 'Names of the keyed blocking keys each record may carry',
      }),
    ),
    attributes: Type.Optional(
      Type.Array(Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' }), {
        maxItems: 32,
        uniqueItems: true,
        description: 'Names of the attributes records may carry',
      }),
    ),
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
    /** Field name → that field's own Bloom filter; a field left out was missing in the source row. */
    fields: Type.Optional(
      Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' }), Base64Bits, { maxProperties: 32 }),
    ),
    blocks: Type.Optional(Type.Array(BlockToken, { maxItems: 64, uniqueItems: true })),
    /** Non-identifying attributes the policy lets this agency attach (a ward, an offence category). */
    attributes: Type.Optional(
      Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' }), Type.String({ maxLength: 64 }), {
        maxProperties: 32,
      }),
    ),
  },
  { additionalProperties: false },
);
export type EncodedRecord = Static<typeof EncodedRecord>;

export function encodedFileHeader(h: Omit<EncodedHeader, 'format' | 'formatVersion'>): EncodedHeader {
  return { format: ENCODED_FORMAT, formatVersion: ENCODED_FORMAT_VERSION, ...h };
}
