import { hostname } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import { sql, type Kysely } from 'kysely';
import { Logger, makeWorkerUtils, run, runMigrations, type Runner, type Task, type WorkerUtils } from 'graphile-worker';
import type { Database } from '../db/schema.js';
import { executeRun, SupersededError, type EngineRunner } from '../runs/runs.js';
import type { BrokerKeyring } from '../trust/keys.js';
import { recordScheduledRunEnd } from './after-run.js';
import { threadEngine } from './engine-thread.js';
import { executePrivacyReport, type ReportRunner } from '../privacy-reports/execute.js';
import { threadReport } from './privacy-thread.js';
import { PRIVACY_REPORT_TASK, RUN_TASK } from './queue.js';

/**
 * graphile-worker 0.17 frees a job locked by a worker that died only after 4 hours (a fixed interval in
 * its SQL). A run's attempt heartbeats its run row every second instead (engine-thread.ts keeps the
 * event loop free to do so), and every worker sweeps for runs whose heartbeat is older than
 * STALE_AFTER_MS: it releases that job with graphile-worker's force_unlock_workers, and the next free
 * worker takes it up as a new attempt. A dead worker's run therefore resumes within about
 * STALE_AFTER_MS + SWEEP_EVERY_MS + the poll interval (about 40 s), not 4 hours.
 */
export const STALE_AFTER_MS = 30_000;
export const SWEEP_EVERY_MS = 5_000;

/**
 * graphile-worker's log lines into the broker's pino logger. Its meta carries whole errors, and a pg
 * error carries the client with its connection settings: only an error's code and message, and plain
 * scalar fields (a job id, a task name), are kept, so no setting or payload reaches the logs.
 */
function graphileLogger(log: FastifyBaseLogger): Logger {
  return new Logger(() => (level, message, meta) => {
    const fn = level === 'error' ? log.error : level === 'warning' ? log.warn : level === 'info' ? log.info : log.debug;
    fn.call(log, { scope: 'graphile-worker', ...safeMeta(meta) }, message);
  });
}

