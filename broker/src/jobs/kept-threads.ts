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

/**
 * One call to a kept thread of `script`: post `input`, pass each message to `onMessage` until it says the
 * call is settled (the thread, sound, is kept), or fail it once — the thread erred, exited, or `signal`
 * aborted — and never reuse that thread.
 */
export function callKeptThread<M>(
  script: URL,
  input: unknown,
  handlers: {
    /** True when this message settles the call. */
    onMessage: (m: M) => boolean;
    onFailure: (err: Error) => void;
    /** Why the call failed when the thread exited without settling it, or was aborted. */
    exited: (code: number) => string;
    aborted?: string;
  },
  signal?: AbortSignal,
): void {
  const worker = takeThread(script);
  worker.ref();
  let settled = false;
  const done = (keep: boolean) => {
    settled = true;
    signal?.removeEventListener('abort', interrupt);
    worker.off('message', onMessage);
    worker.off('error', onError);
    worker.off('exit', onExit);
    worker.unref();
    if (keep) keepThread(script, worker);
  };
  const fail = (err: Error, terminate: boolean) => {
    if (settled) return;
    done(false);
    if (terminate) void worker.terminate();
    handlers.onFailure(err);
  };
  const interrupt = () => fail(new Error(handlers.aborted ?? 'the call was interrupted'), true);
  const onMessage = (m: M) => {
    if (!settled && handlers.onMessage(m)) done(true);
  };
  const onError = (err: Error) => fail(err, true);
  const onExit = (code: number) => fail(new Error(handlers.exited(code)), false);
  signal?.addEventListener('abort', interrupt, { once: true });
  worker.on('message', onMessage);
  worker.once('error', onError);
  worker.once('exit', onExit);
  worker.postMessage(input);
}
