/** Worker thread body for workerPoolEncoder: builds its own encoder, then encodes batches. */
import { parentPort, workerData } from 'node:worker_threads';
import { parseClkSchema } from './schema.js';
import { ClkEncoder, type ClkEncoderOptions } from './encoder.js';
import { encodeBatchWith } from './batch-encoding.js';

const data = workerData as { schemaJson: unknown; secret: Uint8Array; options: ClkEncoderOptions };
const encoder = ClkEncoder.fromSecret(parseClkSchema(data.schemaJson), data.secret, data.options);

parentPort?.on('message', (msg: { id: number; rows: string[][] }) => {
  parentPort?.postMessage({ id: msg.id, result: encodeBatchWith(encoder, msg.rows) });
});
