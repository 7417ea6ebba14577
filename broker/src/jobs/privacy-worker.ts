import { parentPort } from 'node:worker_threads';
import { loadBackground } from '../privacy/background.js';
import { privacyReport } from '../privacy/report.js';
import type { Background } from '../privacy/types.js';
import type { ReportInput } from '../privacy-reports/execute.js';
import type { ReportMessage } from './privacy-thread.js';

/**
 * The report thread's body (see privacy-thread.ts): each report in turn, every attack, the shipped
 * background (read once per thread, so the tables derived from it are too), no truth.
 */
let background: Background | undefined;
parentPort!.on('message', ({ source, notes }: ReportInput) => {
  let m: ReportMessage;
  try {
    background ??= loadBackground();
    m = { kind: 'result', report: privacyReport([source], { background, notes }) };
  } catch (err) {
    m = { kind: 'error', message: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage(m);
});
