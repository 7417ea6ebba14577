import { sql } from 'kysely';
import type { EnqueueReport } from '../privacy-reports/queue.js';
import type { Enqueue } from '../runs/runs.js';

/** graphile-worker's task name for linking one run; its payload is { runId }. */
export const RUN_TASK = 'blindlink_run';
/**
 * Attempts before graphile-worker gives a run's job up. A run's own failure (bad input, a refused
 * policy) is final and never retried: only a worker that died takes an attempt without finishing.
 */
export const RUN_MAX_ATTEMPTS = 5;

/** graphile-worker's task name for one submission's privacy report; its payload is { submissionId }. */
export const PRIVACY_REPORT_TASK = 'blindlink_privacy_report';

/**
 * How runs and privacy reports reach a worker. The API and the scheduler queue a run with `enqueue`
 * inside the transaction that writes its row (a report with `enqueueReport`, likewise), then call
 * `queued` once it is committed (to wake an in-process runner).
 */
export interface JobQueue {
  kind: 'graphile' | 'embedded' | 'none';
  enqueue: Enqueue;
  enqueueReport: EnqueueReport;
  queued(id: string): void;
}

/**
 * PostgreSQL: graphile-worker's own SQL function, in our transaction, so the job exists exactly when
 * the run row does. The job key is the run id: queueing the same run twice replaces, never doubles.
 */
export const graphileQueue: JobQueue = {
  kind: 'graphile',
  enqueue: async (trx, runId) => {
    await sql`select graphile_worker.add_job(${RUN_TASK}, json_build_object('runId', ${runId}::text),
      max_attempts => ${RUN_MAX_ATTEMPTS}::int, job_key => ${runId}::text)`.execute(trx);
  },
  enqueueReport: async (trx, submissionId, maxAttempts) => {
    await sql`select graphile_worker.add_job(${PRIVACY_REPORT_TASK},
      json_build_object('submissionId', ${submissionId}::text), max_attempts => ${maxAttempts}::int,
      job_key => ${`privacy-report:${submissionId}`}::text, job_key_mode => 'preserve_run_at')`.execute(trx);
  },
  queued: () => {},
};

/** The embedded database: the run and report rows themselves are the queue (one owner process; embedded-runner.ts). */
export function embeddedQueue(wake: () => void): JobQueue {
  return { kind: 'embedded', enqueue: async () => {}, enqueueReport: async () => {}, queued: wake };
}

/** No runner here: runs and reports stay queued (e.g. `serve --no-worker` on the embedded database). */
export const NO_JOBS: JobQueue = {
  kind: 'none',
  enqueue: async () => {},
  enqueueReport: async () => {},
  queued: () => {},
};