function safeMeta(meta: unknown): Record<string, unknown> {
  if (!meta || typeof meta !== 'object') return {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(meta as Record<string, unknown>)) {
    if (v instanceof Error || (k === 'error' && v && typeof v === 'object')) {
      const e = v as { code?: unknown; message?: unknown };
      out[k] = {
        code: typeof e.code === 'string' ? e.code : undefined,
        message: typeof e.message === 'string' ? e.message : undefined,
      };
    } else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return out;
}

/** Create or upgrade graphile-worker's schema (graphile_worker.*): the API needs add_job before any worker runs. */
export async function migrateJobQueue(connectionString: string, log: FastifyBaseLogger): Promise<void> {
  await runMigrations({ connectionString, logger: graphileLogger(log) });
}

export interface JobWorkerOptions {
  connectionString: string;
  db: Kysely<Database>;
  keys: BrokerKeyring;
  logger: FastifyBaseLogger;
  /** Runs linked at once by this process; default 1 (a run is CPU-bound: one per core at most). */
  concurrency?: number;
  /** How often to look for jobs when no notification came; default 2000 ms. */
  pollInterval?: number;
  staleAfterMs?: number;
  sweepEveryMs?: number;
  engine?: EngineRunner;
  report?: ReportRunner;
}

export interface JobWorker {
  runner: Runner;
  /** One sweep now: release the jobs of runs whose worker stopped heartbeating. Returns the run ids. */
  sweep(): Promise<string[]>;
  /** Finish the run under way (graceful), then stop. */
  stop(): Promise<void>;
}

/**
 * Release the jobs of runs whose attempt stopped heartbeating (its worker died or hung). A run whose
 * job graphile-worker has given up (attempts used up) or that has no job any more is marked failed.
 */
async function sweepStale(
  db: Kysely<Database>,
  utils: WorkerUtils,
  staleAfterMs: number,
  log: FastifyBaseLogger,
): Promise<string[]> {
  const stale = await db
    .selectFrom('run')
    .select(['id', 'attempt'])
    .where('status', '=', 'running')
    .where('heartbeat_at', '<', new Date(Date.now() - staleAfterMs))
    .execute();
  const released: string[] = [];
  for (const r of stale) {
    const job = (
      await sql<{
        locked_by: string | null;
        attempts: number;
        max_attempts: number;
      }>`select locked_by, attempts, max_attempts from graphile_worker.jobs where key = ${r.id}`.execute(db)
    ).rows[0];
    if (job?.locked_by) {
      await utils.forceUnlockWorkers([job.locked_by]);
      log.warn(
        { runId: r.id, attempt: r.attempt, worker: job.locked_by },
        "a run's worker stopped heartbeating; its job is released for another worker",
      );
      released.push(r.id);
    } else if (!job || job.attempts >= job.max_attempts) {
      const error = job
        ? `its workers stopped ${job.attempts} times; given up`
        : 'its job is gone (its worker stopped)';
      await db
        .updateTable('run')
        .set({ status: 'failed', error, finished_at: new Date(), stage: 'failed' })
        .where('id', '=', r.id)
        .where('attempt', '=', r.attempt)
        .where('status', '=', 'running')
        .execute();
      log.error({ runId: r.id }, `run failed: ${error}`);
    }
    // Otherwise the job is unlocked and waits for a worker: nothing to do.
  }
  return released;
}

/**
 * A job worker: links queued runs (graphile-worker jobs), each with the engine in a worker thread. Any
 * number may run, on any machine sharing the database (`blindlink-broker worker`); `serve` forks one.
 */
export async function startJobWorker(o: JobWorkerOptions): Promise<JobWorker> {
  const logger = graphileLogger(o.logger);
  const staleAfterMs = o.staleAfterMs ?? STALE_AFTER_MS;
  const task: Task = async (payload, helpers) => {
    const runId = (payload as { runId?: unknown } | null)?.runId;
    if (typeof runId !== 'string') {
      helpers.logger.error('job without a run id; dropped');
      return;
    }
    try {
      const result = await executeRun(o.db, o.keys, runId, {
        workerId: `${hostname()}:${process.pid}:${helpers.job.locked_by ?? 'graphile'}`,
        engine: o.engine ?? threadEngine,
      });
      await recordScheduledRunEnd(o.db, result);
      o.logger.info({ runId, status: result.status, mode: result.mode }, `run ${result.status}`);
    } catch (err) {
      // Another attempt owns the run now: this one's job is done, whatever graphile-worker thinks.
      if (err instanceof SupersededError) {
        o.logger.warn({ runId }, err.message);
        return;
      }
      throw err;
    }
  };
  // A failed attempt is stored with its reason; throwing hands the job back to graphile-worker, which
  // tries again later (exponential back-off) until the attempts are used up.
  const reportTask: Task = async (payload, helpers) => {
    const submissionId = (payload as { submissionId?: unknown } | null)?.submissionId;
    if (typeof submissionId !== 'string') {
      helpers.logger.error('privacy report job without a submission id; dropped');
      return;
    }
    const outcome = await executePrivacyReport(o.db, o.keys, submissionId, {
      attempt: helpers.job.attempts,
      maxAttempts: helpers.job.max_attempts,
      compute: o.report ?? threadReport,
    });
    o.logger.info({ submissionId, status: outcome.status }, `privacy report ${outcome.status}`);
    if (outcome.status === 'failed' && !outcome.final) throw new Error(`privacy report failed: ${outcome.error}`);
  };
  const runner = await run({
    connectionString: o.connectionString,
    concurrency: o.concurrency ?? 1,
    pollInterval: o.pollInterval ?? 2000,
    noHandleSignals: true,
    logger,
    taskList: { [RUN_TASK]: task, [PRIVACY_REPORT_TASK]: reportTask },
  });
  const utils = await makeWorkerUtils({ connectionString: o.connectionString, logger });
  let sweeping: Promise<unknown> = Promise.resolve();
  const sweep = () => {
    const next = sweeping.then(() => sweepStale(o.db, utils, staleAfterMs, o.logger));
    sweeping = next.catch((err: unknown) =>
      o.logger.error({ err }, 'sweeping for stopped workers failed; trying again'),
    );
    return next;
  };
  const timer = setInterval(() => void sweep().catch(() => {}), o.sweepEveryMs ?? SWEEP_EVERY_MS);
  timer.unref();
  return {
    runner,
    sweep,
    stop: async () => {
      clearInterval(timer);
      await sweeping;
      await runner.stop();
      await utils.release();
    },
  };
}
