import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { executeRun, type EngineCallRunner } from '../runs/runs.js';
import type { BrokerKeyring } from '../trust/keys.js';
import { recordScheduledRunEnd } from './after-run.js';
import { threadCall } from './engine-thread.js';
import { executePrivacyReport, type ReportRunner } from '../privacy-reports/execute.js';
import { threadReport } from './privacy-thread.js';

/** After a failed attempt, a report waits this long times 2^(attempts − 1) before the next (at most 5 min). */
const REPORT_RETRY_MS = 2000;

export interface EmbeddedRunner {
  /** Look for queued runs and privacy reports now (the API just queued one). */
  wake(): void;
  /** Finish the run under way (a privacy report under way is queued again for the next start), then stop. */
  stop(): Promise<void>;
  /** Resolves when no run or report is queued and none is being worked on (tests). */
  idle(): Promise<void>;
}

/**
 * Runs on the embedded database (PGlite), where one process owns the data and no other process can
 * take jobs: the owner links queued runs one at a time, oldest first, with the engine in a worker
 * thread so the API stays responsive, through the same job code (executeRun) as graphile-worker's
 * workers. The run table is the queue. A run still 'running' at startup was cut off by a crash or kill
 * of the only process that could run it: it is taken up again as a new attempt. Privacy reports
 * likewise (their table is their queue), one at a time in a lane of their own beside the runs' (a run
 * never waits for a report), each failed one again after a pause until its attempts are used up.
 */
export function startEmbeddedRunner(o: {
  db: Kysely<Database>;
  keys: BrokerKeyring;
  logger: FastifyBaseLogger;
  engine?: EngineCallRunner;
  report?: ReportRunner;
  pollMs?: number;
}): EmbeddedRunner {
  let stopped = false;
  // Aborted by stop(): a report under way is handed back, not waited for (privacy-reports/execute.ts).
  const stopping = new AbortController();
  const next = () =>
    o.db
      .selectFrom('run')
      .select('id')
      .where('status', 'in', ['queued', 'running'])
      .orderBy('started_at')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();

  const nextReport = async () => {
    const rows = await o.db
      .selectFrom('privacy_report')
      .select(['submission_id', 'status', 'attempts', 'max_attempts', 'finished_at'])
      .where((eb) =>
        eb.or([
          eb('status', 'in', ['queued', 'running']),
          eb.and([eb('status', '=', 'failed'), eb('attempts', '<', eb.ref('max_attempts'))]),
        ]),
      )
      .orderBy('created_at')
      .orderBy('submission_id')
      .execute();
    const now = Date.now();
    return rows.find(
      (r) =>
        r.status !== 'failed' ||
        (r.finished_at?.getTime() ?? 0) + Math.min(REPORT_RETRY_MS * 2 ** (r.attempts - 1), 300_000) <= now,
    );
  };

  const reportOne = async (r: { submission_id: string; attempts: number; max_attempts: number }) => {
    const outcome = await executePrivacyReport(o.db, o.keys, r.submission_id, {
      attempt: r.attempts + 1,
      maxAttempts: r.max_attempts,
      compute: o.report ?? threadReport,
      workerId: `embedded:${process.pid}`,
      signal: stopping.signal,
    });
    o.logger.info({ submissionId: r.submission_id, status: outcome.status }, `privacy report ${outcome.status}`);
  };

  const drainRuns = async () => {
    for (let r = await next(); r && !stopped; r = await next()) {
      try {
        const result = await executeRun(o.db, o.keys, r.id, {
          workerId: `embedded:${process.pid}`,
          engine: o.engine ?? threadCall,
        });
        await recordScheduledRunEnd(o.db, result);
        o.logger.info({ runId: r.id, status: result.status, mode: result.mode }, `run ${result.status}`);
      } catch (err) {
        // Storage trouble: leave the run for the next wake rather than spin on it.
        o.logger.error({ err, runId: r.id }, 'linking a run failed; it is tried again at the next pass');
        break;
      }
    }
  };

  // Reports take seconds to minutes of CPU: in a lane of their own, a run queued behind one starts at once.
  const runs = lane(
    drainRuns,
    () => stopped,
    (err) => o.logger.error({ err }, 'the run queue could not be read'),
  );
  const reports = lane(
    async () => {
      for (let r = await nextReport(); r && !stopped; r = await nextReport()) {
        try {
          await reportOne(r);
        } catch (err) {
          o.logger.error(
            { err, submissionId: r.submission_id },
            'a privacy report could not be stored; tried again later',
          );
          break;
        }
      }
    },
    () => stopped,
    (err) => o.logger.error({ err }, 'the privacy report queue could not be read'),
  );
  const wake = () => {
    runs.wake();
    reports.wake();
  };
  const timer = setInterval(wake, o.pollMs ?? 5000);
  timer.unref();
  wake();
  return {
    wake,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      stopping.abort();
      await Promise.all([runs.loop(), reports.loop()]);
    },
    // Idle only when both lanes are at once: a run's end can queue nothing, but a lane may be woken
    // while the other drains, so wait until a check finds both still.
    idle: async () => {
      while (runs.busy() || reports.busy()) await Promise.all([runs.idle(), reports.idle()]);
    },
  };
}

/**
 * One queue drained by one loop: a wake while it drains asks for one more pass, never a second loop.
 */
function lane(drain: () => Promise<void>, stopped: () => boolean, failed: (err: unknown) => void) {
  let loop: Promise<void> | null = null;
  let again = false;
  const idleWaiters: (() => void)[] = [];
  const passes = async () => {
    do {
      again = false;
      await drain();
    } while (again && !stopped());
  };
  return {
    wake: () => {
      if (stopped()) return;
      if (loop) {
        again = true;
        return;
      }
      loop = passes()
        .catch(failed)
        .finally(() => {
          loop = null;
          for (const f of idleWaiters.splice(0)) f();
        });
    },
    busy: () => loop !== null,
    loop: () => loop ?? Promise.resolve(),
    idle: () => (loop ? new Promise<void>((r) => idleWaiters.push(r)) : Promise.resolve()),
  };
}
