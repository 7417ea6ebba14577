/** Worker module of workerPoolEncoder: one encoder (and caches) per thread, then one call per batch. */
import { workerData } from 'node:worker_threads';
import { batchEncoderFor, type EncoderSetup } from './batch-encoding.js';

export default batchEncoderFor(workerData as EncoderSetup);
