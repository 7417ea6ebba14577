import { Worker } from 'node:worker_threads';
import type { PrivacyReport } from '../privacy/report.js';
import type { ReportInput, ReportRunner } from '../privacy-reports/execute.js';

/** What the report thread posts back (privacy-worker.ts). */
export type ReportMessage = { kind: 'result'; report: PrivacyReport } | { kind: 'error'; message: string };

/**
 * The attacks in a worker thread: seconds of synchronous CPU per submission, which would otherwise stall
 * the event loop of a process that also answers the API (the embedded database, an inline worker).
 */
export const threadReport: ReportRunner = (input: ReportInput) =>
  new Promise<PrivacyReport>((resolve, reject) => {
    const worker = new Worker(new URL('./privacy-worker.js', import.meta.url), { workerData: input });
    let settled = false;
    worker.once('message', (m: ReportMessage) => {
      settled = true;
      if (m.kind === 'result') resolve(m.report);
      else reject(new Error(m.message));
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the privacy report thread stopped (exit code ${code}) before it gave a report`));
    });
  });
