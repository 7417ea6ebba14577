import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import {
  Logger,
  makeWorkerUtils,
  run,
  runMigrations,
  type Runner,
  type Task,
  type TaskList,
  type WorkerEvents,
  type WorkerUtils,
} from 'graphile-worker';
import { trackConnections } from '../db/connect.js';
import type { Database } from '../db/schema.js';
import {
  type EngineCallRunner,
  executeFinish,
  executeFit,
  executePartition,
  failRun,
  type RunResult,
  SupersededError,
  startRun,
  type UnitPhase,
} from '../runs/runs.js';
import type { BrokerKeyring } from '../trust/keys.js';
import { recordScheduledRunEnd } from './after-run.js';
import { threadCall } from './engine-thread.js';
import { executePrivacyReport, type ReportRunner } from '../privacy-reports/execute.js';
import { threadReport } from './privacy-thread.js';
import {
  FINISH_TASK,
  FIT_TASK,
  graphileQueue,
  graphileSplitQueue,
  PARTITION_TASK,
  partitionJobKey,
  PRIVACY_REPORT_TASK,
  reportJobKey,
  RUN_TASK,
} from './queue.js';

/**
 * graphile-worker 0.17 frees a job locked by a worker that died only after 4 hours (a fixed interval in
 * its SQL). A run's jobs heartbeat every second instead (engine-thread.ts keeps the event loop free to
 * do so): its first and finish jobs the run row, a partition's job its partition row (and the run
 * row). Every worker sweeps for heartbeats older than STALE_AFTER_MS and releases the job with
 * graphile-worker's force_unlock_workers; the next free worker takes it up (the first job as a new
 * attempt, a partition or the finish as the same attempt). A dead worker's job therefore resumes
 * within about STALE_AFTER_MS + SWEEP_EVERY_MS + the poll interval (about 40 s), not 4 hours.
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

/** application_name of the job queue's PostgreSQL sessions (pg_stat_activity shows it). */
export const JOBS_APPLICATION_NAME = 'blindlink-broker-jobs';

/**
 * The job queue's connections. Given a connectionString, graphile-worker makes its own pool and, on
 * stop or release, calls its end() without awaiting it; and it completes or fails a job without
 * awaiting that either. Its stop() therefore resolved with sessions still open and a job's completion
 * possibly in flight, for a restart (or a forced drop of the database) to kill. So the broker owns the
 * pool: end() waits for every client handed out (the completion's among them), then each socket's end.
 */
function jobQueuePool(connectionString: string, log: FastifyBaseLogger) {
  const pool = new pg.Pool({ connectionString, max: 10, application_name: JOBS_APPLICATION_NAME });
  const lost = (err: Error & { code?: unknown }) =>
    log.warn(
      { scope: 'graphile-worker', code: typeof err.code === 'string' ? err.code : undefined, message: err.message },
      'a job queue database connection was lost',
    );
  // Idle clients' errors come through the pool; a checked-out client's only to the client itself, where
  // no listener would end the process (graphile-worker's query on it fails with its own error).
  pool.on('error', lost);
  pool.on('connect', (client) => client.on('error', lost));
  const closed = trackConnections(pool);
  return {
    pool,
    // Bounded: a client graphile-worker never hands back must not keep the broker from stopping.
    end: async () => {
      const ended = pool.end().then(closed);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), JOB_POOL_END_MS);
      });
      const outcome = await Promise.race([ended.then(() => 'ended' as const), late]);
      clearTimeout(timer);
      if (outcome === 'late')
        log.warn({ scope: 'graphile-worker', afterMs: JOB_POOL_END_MS }, 'job queue connections still open at stop');
    },
  };
}

