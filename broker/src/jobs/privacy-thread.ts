import { Worker } from 'node:worker_threads';
import type { PrivacyReport } from '../privacy/report.js';
import type { ReportInput, ReportRunner } from '../privacy-reports/execute.js';

/** What the report thread posts back (privacy-worker.ts). */
export type ReportMessage = { kind: 'result'; report: PrivacyReport } | { kind: 'error'; message: string };

/**
 * The attacks in a worker thread: seconds of synchronous CPU per submission, which would otherwise stall
 * the event loop of a process that also answers the API (the embedded database, an inline worker). An
 * abort (the worker stopping) terminates the thread: minutes of attacks on a large submission are not
 * waited for.
 */
export const threadReport: ReportRunner = (input: ReportInput, signal?: AbortSignal) =>
  new Promise<PrivacyReport>((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('the privacy report was interrupted: the worker is stopping'));
    const worker = new Worker(new URL('./privacy-worker.js', import.meta.url), { workerData: input });
    let settled = false;
    const interrupt = () => {
      if (settled) return;
      settled = true;
      reject(new Error('the privacy report was interrupted: the worker is stopping'));
      void worker.terminate();
    };
    signal?.addEventListener('abort', interrupt, { once: true });
    const done = () => {
      settled = true;
      signal?.removeEventListener('abort', interrupt);
    };
    worker.once('message', (m: ReportMessage) => {
      if (settled) return;
      done();
      if (m.kind === 'result') resolve(m.report);
      else reject(new Error(m.message));
    });
    worker.once('error', (err) => {
      if (settled) return;
      done();
      reject(err);
    });
    worker.once('exit', (code) => {
      if (settled) return;
      done();
      reject(new Error(`the privacy report thread stopped (exit code ${code}) before it gave a report`));
    });
  });
