import { Worker } from 'node:worker_threads';

/** A thread with no call for this long ends, giving its memory back. */
const IDLE_MS = 30_000;

/**
 * Worker threads waiting for their next call, by script. A thread takes one call at a time and is kept
 * for the next: starting one (loading its modules, and for the report thread the background table and
 * what is derived from it) costs about as much CPU as a small call. A thread that fails or is
 * terminated is never given back.
 */
const idle = new Map<string, { worker: Worker; timer: NodeJS.Timeout }[]>();

/** A kept thread of `script`, or a new one; unref'd: an idle thread never keeps the process alive. */
export function takeThread(script: URL): Worker {
  const kept = idle.get(script.href)?.pop();
  if (kept) {
    clearTimeout(kept.timer);
    return kept.worker;
  }
  const worker = new Worker(script);
  worker.unref();
  return worker;
}

/** Give a sound thread back for the next call of its script; it ends after IDLE_MS unused. */
export function keepThread(script: URL, worker: Worker): void {
  const list = idle.get(script.href) ?? [];
  idle.set(script.href, list);
  const timer = setTimeout(() => {
    const k = list.findIndex((e) => e.worker === worker);
    if (k >= 0) list.splice(k, 1);
    void worker.terminate();
  }, IDLE_MS);
  timer.unref();
  list.push({ worker, timer });
}
