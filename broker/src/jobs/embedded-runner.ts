import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { executeRun, type EngineCallRunner } from '../runs/runs.js';
import type { BrokerKeyring } from '../trust/keys.js';
import { recordScheduledRunEnd } from './after-run.js';
import { threadCall } from './engine-thread.js';

export interface EmbeddedRunner {
  /** Look for queued runs now (the API just queued one). */
  wake(): void;
  /** Finish the run under way, then stop. */
  stop(): Promise<void>;
  /** Resolves when no run is queued and none is being linked (tests). */
  idle(): Promise<void>;
}

/**
 * Runs on the embedded database (PGlite), where one process owns the data and no other process can
 * take jobs: the owner links queued runs one at a time, oldest first, with the engine in a worker
 * thread so the API stays responsive, through the same job code (executeRun) as graphile-worker's
 * workers. The run table is the queue. A run still 'running' at startup was cut off by a crash or kill
 * of the only process that could run it: it is taken up again as a new attempt.
 */
export function startEmbeddedRunner(o: {
  db: Kysely<Database>;
  keys: BrokerKeyring;
  logger: FastifyBaseLogger;
  engine?: EngineCallRunner;
  pollMs?: number;
}): EmbeddedRunner {
  let stopped = false;
  let loop: Promise<void> | null = null;
  let again = false;
  const idleWaiters: (() => void)[] = [];

  const next = () =>
    o.db
      .selectFrom('run')
      .select('id')
      .where('status', 'in', ['queued', 'running'])
      .orderBy('started_at')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();

  const drain = async () => {
    do {
      again = false;
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
    } while (again && !stopped);
  };

  const wake = () => {
    if (stopped) return;
    if (loop) {
      again = true;
      return;
    }
    loop = drain()
      .catch((err: unknown) => o.logger.error({ err }, 'the run queue could not be read'))
      .finally(() => {
        loop = null;
        for (const f of idleWaiters.splice(0)) f();
      });
  };
  const timer = setInterval(wake, o.pollMs ?? 5000);
  timer.unref();
  wake();
  return {
    wake,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await loop;
    },
    idle: () => (loop ? new Promise<void>((r) => idleWaiters.push(r)) : Promise.resolve()),
  };
}
