/** Worker module of workerPoolEncoder: one encoder (and caches) per thread, then one call per batch. */
import { workerData } from 'node:worker_threads';
import { batchEncoderFor } from './batch-encoding.js';
import type { RecordEncoderSetup } from './record-encoder.js';

export default batchEncoderFor(workerData as RecordEncoderSetup);
