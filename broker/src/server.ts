import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { openDatabase, type DatabaseHandle } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { startJobs, type BrokerJobs, type WorkerMode } from './jobs/start-jobs.js';
import type { Database } from './db/schema.js';
import { buildApp } from './http/app.js';
import { createCheckpointTimer, type CheckpointTimer } from './audit/checkpoint-timer.js';
import { createScheduler, type Scheduler } from './schedule/scheduler.js';
import { createLogger } from './logger.js';
import { certificateFingerprint, loadOrCreateCa, type CertificateAuthority } from './trust/ca.js';
import { loadOrCreateKey } from './trust/key-files.js';
import { loadOrCreateBrokerKeys, type BrokerKeyring } from './trust/keys.js';
import { loadOrIssueServerCertificate } from './trust/server-certificate.js';
import { mutualTlsServerOptions } from './trust/tls-options.js';

export interface BrokerConfig {
  dataDir: string;
  /** postgres://… to use a PostgreSQL server; unset for the embedded PGlite in dataDir. */
  databaseUrl?: string | undefined;
  host?: string;
  port?: number;
  bodyLimit?: number;
  logger?: FastifyBaseLogger;
  /** The operator's TLS certificate and key (production); without them the broker's CA issues one. */
  tls?: { certFile: string; keyFile: string } | undefined;
  /** Requests per minute per caller before 429. */
  rateLimit?: number;
  /** Where runs are linked (jobs/start-jobs.ts); default 'inline'. `serve` forks a worker process. */
  worker?: WorkerMode;
}

export interface RunningBroker {
  url: string;
  app: FastifyInstance;
  db: Kysely<Database>;
  database: DatabaseHandle;
  ca: CertificateAuthority;
  keys: BrokerKeyring;
  /** Runs nightly schedules while the broker serves; closed with the app. */
  scheduler: Scheduler;
  /** Signs the audit head at least once a minute while the trail grows; closed with the app. */
  checkpoints: CheckpointTimer;
  /** The job queue and this broker's own worker, if any. */
  jobs: BrokerJobs;
  /** PEM of the CA that issues the broker's and the agencies' certificates: clients pin it. */
  caCertificate: string;
  close(): Promise<void>;
}

export function keyDir(dataDir: string): string {
  return join(dataDir, 'keys');
}

/** The broker's secrets: CA, signing/sealing/data keys, JWT key. All on disk, none in the database. */
export async function loadBrokerSecrets(dataDir: string) {
  const dir = keyDir(dataDir);
  return {
    ca: loadOrCreateCa(dir),
    keys: await loadOrCreateBrokerKeys(dir),
    jwtKey: loadOrCreateKey(dir, 'jwt-signing.key'),
    pseudonymKey: loadOrCreateKey(dir, 'pseudonym-master.key'),
  };
}

/** Open storage, migrate, and listen over mutual TLS. The one way the CLI, tests and demo start a broker. */
export async function startBroker(cfg: BrokerConfig): Promise<RunningBroker> {
  const logger = cfg.logger ?? createLogger();
  // Only code and message: pg attaches the client (and so its connection settings) to the error.
  const onIdleError = (err: Error & { code?: string }) =>
    logger.warn(
      { code: err.code, message: err.message },
      'an idle database connection was lost; the pool opens another when needed',
    );
  const onInUseError = (err: Error & { code?: string }) =>
    logger.warn(
      { code: err.code, message: err.message },
      'a database connection in use was lost; its request fails with 503 and the pool opens another',
    );
  const database = await openDatabase({
    url: cfg.databaseUrl,
    dataDir: cfg.dataDir,
    onIdleError,
    onInUseError,
    owner: 'serve',
  });
  let jobs: BrokerJobs | undefined;
  try {
    await migrateToLatest(database.db);
    // The embedded database: operator commands reach it through this broker (db/embedded-owner.ts).
    await database.serve?.();
    // A run cut off by a crash is not failed here: it is a job, and a worker takes it up again (jobs/).
    const { ca, keys, jwtKey, pseudonymKey } = await loadBrokerSecrets(cfg.dataDir);
    jobs = await startJobs({
      mode: cfg.worker ?? 'inline',
      database,
      databaseUrl: cfg.databaseUrl,
      dataDir: cfg.dataDir,
      keys,
      logger,
    });
    const host = cfg.host ?? '127.0.0.1';
    const server = cfg.tls
      ? { certPem: readFileSync(cfg.tls.certFile, 'utf8'), keyPem: readFileSync(cfg.tls.keyFile, 'utf8') }
      : loadOrIssueServerCertificate(keyDir(cfg.dataDir), ca, {
          hostnames: ['localhost', ...(/^[\d.:]+$/.test(host) ? [] : [host])],
          ips: ['127.0.0.1', '::1', ...(/^[\d.:]+$/.test(host) && host !== '0.0.0.0' ? [host] : [])],
        });
    const app = await buildApp({
      db: database.db,
      jobs: jobs.queue,
      logger,
      jwtKey,
      keys,
      ca,
      pseudonymKey,
      https: mutualTlsServerOptions({ keyPem: server.keyPem, certPem: server.certPem, caPem: ca.certPem }),
      ...(cfg.bodyLimit ? { bodyLimit: cfg.bodyLimit } : {}),
      ...(cfg.rateLimit ? { rateLimit: cfg.rateLimit } : {}),
    });
    const scheduler = createScheduler({ db: database.db, keys, logger: app.log, jobs: jobs.queue });
    // Before the database closes: stop the timer and let a scheduled run under way be recorded.
    app.addHook('onClose', () => scheduler.close());
    const checkpoints = createCheckpointTimer({ db: database.db, keys, logger: app.log });
    app.addHook('onClose', () => checkpoints.close());
    const address = await app.listen({ host, port: cfg.port ?? 0 });
    scheduler.start();
    checkpoints.start();
    const started = jobs;
    return {
      url: address.replace('://0.0.0.0', '://127.0.0.1'),
      app,
      db: database.db,
      database,
      ca,
      keys,
      scheduler,
      checkpoints,
      jobs: started,
      caCertificate: ca.certPem,
      close: async () => {
        await app.close();
        // The run under way finishes and is stored before the database closes.
        await started.close();
        await database.close();
      },
    };
  } catch (err) {
    await jobs?.close();
    await database.close();
    throw err;
  }
}

export { certificateFingerprint };
