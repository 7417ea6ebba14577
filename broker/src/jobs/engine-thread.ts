import type { EngineProgress } from '../linkage/types.js';
import type { EngineCall, EngineCallRunner, EngineRunner } from '../runs/runs.js';
import { callKeptThread } from './kept-threads.js';
import { mapSources, packSource } from './packed-sources.js';

/** What the engine thread posts back (engine-worker.ts). */
export type EngineMessage =
  | { kind: 'progress'; progress: EngineProgress }
  | { kind: 'result'; result: unknown }
  | { kind: 'error'; message: string };

const SCRIPT = new URL('./engine-worker.js', import.meta.url);

/**
 * The engine in a worker thread: linking is one long synchronous computation (30 s and more on real
 * data), and in its own thread it leaves the process's event loop free for heartbeats, progress writes
 * and, where a broker runs jobs itself (the embedded database), the API. The call (a whole link, one
 * partition of a run, or its finish) and its result cross by structured clone (typed arrays, Maps and
 * plain objects); the thread does no I/O and keeps nothing from one call to the next. A thread that
 * fails (out of memory) is not used again.
 */
export const threadCall: EngineCallRunner = (call, onProgress) =>
  new Promise((resolve, reject) =>
    callKeptThread<EngineMessage>(SCRIPT, mapSources(call as EngineCall, packSource), {
      onMessage: (m) => {
        if (m.kind === 'progress') {
          onProgress(m.progress);
          return false;
        }
        // A result, or the engine threw: either way the thread itself is sound.
        if (m.kind === 'result') resolve(m.result as never);
        else reject(new Error(m.message));
        return true;
      },
      onFailure: reject,
      exited: (code) => `the engine thread stopped (exit code ${code}) before it gave a result`,
    }),
  );

/** A whole link in a worker thread. */
export const threadEngine: EngineRunner = (input, onProgress) => threadCall({ kind: 'link', input }, onProgress);