/** Waits (a few seconds at most) until no job is still locked under one of these lock ids. */
async function completionsLanded(db: Kysely<Database>, lockIds: string[]): Promise<void> {
  if (lockIds.length === 0) return;
  const until = Date.now() + COMPLETION_WAIT_MS;
  while (Date.now() < until) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from graphile_worker.jobs
      where locked_by = any(${lockIds})`.execute(db);
    if (rows[0]!.n === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** How long stop() waits for finished jobs' completions: a job still running is the sweeper's. */
const COMPLETION_WAIT_MS = 5_000;

/** How long stop() waits for the job queue's connections to end before giving up on them (logged). */
const JOB_POOL_END_MS = 15_000;

/** Create or upgrade graphile-worker's schema (graphile_worker.*): the API needs add_job before any worker runs. */
export async function migrateJobQueue(connectionString: string, log: FastifyBaseLogger): Promise<void> {
  const jobs = jobQueuePool(connectionString, log);
  try {
    await runMigrations({ pgPool: jobs.pool, logger: graphileLogger(log) });
  } finally {
    await jobs.end();
  }
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
  engine?: EngineCallRunner;
  report?: ReportRunner;
}

export interface JobWorker {
  /** graphile-worker's runner of runs (their first jobs, partitions, fits and finishes). */
  runs: Runner;
  /** Its runner of privacy reports, one at a time beside the runs. */
  reports: Runner;
  /** One sweep now: release the jobs of runs whose worker stopped heartbeating. Returns the run ids. */
  sweep(): Promise<string[]>;
  /** Finish the job under way (graceful), then stop; resolves once every job queue connection has ended. */
  stop(): Promise<void>;
}

type JobRow = { locked_by: string | null; locked_at: Date | null; attempts: number; max_attempts: number };

async function jobByKey(db: Kysely<Database>, key: string): Promise<JobRow | undefined> {
  return (
    await sql<JobRow>`select locked_by, locked_at, attempts, max_attempts from graphile_worker.jobs
      where key = ${key}`.execute(db)
  ).rows[0];
}

/**
 * The worker holding a stale job's lock, when it should be released: a lock taken after `before` is
 * a worker that took the job up since the last heartbeat (it is about to claim it), not a dead one.
 */
const deadHolder = (job: JobRow | undefined, before: Date) =>
  job?.locked_by && !(job.locked_at && job.locked_at > before) ? job.locked_by : null;

/**
 * Release the jobs of runs and partitions whose worker stopped heartbeating (it died or hung). A run
 * whose job graphile-worker has given up (attempts used up) or that has no job any more, and is not
 * waiting for its partitions, is marked failed; so is a run one of whose partitions lost its job.
 */
async function sweepStale(
  db: Kysely<Database>,
  utils: WorkerUtils,
  staleAfterMs: number,
  log: FastifyBaseLogger,
): Promise<string[]> {
  const before = new Date(Date.now() - staleAfterMs);
  const released: string[] = [];
  const release = async (worker: string, runId: string, what: string) => {
    await utils.forceUnlockWorkers([worker]);
    log.warn({ runId, worker }, `${what}'s worker stopped heartbeating; its job is released for another`);
    released.push(runId);
  };
  const fail = async (runId: string, attempt: number, error: string) => {
    await failRun(db, runId, attempt, error);
    log.error({ runId }, `run failed: ${error}`);
  };
  const stale = await db
    .selectFrom('run')
    .select(['id', 'attempt'])
    .where('status', '=', 'running')
    .where('heartbeat_at', '<', before)
    .execute();
  for (const r of stale) {
    const job = await jobByKey(db, r.id);
    const holder = deadHolder(job, before);
    if (holder) await release(holder, r.id, 'a run');
    else if (job?.locked_by) continue;
    else if (!job || job.attempts >= job.max_attempts) {
      // Between its first job and its finish a run has no job of its own: its partitions' have.
      const waiting = await db
        .selectFrom('run_partition')
        .select('part')
        .where('run_id', '=', r.id)
        .where('attempt', '=', r.attempt)
        .where('status', '!=', 'done')
        .limit(1)
        .executeTakeFirst();
      if (!waiting)
        await fail(
          r.id,
          r.attempt,
          job ? `its workers stopped ${job.attempts} times; given up` : 'its job is gone (its worker stopped)',
        );
    }
    // Otherwise the job is unlocked and waits for a worker: nothing to do.
  }
  const stalled = await db
    .selectFrom('run_partition')
    .innerJoin('run', (j) =>
      j.onRef('run.id', '=', 'run_partition.run_id').onRef('run.attempt', '=', 'run_partition.attempt'),
    )
    .select(['run_partition.run_id', 'run_partition.attempt', 'run_partition.part', 'run_partition.phase'])
    .where('run.status', '=', 'running')
    .where('run_partition.status', '=', 'running')
    .where('run_partition.heartbeat_at', '<', before)
    .execute();
  for (const p of stalled) {
    const phase = p.phase as UnitPhase;
    const job = await jobByKey(db, partitionJobKey(p.run_id, p.attempt, p.part, phase));
    const holder = deadHolder(job, before);
    if (holder) await release(holder, p.run_id, `${phase} ${p.part} of a run`);
    else if (job?.locked_by) continue;
    else if (!job || job.attempts >= job.max_attempts)
      await fail(
        p.run_id,
        p.attempt,
        job
          ? `${phase} ${p.part}: its workers stopped ${job.attempts} times; given up`
          : `${phase} ${p.part}: its job is gone (its worker stopped)`,
      );
  }
  return [...released, ...(await sweepReports(db, utils, before, log))];
}

