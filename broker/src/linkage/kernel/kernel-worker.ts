/** Worker thread entry: runs chunks of a comparison for `candidatesAboveParallel`. */
import { parentPort, workerData } from 'node:worker_threads';
import { CandidateBuffer } from './candidate-buffer.js';
import { createRun } from './candidates.js';
import type { ChunkRequest, WorkerInit, WorkerReply } from './parallel-protocol.js';

const port = parentPort;
if (!port) throw new Error('kernel-worker must run in a worker thread');
const init = workerData as WorkerInit;
const run = createRun(init.backend, init.A, init.B, init.threshold, init.order, init.pairs);
const out = new CandidateBuffer();

port.on('message', (req: ChunkRequest) => {
  let reply: WorkerReply;
  const transfer: ArrayBuffer[] = [];
  try {
    if (init.order) run.rows(req.from, req.to, out);
    else run.pairs(req.from, req.to, out);
    const r = out.take();
    reply = { id: req.id, ok: true, ...r };
    // Transfer, not copy again (take() made arrays of their own, never shared memory).
    transfer.push(r.a.buffer as ArrayBuffer, r.b.buffer as ArrayBuffer, r.score.buffer as ArrayBuffer);
  } catch (err) {
    out.length = 0;
    reply = { id: req.id, ok: false, message: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply, transfer);
});
