/** blindlink's own encoding (docs/encoding.md). */
export {
  encodeCsv,
  InputError,
  type EncodeOptions,
  type ProgressInfo,
  type EncodeSummary,
  type RejectedRow,
} from './command.js';
export {
  BUILT_IN_SCHEMAS,
  effectiveSchema,
  ENCODER_VERSION,
  hardenedBits,
  hardeningNames,
  loadEncodingSchema,
  parseEncodingSchema,
  SchemaError,
  schemaFingerprint,
  SCHEMA_FORMAT,
  SCHEMA_FORMAT_VERSION,
  UK_PERSON,
  UK_PERSON_SALTED,
  UK_PERSON_UNHARDENED,
  flipProbability,
  type BlockingKeySpec,
  type EncodingSchema,
  type FieldSpec,
  type HardeningSpec,
  type KeyPart,
  type TokenSpec,
  type Transform,
} from './schema.js';
export { deriveKeys, KEY_CHECK_INFO, keyCheckValue, MIN_SECRET_BYTES, type EncodingKeys } from './keys.js';
export { RecordEncoder, type RecordEncoderSetup, type RowNotes, type RowResult } from './record-encoder.js';
export {
  encodeBatchWith,
  inThreadEncoder,
  workerPoolEncoder,
  type BatchEncoder,
  type BatchOutput,
} from './batch-encoding.js';
export { balance, FilterHardener, FlipNoise, GapTable, keyedPermutation, popcount, xorFold } from './hardening.js';
export { qgrams, tokenize, transformValues } from './tokens.js';
export { soundex } from './soundex.js';
export { BlockTokenCache } from './block-token-cache.js';
