import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { EnqueueReport } from '../privacy-reports/queue.js';
import type { Enqueue, SplitQueue, UnitPhase } from '../runs/runs.js';

/** graphile-worker's task name for a run's first job (it plans the run); its payload is { runId }. */
export const RUN_TASK = 'blindlink_run';
/**
 * One unit of a full run: a partition, the sample, or a partition's score; payload { runId, attempt,
 * part, phase } (no phase: a partition).
 */
export const PARTITION_TASK = 'blindlink_run_partition';
/** A full run's fit once its partitions and sample are done; payload { runId, attempt }. */
export const FIT_TASK = 'blindlink_run_fit';
/** A full run's finish once every partition is weighed; payload { runId, attempt }. */
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
      job_key => ${reportJobKey(submissionId)}::text,
      job_key_mode => 'preserve_run_at')`.execute(trx);
  },
  queued: () => {},
};

/** graphile-worker's job key of a submission's privacy report: one job per report. */
export const reportJobKey = (submissionId: string) => `privacy-report:${submissionId}`;

/** graphile-worker's job key of a unit: one job per partition, sample or score of one attempt's plan. */
export const partitionJobKey = (runId: string, attempt: number, part: number, phase: UnitPhase = 'pairs') =>
  phase === 'pairs' ? `${runId}/${attempt}/${part}` : `${runId}/${attempt}/${phase}/${part}`;

const addUnit = (trx: Transaction<Database>, runId: string, attempt: number, part: number, phase: UnitPhase) => {
  const key = partitionJobKey(runId, attempt, part, phase);
  return sql`select graphile_worker.add_job(${PARTITION_TASK},
    json_build_object('runId', ${runId}::text, 'attempt', ${attempt}::int, 'part', ${part}::int,
      'phase', ${phase}::text),
    max_attempts => ${RUN_MAX_ATTEMPTS}::int, job_key => ${key}::text)`.execute(trx);
};

/** A run's own job (the fit, the finish): keyed by the run id, as its first job was, so the sweep finds it. */
const addRunJob = (trx: Transaction<Database>, task: string, runId: string, attempt: number) =>
  sql`select graphile_worker.add_job(${task},
    json_build_object('runId', ${runId}::text, 'attempt', ${attempt}::int),
    max_attempts => ${RUN_MAX_ATTEMPTS}::int, job_key => ${runId}::text)`.execute(trx);

/**
 * A full run's next jobs, queued in the transaction that plans them (or that counts the last of the
 * wave before them done). The same number of attempts as a run's first job.
 */
export const graphileSplitQueue: SplitQueue = {
  partitions: async (trx, runId, attempt, count) => {
    for (let part = 0; part < count; part++) await addUnit(trx, runId, attempt, part, 'pairs');
    await addUnit(trx, runId, attempt, 0, 'sample');
  },
  fit: async (trx, runId, attempt) => {
    await addRunJob(trx, FIT_TASK, runId, attempt);
  },
  scores: async (trx, runId, attempt, count) => {
    for (let part = 0; part < count; part++) await addUnit(trx, runId, attempt, part, 'score');
  },
  finish: async (trx, runId, attempt) => {
    await addRunJob(trx, FINISH_TASK, runId, attempt);
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