/**
 * Privacy reports whose worker stopped heartbeating: the job is released for another worker (a new
 * attempt). A report whose job graphile-worker gave up is marked failed, for good; one whose job is gone
 * (a presumed-dead worker that was only slow completed it, then its successor died) gets a new job.
 * Returns the submission ids released or queued again.
 */
async function sweepReports(
  db: Kysely<Database>,
  utils: WorkerUtils,
  before: Date,
  log: FastifyBaseLogger,
): Promise<string[]> {
  const stale = await db
    .selectFrom('privacy_report')
    .select(['submission_id', 'attempts', 'max_attempts'])
    .where('status', '=', 'running')
    .where('heartbeat_at', '<', before)
    .execute();
  const released: string[] = [];
  for (const r of stale) {
    const job = await jobByKey(db, reportJobKey(r.submission_id));
    const holder = deadHolder(job, before);
    // Writes only while the report is still this stale attempt's.
    const still = (trx: Kysely<Database>) =>
      trx
        .updateTable('privacy_report')
        .where('submission_id', '=', r.submission_id)
        .where('attempts', '=', r.attempts)
        .where('status', '=', 'running')
        .where('heartbeat_at', '<', before);
    if (holder) {
      await utils.forceUnlockWorkers([holder]);
      log.warn(
        { submissionId: r.submission_id, worker: holder },
        "a privacy report's worker stopped heartbeating; its job is released for another",
      );
      released.push(r.submission_id);
    } else if (job?.locked_by) continue;
    else if (job && job.attempts >= job.max_attempts) {
      const error = `its workers stopped ${job.attempts} times; given up`;
      await still(db).set({ status: 'failed', error, finished_at: new Date() }).execute();
      log.error({ submissionId: r.submission_id }, `privacy report failed: ${error}`);
    } else if (!job) {
      await db.transaction().execute(async (trx) => {
        const back = await still(trx).set({ status: 'queued', worker_id: null }).executeTakeFirst();
        if (Number(back.numUpdatedRows) > 0) await graphileQueue.enqueueReport(trx, r.submission_id, r.max_attempts);
      });
      log.warn({ submissionId: r.submission_id }, "a privacy report's job was gone with its worker; queued again");
      released.push(r.submission_id);
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
  const workerId = (helpers: Parameters<Task>[1]) =>
    `${hostname()}:${process.pid}:${helpers.job.locked_by ?? 'graphile'}`;
  const engine = o.engine ?? threadCall;
  const ended = async (result: RunResult | null) => {
    if (!result) return;
    await recordScheduledRunEnd(o.db, result);
    o.logger.info({ runId: result.runId, status: result.status, mode: result.mode }, `run ${result.status}`);
  };
  /** A job body; a superseded attempt's job is done, whatever graphile-worker thinks. */
  const job =
    <P>(
      parse: (p: Record<string, unknown>) => P | null,
      body: (p: P, helpers: Parameters<Task>[1]) => Promise<void>,
    ): Task =>
    async (payload, helpers) => {
      const p = parse((payload ?? {}) as Record<string, unknown>);
      if (!p) {
        helpers.logger.error('job without a run id; dropped');
        return;
      }
      try {
        await body(p, helpers);
      } catch (err) {
        if (err instanceof SupersededError) {
          o.logger.warn({ runId: (payload as { runId?: string }).runId }, err.message);
          return;
        }
        throw err;
      }
    };
  const runId = (p: Record<string, unknown>) => (typeof p.runId === 'string' ? p.runId : null);
  const attempt = (p: Record<string, unknown>) => {
    const id = runId(p);
    return id && Number.isInteger(p.attempt) ? { runId: id, attempt: p.attempt as number } : null;
  };
  // A failed attempt is stored with its reason; throwing hands the job back to graphile-worker, which
  // tries again later (exponential back-off) until the attempts are used up.
  // Aborted by stop(): a privacy report under way is handed back to the queue, not waited for.
  const stopping = new AbortController();
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
      workerId: workerId(helpers),
      signal: stopping.signal,
      // A new job for the report: add_job on this job's key, still locked by us, makes one, and this
      // job ends completed.
      requeue: (trx) => graphileQueue.enqueueReport(trx, submissionId, helpers.job.max_attempts),
    });
    o.logger.info({ submissionId, status: outcome.status }, `privacy report ${outcome.status}`);
    if (outcome.status === 'failed' && !outcome.final) throw new Error(`privacy report failed: ${outcome.error}`);
  };
  const first = job(runId, async (id, helpers) => {
    const started = await startRun(o.db, o.keys, id, {
      workerId: workerId(helpers),
      engine,
      queue: graphileSplitQueue,
    });
    if (started.result) await ended(started.result);
    else o.logger.info({ runId: id, partitions: started.partitions }, 'run split into partition jobs');
  });
  const phases: UnitPhase[] = ['pairs', 'sample', 'score'];
  const partition = job(
    (p) => {
      const a = attempt(p);
      const phase = (p.phase ?? 'pairs') as UnitPhase;
      return a && Number.isInteger(p.part) && phases.includes(phase) ? { ...a, part: p.part as number, phase } : null;
    },
    async (p, helpers) => {
      const job = { workerId: workerId(helpers), engine, queue: graphileSplitQueue };
      await ended(await executePartition(o.db, o.keys, p.runId, p.attempt, p.part, job, p.phase));
    },
  );
  const fit = job(attempt, async (p, helpers) => {
    const job = { workerId: workerId(helpers), engine, queue: graphileSplitQueue };
    await ended(await executeFit(o.db, p.runId, p.attempt, job));
  });
  const finish = job(attempt, async (p, helpers) => {
    const job = { workerId: workerId(helpers), engine, queue: graphileSplitQueue };
    await ended(await executeFinish(o.db, o.keys, p.runId, p.attempt, job));
  });
  const jobs = jobQueuePool(o.connectionString, o.logger);
  // Lock ids this worker took jobs under: stop() waits for their completions to land (see below). The
  // listener is there before either runner starts: a job taken in the first moments counts too.
  const lockIds = new Set<string>();
  const events = new EventEmitter() as WorkerEvents;
  events.on('job:start', ({ job }) => {
    if (job.locked_by) lockIds.add(job.locked_by);
  });
  const runnerFor = (taskList: TaskList, concurrency: number) =>
    run({
      pgPool: jobs.pool,
      events,
      concurrency,
      pollInterval: o.pollInterval ?? 2000,
      noHandleSignals: true,
      logger,
      taskList,
    });
  // Two runners on one pool: runs, and privacy reports one at a time beside them. A report takes seconds
  // to minutes of CPU; sharing one slot, a run queued behind a report waited for it whatever its priority.
  let runs: Runner;
  let reports: Runner;
  try {
    runs = await runnerFor(
      { [RUN_TASK]: first, [PARTITION_TASK]: partition, [FIT_TASK]: fit, [FINISH_TASK]: finish },
      o.concurrency ?? 1,
    );
    reports = await runnerFor({ [PRIVACY_REPORT_TASK]: reportTask }, 1).catch(async (err: unknown) => {
      await runs.stop();
      throw err;
    });
  } catch (err) {
    await jobs.end();
    throw err;
  }
  const utils = await makeWorkerUtils({ pgPool: jobs.pool, logger });
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
    runs,
    reports,
    sweep,
    stop: async () => {
      clearInterval(timer);
      stopping.abort();
      await sweeping;
      await Promise.all([runs.stop(), reports.stop()]);
      // graphile-worker issues a finished job's completion without awaiting it: let it land before the
      // pool ends, or the job stays locked until the sweeper releases it.
      await completionsLanded(o.db, [...lockIds]);
      await utils.release();
      await jobs.end();
    },
  };
}
