import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { pgliteDialect, type DriverHandle } from './pglite-dialect.js';
import { describeHolder, serveEmbedded, SOCKET_PORT, takeLock, type ServedSocket } from './embedded-owner.js';
import type { Database } from './schema.js';

export interface DatabaseHandle {
  db: Kysely<Database>;
  /** 'pglite-client': the embedded database of a running broker, reached through its socket. */
  kind: 'postgres' | 'pglite' | 'pglite-client';
  /** The embedded database's owner only: offer it to other processes (embedded-owner.ts). */
  serve?: () => Promise<ServedSocket>;
  /** Resolves once every connection is closed, not merely asked to close. */
  close(): Promise<void>;
}

/** application_name of the broker's pooled PostgreSQL sessions (pg_stat_activity shows it). */
export const BROKER_APPLICATION_NAME = 'blindlink-broker';

/**
 * Follows every connection a pool opens: the function returned resolves once each one's socket has
 * ended (call it after pool.end(), which resolves once they are only told to close).
 */
export function trackConnections(pool: pg.Pool): () => Promise<void> {
  const open = new Set<Promise<void>>();
  pool.on('connect', (client) => {
    const ended: Promise<void> = new Promise((resolve) =>
      client.once('end', () => {
        open.delete(ended);
        resolve();
      }),
    );
    open.add(ended);
  });
  return async () => {
    await Promise.all(open);
  };
}

/**
 * pg's Pool.end() resolves once its clients are told to close, not once they have. A backend killed in
 * that gap (drop database … with (force), a server restart) still sends its client a FATAL error, which
 * the pool re-emits as 'error': with no listener that ends the process. So idle-client errors go to
 * onIdleError (the pool has already discarded that client and opens another on demand), and close waits
 * for each connection's socket to end.
 */
function postgresDatabase(
  url: string,
  onIdleError: (err: Error) => void,
  onInUseError: (err: Error) => void,
): DatabaseHandle {
  // Named, so an operator (and a test) can tell the broker's own sessions from its job queue's.
  const pool = new pg.Pool({ connectionString: url, max: 10, application_name: BROKER_APPLICATION_NAME });
  pool.on('error', onIdleError);
  const closed = trackConnections(pool);
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
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    kind: 'postgres',
    close: async () => {
      await db.destroy();
      await closed();
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
  owner?: string;
}): Promise<DatabaseHandle> {
  if (opts.url) return postgresDatabase(opts.url, opts.onIdleError ?? (() => {}), opts.onInUseError ?? (() => {}));
  return openEmbedded(opts.dataDir, opts.owner ?? process.argv.slice(2, 4).join(' '), opts.onIdleError ?? (() => {}));
}

/**
 * The embedded database, with one owner (embedded-owner.ts): open it ourselves when its lock is free;
 * when a broker serves it, connect through that broker's socket; otherwise refuse, naming the holder.
 * `serve` (owner 'serve') never goes through another broker: a second serve on one data dir is refused.
 */
async function openEmbedded(
  dataDir: string,
  command: string,
  onIdleError: (err: Error) => void,
  startWaitMs = 120_000,
): Promise<DatabaseHandle> {
  let lock = takeLock(dataDir, command);
  // A broker that is starting (migrating) holds the lock before it serves: give it time to.
  for (
    const until = Date.now() + startWaitMs;
    !lock.held && command !== 'serve' && lock.by.command === 'serve' && !lock.by.socketDir && Date.now() < until;
  ) {
    await new Promise((r) => setTimeout(r, 250));
    lock = takeLock(dataDir, command);
  }
  if (!lock.held) {
    if (command === 'serve' || !lock.by.socketDir) {
      throw new Error(
        command === 'serve' && lock.by.socketDir
          ? `the embedded database in ${dataDir} is already served by broker process ${lock.by.pid} on ` +
              `${lock.by.host} (since ${lock.by.since}): ` +
              `stop it first, or run operator commands against it as they are`
          : describeHolder(dataDir, lock.by),
      );
    }
    // A broker serves it: be its PostgreSQL client, one connection (the broker admits one at a time).
    const pool = new pg.Pool({
      host: lock.by.socketDir,
      port: SOCKET_PORT,
      user: 'postgres',
      database: 'postgres',
      max: 1,
    });
    pool.on('error', onIdleError);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'pglite-client', close: () => db.destroy() };
  }
  try {
    const dir = join(dataDir, 'pgdata');
    mkdirSync(dir, { recursive: true });
    const { PGlite } = await import('@electric-sql/pglite');
    const client = await PGlite.create({ dataDir: dir });
    const handle: DriverHandle = {};
    const db = new Kysely<Database>({ dialect: await pgliteDialect(client, handle) });
    let served: ServedSocket | null = null;
    return {
      db,
      kind: 'pglite',
      serve: async () => {
        // The driver exists once kysely has made it (on first use).
        await db.selectNoFrom((eb) => eb.val(1).as('one')).execute();
        served = await serveEmbedded(client, dataDir, { hold: () => handle.driver!.hold() });
        lock.update({ socketDir: served.socketDir });
        return served;
      },
      close: async () => {
        try {
          await served?.close();
          await db.destroy();
        } finally {
          lock.release();
        }
      },
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}
