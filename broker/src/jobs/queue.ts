import { sql } from 'kysely';
import type { Enqueue } from '../runs/runs.js';

/** graphile-worker's task name for linking one run; its payload is { runId }. */
export const RUN_TASK = 'blindlink_run';
/**
 * Attempts before graphile-worker gives a run's job up. A run's own failure (bad input, a refused
 * policy) is final and never retried: only a worker that died takes an attempt without finishing.
 */
export const RUN_MAX_ATTEMPTS = 5;

/**
 * How runs reach a worker. The API and the scheduler queue a run with `enqueue` inside the transaction
 * that writes its row, then call `queued` once it is committed (to wake an in-process runner).
 */
export interface JobQueue {
  kind: 'graphile' | 'embedded' | 'none';
  enqueue: Enqueue;
  queued(runId: string): void;
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
  queued: () => {},
};

/** The embedded database: the run row itself is the queue (one owner process runs it; embedded-runner.ts). */
export function embeddedQueue(wake: () => void): JobQueue {
  return { kind: 'embedded', enqueue: async () => {}, queued: wake };
}

/** No runner here: runs stay queued (e.g. `serve --no-worker` on the embedded database). */
export const NO_JOBS: JobQueue = { kind: 'none', enqueue: async () => {}, queued: () => {} };
