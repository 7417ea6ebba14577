/** clkhash-compatible CLK encoding (clkhash 0.18.3, linkage schema v3). */
export {
  parseClkSchema,
  ClkSchemaError,
  type ClkSchema,
  type Feature,
  type HashedFeature,
  type IgnoredFeature,
  type Comparison,
  type Strategy,
  type HashFunction,
  type FeatureFormat,
  type KdfConfig,
  type MissingValue,
  type TextEncoding,
} from './schema.js';
export { hkdf, deriveFeatureKeys, type FeatureKeys } from './keys.js';
export { prepareValue, type ValueOutcome } from './values.js';
export { tokenize, ngramTokens, numericTokens, bitsForToken, TokenError } from './tokens.js';
export { BlakeTokenHasher, DoubleTokenHasher, type TokenHasher } from './token-hashing.js';
export { ValueStore } from './value-store.js';
export { ClkEncoder, ClkRowError, describeIssue, type RowIssue, type ClkEncoderOptions } from './encoder.js';
export { compileStrptime, formatYmd, type ParsedDate, type StrptimeParser } from './strptime.js';
export { pythonStrip, parsePythonInt, parsePythonFloat } from './python-text.js';
export { readCsvRecords, type CsvRecord } from './csv-rows.js';
export {
  encodeBatchWith,
  inThreadEncoder,
  workerPoolEncoder,
  type BatchEncoder,
  type BatchResult,
  type EncoderSetup,
} from './batch-encoding.js';
export { readSecretFile } from '../identity/key-files.js';
export {
  encodeClkhashCommand,
  type EncodeClkhashOptions,
  type EncodeClkhashIo,
  type EncodeClkhashSummary,
} from './command.js';
export { serializeClk } from './serialize.js';
