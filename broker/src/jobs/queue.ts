import { sql } from 'kysely';
import type { EnqueueReport } from '../privacy-reports/queue.js';
import type { Enqueue, SplitQueue } from '../runs/runs.js';

/** graphile-worker's task name for a run's first job (it plans the run); its payload is { runId }. */
export const RUN_TASK = 'blindlink_run';
/** One partition of a full run; payload { runId, attempt, part }. */
export const PARTITION_TASK = 'blindlink_run_partition';
/** A full run's finish once its partitions are done; payload { runId, attempt }. */
export const FINISH_TASK = 'blindlink_run_finish';
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
      job_key => ${reportJobKey(submissionId)}::text, job_key_mode => 'preserve_run_at')`.execute(trx);
  },
  queued: () => {},
};

/** graphile-worker's job key of a submission's privacy report: one job per report. */
export const reportJobKey = (submissionId: string) => `privacy-report:${submissionId}`;

/** graphile-worker's job key of a partition: one job per partition of one attempt's plan. */
export const partitionJobKey = (runId: string, attempt: number, part: number) => `${runId}/${attempt}/${part}`;

/**
 * A full run's next jobs, queued in the transaction that plans the partitions (or that counts the last
 * one done). The finish takes the run id as its key, as the first job did: the sweep finds a run's
 * own job by it. The same number of attempts as a run's first job.
 */
export const graphileSplitQueue: SplitQueue = {
  partitions: async (trx, runId, attempt, count) => {
    for (let part = 0; part < count; part++)
      await sql`select graphile_worker.add_job(${PARTITION_TASK},
        json_build_object('runId', ${runId}::text, 'attempt', ${attempt}::int, 'part', ${part}::int),
        max_attempts => ${RUN_MAX_ATTEMPTS}::int, job_key => ${partitionJobKey(runId, attempt, part)}::text)`.execute(
        trx,
      );
  },
  finish: async (trx, runId, attempt) => {
    await sql`select graphile_worker.add_job(${FINISH_TASK},
      json_build_object('runId', ${runId}::text, 'attempt', ${attempt}::int),
      max_attempts => ${RUN_MAX_ATTEMPTS}::int, job_key => ${runId}::text)`.execute(trx);
  },
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
