/** Worker thread body for workerPoolEncoder: builds its own encoder and caches, then encodes batches. */
import { parentPort, workerData } from 'node:worker_threads';
import { RecordEncoder, type RecordEncoderSetup } from './record-encoder.js';
import { encodeBatchWith } from './batch-encoding.js';

const setup = workerData as RecordEncoderSetup;
const encoder = new RecordEncoder(setup);

parentPort?.on('message', (msg: { id: number; rows: string[][] }) => {
  parentPort?.postMessage({ id: msg.id, result: encodeBatchWith(encoder, setup.idColumn, msg.rows) });
});
