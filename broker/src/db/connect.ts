import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import {
  Kysely,
  PostgresDialect,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type TransactionSettings,
} from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: 'postgres' | 'pglite';
  close(): Promise<void>;
}

/**
 * PGlite is one session: kysely-pglite hands every caller the same connection, so two concurrent
 * transactions would interleave their statements. This driver lets one caller hold it at a time.
 */
class SerialisedDriver implements Driver {
  #inner: Driver;
  #queue: Promise<void> = Promise.resolve();
  constructor(inner: Driver) {
    this.#inner = inner;
  }
  init(): Promise<void> {
    return this.#inner.init();
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const previous = this.#queue;
    this.#queue = previous.then(() => held);
    await previous;
    const conn = await this.#inner.acquireConnection();
    releases.set(conn, release);
    return conn;
  }
  beginTransaction(c: DatabaseConnection, s: TransactionSettings): Promise<void> {
    return this.#inner.beginTransaction(c, s);
  }
  commitTransaction(c: DatabaseConnection): Promise<void> {
    return this.#inner.commitTransaction(c);
  }
  rollbackTransaction(c: DatabaseConnection): Promise<void> {
    return this.#inner.rollbackTransaction(c);
  }
  async releaseConnection(c: DatabaseConnection): Promise<void> {
    await this.#inner.releaseConnection(c);
    releases.get(c)?.();
    releases.delete(c);
  }
  destroy(): Promise<void> {
    return this.#inner.destroy();
  }
}
const releases = new WeakMap<DatabaseConnection, () => void>();

async function pgliteDialect(client: PGlite): Promise<Dialect> {
  // Loaded on demand: kysely-pglite pulls in its code generator too, which a PostgreSQL-backed broker
  // never needs. It is built against its own kysely copy; the dialect interface is the same at run time.
  const { KyselyPGlite } = await import('kysely-pglite');
  const base = new KyselyPGlite(client).dialect as unknown as Dialect;
  return {
    createAdapter: () => base.createAdapter(),
    createDriver: () => new SerialisedDriver(base.createDriver()),
    createIntrospector: (db) => base.createIntrospector(db),
    createQueryCompiler: () => base.createQueryCompiler(),
  };
}

/**
 * DATABASE_URL (postgres://…) selects a PostgreSQL server through pg; without it the broker keeps an
 * embedded PostgreSQL (PGlite) in `<dataDir>/pgdata`, so a fresh machine needs nothing installed.
 */
export async function openDatabase(opts: { url?: string | undefined; dataDir: string }): Promise<DatabaseHandle> {
  if (opts.url) {
    const pool = new pg.Pool({ connectionString: opts.url, max: 10 });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', close: () => db.destroy() };
  }
  const dir = join(opts.dataDir, 'pgdata');
  mkdirSync(dir, { recursive: true });
  const { PGlite } = await import('@electric-sql/pglite');
  const client = await PGlite.create({ dataDir: dir });
  const db = new Kysely<Database>({ dialect: await pgliteDialect(client) });
  return { db, kind: 'pglite', close: () => db.destroy() };
}
