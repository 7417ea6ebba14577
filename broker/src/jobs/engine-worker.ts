import { parentPort } from 'node:worker_threads';
import type { EngineMessage } from './engine-thread.js';
import { callEngine, type EngineCall } from '../runs/engine-call.js';
import { mapSources, unpackSource } from './packed-sources.js';

/** The engine thread's body (see engine-thread.ts): each call in turn, posting progress as each stage starts. */
const post = (m: EngineMessage) => parentPort!.postMessage(m);
parentPort!.on('message', (call: EngineCall) => {
  try {
    const unpacked = mapSources(call, unpackSource);
    post({ kind: 'result', result: callEngine(unpacked, (progress) => post({ kind: 'progress', progress })) });
  } catch (err) {
    post({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
  }
});
