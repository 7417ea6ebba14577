import { parentPort, workerData } from 'node:worker_threads';
import { loadBackground } from '../privacy/background.js';
import { privacyReport } from '../privacy/report.js';
import type { ReportInput } from '../privacy-reports/execute.js';
import type { ReportMessage } from './privacy-thread.js';

/** The report thread's body (see privacy-thread.ts): every attack, the shipped background, no truth. */
const post = (m: ReportMessage) => parentPort!.postMessage(m);
try {
  const { source, notes } = workerData as ReportInput;
  post({ kind: 'result', report: privacyReport([source], { background: loadBackground(), notes }) });
} catch (err) {
  post({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
}
