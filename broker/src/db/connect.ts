import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { pgliteDialect } from './pglite-dialect.js';
import type { Database } from './schema.js';

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: 'postgres' | 'pglite';
  /** Resolves once every connection is closed, not merely asked to close. */
  close(): Promise<void>;
}

/**
 * pg's Pool.end() resolves once its clients are told to close, not once they have. A backend killed in
 * that gap (drop database … with (force), a server restart) still sends its client a FATAL error, which
 * the pool re-emits as 'error': with no listener that ends the process. So idle-client errors go to
 * onIdleError (the pool has already discarded that client and opens another on demand), and close waits
 * for each connection's socket to end.
 */
function postgresDatabase(url: string, onIdleError: (err: Error) => void, onInUseError: (err: Error) => void): DatabaseHandle {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pool.on('error', onIdleError);
  const open = new Set<Promise<void>>();
  const checkedOut = new WeakSet<pg.PoolClient>();
  pool.on('acquire', (client) => checkedOut.add(client));
  pool.on('release', (_err: Error | undefined, client: pg.PoolClient) => checkedOut.delete(client));
  pool.on('connect', (client) => {
    // pg-pool listens for a client's 'error' only while the client is idle in the pool. A backend that
    // ends while its client is checked out (in a transaction between statements, or with a ROLLBACK
    // queued behind the statement that failed) emits 'error' on the client with no other listener,
    // which would end the process. The statement in flight already failed with its own error (a 503
    // to the request); the client is no longer queryable, so the pool discards it on release and
    // opens another. This listener only keeps the process alive and reports it.
    client.on('error', (err: Error) => {
      if (checkedOut.has(client)) onInUseError(err);
    });
    const ended: Promise<void> = new Promise((resolve) =>
      client.once('end', () => {
        open.delete(ended);
        resolve();
      }),
    );
    open.add(ended);
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    kind: 'postgres',
    close: async () => {
      await db.destroy();
      await Promise.all(open);
    },
  };
}

/**
 * DATABASE_URL (postgres://…) selects a PostgreSQL server through pg; without it the broker keeps an
 * embedded PostgreSQL (PGlite) in `<dataDir>/pgdata`, so a fresh machine needs nothing installed.
 * onIdleError hears of pooled PostgreSQL connections lost while idle; without it they are dropped
 * silently, as the next query opens a fresh connection (or fails with its own error).
 */
export async function openDatabase(opts: {
  url?: string | undefined;
  dataDir: string;
  onIdleError?: (err: Error) => void;
  /** Hears of a pooled PostgreSQL connection lost while a request or job was using it. */
  onInUseError?: (err: Error) => void;
}): Promise<DatabaseHandle> {
  if (opts.url) return postgresDatabase(opts.url, opts.onIdleError ?? (() => {}), opts.onInUseError ?? (() => {}));
  const dir = join(opts.dataDir, 'pgdata');
  mkdirSync(dir, { recursive: true });
  const { PGlite } = await import('@electric-sql/pglite');
  const client = await PGlite.create({ dataDir: dir });
  const db = new Kysely<Database>({ dialect: await pgliteDialect(client) });
  return { db, kind: 'pglite', close: () => db.destroy() };
}
