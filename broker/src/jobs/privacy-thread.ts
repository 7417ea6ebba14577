import type { PrivacyReport } from '../privacy/report.js';
import type { ReportInput, ReportRunner } from '../privacy-reports/execute.js';
import { keepThread, takeThread } from './kept-threads.js';

/** What the report thread posts back (privacy-worker.ts). */
export type ReportMessage = { kind: 'result'; report: PrivacyReport } | { kind: 'error'; message: string };

const SCRIPT = new URL('./privacy-worker.js', import.meta.url);

/**
 * The attacks in a worker thread: seconds of synchronous CPU per submission, which would otherwise stall
 * the event loop of a process that also answers the API (the embedded database, an inline worker). The
 * thread is kept for the next report (jobs/kept-threads.ts), with the background and the tables derived
 * from it loaded once; it keeps nothing else between reports. An abort (the worker stopping) terminates
 * the thread: minutes of attacks on a large submission are not waited for.
 */
export const threadReport: ReportRunner = (input: ReportInput, signal?: AbortSignal) =>
  new Promise<PrivacyReport>((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('the privacy report was interrupted: the worker is stopping'));
    const worker = takeThread(SCRIPT);
    worker.ref();
    let settled = false;
    const done = (keep: boolean) => {
      settled = true;
      signal?.removeEventListener('abort', interrupt);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      worker.unref();
      if (keep) keepThread(SCRIPT, worker);
    };
    const interrupt = () => {
      if (settled) return;
      done(false);
      reject(new Error('the privacy report was interrupted: the worker is stopping'));
      void worker.terminate();
    };
    const onMessage = (m: ReportMessage) => {
      if (settled) return;
      // A report that threw leaves the thread sound.
      done(true);
      if (m.kind === 'result') resolve(m.report);
      else reject(new Error(m.message));
    };
    const onError = (err: Error) => {
      if (settled) return;
      done(false);
      void worker.terminate();
      reject(err);
    };
    const onExit = (code: number) => {
      if (settled) return;
      done(false);
      reject(new Error(`the privacy report thread stopped (exit code ${code}) before it gave a report`));
    };
    signal?.addEventListener('abort', interrupt, { once: true });
    worker.on('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', onExit);
    worker.postMessage(input);
  });
