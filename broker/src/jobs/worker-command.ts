import { hostname } from 'node:os';
import { loadExistingBrokerKeys } from '../audit/broker-key.js';
import { openDatabase } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { createLogger } from '../logger.js';
import { startJobWorker } from './graphile-runner.js';

/**
 * `blindlink-broker worker`: link queued runs until told to stop. Needs DATABASE_URL (the database the
 * brokers share) and the broker's keys in <data-dir>/keys (copied from the broker: a worker decrypts
 * encodings, so it holds the data key and is part of the broker). SIGTERM, SIGINT, or the end of the
 * parent `serve` that forked it, finish the run under way and then exit.
 */
export async function runWorkerCommand(o: {
  dataDir: string;
  keyDir: string;
  concurrency: number;
  staleAfterMs?: number;
}): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url)
    throw new Error(
      'a worker needs DATABASE_URL=postgres://… (the database the brokers share); on the embedded ' +
        'database `serve` links runs itself',
    );
  const keys = await loadExistingBrokerKeys(o.keyDir);
  const logger = createLogger();
  const h = await openDatabase({
    url,
    dataDir: o.dataDir,
    onIdleError: (err: Error & { code?: string }) =>
      logger.warn({ code: err.code, message: err.message }, 'an idle database connection was lost'),
  });
  await migrateToLatest(h.db);
  const worker = await startJobWorker({
    connectionString: url,
    db: h.db,
    keys,
    logger,
    concurrency: o.concurrency,
    ...(o.staleAfterMs ? { staleAfterMs: o.staleAfterMs } : {}),
  });
  process.stderr.write(
    `blindlink-broker worker ${hostname()}:${process.pid} linking queued runs (concurrency ${o.concurrency})\n`,
  );
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      await worker.stop();
      await h.close();
      process.exit(0);
    })());
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // Forked by `serve`: when serve is gone, so is the reason to run.
  if (process.send) process.once('disconnect', stop);
}
