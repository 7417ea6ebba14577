import type { FastifyBaseLogger } from 'fastify';
import type { DatabaseHandle } from '../db/connect.js';
import type { BrokerKeyring } from '../trust/keys.js';
import { startEmbeddedRunner, type EmbeddedRunner } from './embedded-runner.js';
import { forkWorker, type ForkedWorker } from './forked-worker.js';
import { migrateJobQueue, startJobWorker, type JobWorker } from './graphile-runner.js';
import { embeddedQueue, graphileQueue, NO_JOBS, type JobQueue } from './queue.js';
import { adoptWaitingReports } from '../privacy-reports/queue.js';

/**
 * Where a broker's runs are linked:
 * - 'fork' (`serve`): a child process running `blindlink-broker worker` (PostgreSQL);
 * - 'inline': graphile-worker in this process, the engine in a worker thread (tests; PostgreSQL);
 * - 'none' (`serve --no-worker`): only separate `blindlink-broker worker` processes link.
 * On the embedded database only the owning process can open the data, so 'fork' and 'inline' both
 * mean the owner's embedded runner (engine in a worker thread), and 'none' leaves runs queued.
 */
export type WorkerMode = 'fork' | 'inline' | 'none';

export interface BrokerJobs {
  queue: JobQueue;
  forked?: ForkedWorker;
  worker?: JobWorker;
  embedded?: EmbeddedRunner;
  close(): Promise<void>;
}

export async function startJobs(o: {
  mode: WorkerMode;
  database: DatabaseHandle;
  databaseUrl?: string | undefined;
  dataDir: string;
  keys: BrokerKeyring;
  logger: FastifyBaseLogger;
}): Promise<BrokerJobs> {
  if (o.database.kind === 'pglite' || !o.databaseUrl) {
    await adoptWaitingReports(o.database.db, NO_JOBS.enqueueReport);
    if (o.mode === 'none') return { queue: NO_JOBS, close: async () => {} };
    const embedded = startEmbeddedRunner({ db: o.database.db, keys: o.keys, logger: o.logger });
    return { queue: embeddedQueue(embedded.wake), embedded, close: () => embedded.stop() };
  }
  // The API queues with graphile_worker.add_job: its schema must exist before the first request.
  await migrateJobQueue(o.databaseUrl, o.logger);
  await adoptWaitingReports(o.database.db, graphileQueue.enqueueReport);
  if (o.mode === 'fork') {
    const forked = forkWorker({ dataDir: o.dataDir, databaseUrl: o.databaseUrl, logger: o.logger });
    return { queue: graphileQueue, forked, close: () => forked.stop() };
  }
  if (o.mode === 'inline') {
    const worker = await startJobWorker({
      connectionString: o.databaseUrl,
      db: o.database.db,
      keys: o.keys,
      logger: o.logger,
    });
    return { queue: graphileQueue, worker, close: () => worker.stop() };
  }
  return { queue: graphileQueue, close: async () => {} };
}
