import { Worker } from 'node:worker_threads';
import type { EngineProgress } from '../linkage/types.js';
import type { EngineCall, EngineCallRunner, EngineRunner } from '../runs/runs.js';

/** What the engine thread posts back (engine-worker.ts). */
export type EngineMessage =
  | { kind: 'progress'; progress: EngineProgress }
  | { kind: 'result'; result: unknown }
  | { kind: 'error'; message: string };

/**
 * The engine in a worker thread: linking is one long synchronous computation (30 s and more on real
 * data), and in its own thread it leaves the process's event loop free for heartbeats, progress writes
 * and, where a broker runs jobs itself (the embedded database), the API. The call (a whole link, one
 * partition of a run, or its finish) and its result cross by structured clone (typed arrays, Maps and
 * plain objects); the thread does no I/O.
 */
export const threadCall: EngineCallRunner = (call, onProgress) =>
  new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./engine-worker.js', import.meta.url), { workerData: call as EngineCall });
    let settled = false;
    worker.on('message', (m: EngineMessage) => {
      if (m.kind === 'progress') onProgress(m.progress);
      else if (m.kind === 'result') {
        settled = true;
        resolve(m.result as never);
      } else {
        settled = true;
        reject(new Error(m.message));
      }
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the engine thread stopped (exit code ${code}) before it gave a result`));
    });
  });

/** A whole link in a worker thread. */
export const threadEngine: EngineRunner = (input, onProgress) => threadCall({ kind: 'link', input }, onProgress);
