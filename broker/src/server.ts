import { join } from 'node:path';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { openDatabase, type DatabaseHandle } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import type { Database } from './db/schema.js';
import { buildApp } from './http/app.js';
import { loadOrCreateKey } from './keys.js';
import { createLogger } from './logger.js';

export interface BrokerConfig {
  dataDir: string;
  /** postgres://… to use a PostgreSQL server; unset for the embedded PGlite in dataDir. */
  databaseUrl?: string | undefined;
  host?: string;
  port?: number;
  bodyLimit?: number;
  logger?: FastifyBaseLogger;
}

export interface RunningBroker {
  url: string;
  app: FastifyInstance;
  db: Kysely<Database>;
  database: DatabaseHandle;
  close(): Promise<void>;
}

export function keyDir(dataDir: string): string {
  return join(dataDir, 'keys');
}

/** Open storage, migrate, and listen. The one way both the CLI and the tests start a broker. */
export async function startBroker(cfg: BrokerConfig): Promise<RunningBroker> {
  const database = await openDatabase({ url: cfg.databaseUrl, dataDir: cfg.dataDir });
  try {
    await migrateToLatest(database.db);
    const app = await buildApp({
      db: database.db,
      logger: cfg.logger ?? createLogger(),
      jwtKey: loadOrCreateKey(keyDir(cfg.dataDir), 'jwt-signing.key'),
      ...(cfg.bodyLimit ? { bodyLimit: cfg.bodyLimit } : {}),
    });
    const address = await app.listen({ host: cfg.host ?? '127.0.0.1', port: cfg.port ?? 0 });
    return {
      url: address,
      app,
      db: database.db,
      database,
      close: async () => {
        await app.close();
        await database.close();
      },
    };
  } catch (err) {
    await database.close();
    throw err;
  }
}
