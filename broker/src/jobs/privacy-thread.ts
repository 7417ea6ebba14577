import type { PrivacyReport } from '../privacy/report.js';
import type { ReportInput, ReportRunner } from '../privacy-reports/execute.js';
import { callKeptThread } from './kept-threads.js';

/** What the report thread posts back (privacy-worker.ts). */
export type ReportMessage = { kind: 'result'; report: PrivacyReport } | { kind: 'error'; message: string };

const SCRIPT = new URL('./privacy-worker.js', import.meta.url);
const INTERRUPTED = 'the privacy report was interrupted: the worker is stopping';

/**
 * The attacks in a worker thread: seconds of synchronous CPU per submission, which would otherwise stall
 * the event loop of a process that also answers the API (the embedded database, an inline worker). The
 * thread is kept for the next report (jobs/kept-threads.ts), with the background and the tables derived
 * from it loaded once; it keeps nothing else between reports. An abort (the worker stopping) terminates
 * the thread: minutes of attacks on a large submission are not waited for.
 */
export const threadReport: ReportRunner = (input: ReportInput, signal?: AbortSignal) =>
  new Promise<PrivacyReport>((resolve, reject) => {
    if (signal?.aborted) return reject(new Error(INTERRUPTED));
    callKeptThread<ReportMessage>(
      SCRIPT,
      input,
      {
        onMessage: (m) => {
          // A report that threw leaves the thread sound.
          if (m.kind === 'result') resolve(m.report);
          else reject(new Error(m.message));
          return true;
        },
        onFailure: reject,
        exited: (code) => `the privacy report thread stopped (exit code ${code}) before it gave a report`,
        aborted: INTERRUPTED,
      },
      signal,
    );
  });
