export { encodeCsv, InputError, type EncodeOptions, type EncodeSummary } from './encode/command.js';
export { BrokerClient, BrokerError, enrol } from './broker-client/http.js';
export { BadReceiptError, ReceiptStore, receiptsFileFor, RECEIPTS_DIR } from './broker-client/receipts.js';
export { csvField, csvLine } from './io/csv.js';
export { readEncodedFile, readTokenMap } from './io/encoded-file.js';
export { main as agencyCli } from './cli/index.js';
export {
  uploadEncodedFile,
  defaultUploadKey,
  sealChunk,
  type UploadOptions,
  type UploadResult,
} from './upload/chunked.js';
export { planChunks, readChunks, type ChunkPlan } from './upload/chunks.js';
