/**
 * @blindlink/agency-client — runs at an agency; no plaintext identifier leaves it. `normalise/` cleans
 * UK identifiers, `encode/` turns rows into keyed Bloom-filter encodings (blindlink's `uk-person` schema,
 * hardening, one worker pool and one cache) and `clkhash/` into clkhash-compatible CLKs; `crypto/` holds
 * the hashes they use; `identity/` the agency's keys and certificate (every key file, the linkage secret
 * included, read through one owner-only rule in `identity/key-files.ts`); `io/` CSV and encoded files;
 * `upload/` chunked, resumable submissions; `broker-client/` the mutual-TLS client of the broker and its
 * audit receipts; `cli/` the `blindlink-agency` commands by group. It never imports broker code.
 */
export { encodeCsv, InputError, type EncodeOptions, type EncodeSummary } from './encode/command.js';
export { BrokerClient, BrokerError, enrol } from './broker-client/http.js';
export { BadReceiptError, ReceiptStore, receiptsFileFor, RECEIPTS_DIR } from './broker-client/receipts.js';
export { csvField, csvLine } from './io/csv.js';
export { CsvReader, csvRows, type CsvRows } from './io/csv-reader.js';
export { readEncodedFile, readTokenMap } from './io/encoded-file.js';
export { withRecordIds } from './io/row-tokens.js';
export { main as agencyCli } from './cli/index.js';
export {
  uploadEncodedFile,
  defaultUploadKey,
  sealChunk,
  type UploadOptions,
  type UploadResult,
} from './upload/chunked.js';
export { planChunks, readChunks, type ChunkPlan } from './upload/chunks.js';
