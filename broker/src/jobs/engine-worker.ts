import { parentPort, workerData } from 'node:worker_threads';
import type { EngineMessage } from './engine-thread.js';
import type { EngineInput } from '../runs/runs.js';
import { link } from '../linkage/engine.js';
import { linkIncremental } from '../linkage/engine-incremental.js';

/** The engine thread's body (see engine-thread.ts): link, posting progress as each stage starts. */
const post = (m: EngineMessage) => parentPort!.postMessage(m);
try {
  const { sources, previous, opts } = workerData as EngineInput;
  const onProgress = (progress: Parameters<NonNullable<Parameters<typeof link>[1]['onProgress']>>[0]) =>
    post({ kind: 'progress', progress });
  const result = previous
    ? linkIncremental(sources, previous, { ...opts, onProgress })
    : link(sources, { ...opts, onProgress });
  post({ kind: 'result', result });
} catch (err) {
  post({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
}
