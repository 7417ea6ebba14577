import type { PGlite, Results } from '@electric-sql/pglite';
import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryResult, TransactionSettings } from 'kysely';

/**
 * kysely reads affected rows from `numAffectedRows`; PGlite reports them as `rowCount` (the command
 * tag's count), so kysely-pglite's raw results made every UPDATE/DELETE/INSERT look like 0 rows.
 * Same rule as kysely's own PostgreSQL driver: only write commands carry a count.
 */
export function kyselyResult<R>(r: Results<R>): QueryResult<R> {
  const writes = r.command === 'INSERT' || r.command === 'UPDATE' || r.command === 'DELETE' || r.command === 'MERGE';
  return writes ? { rows: r.rows, numAffectedRows: BigInt(r.rowCount ?? r.affectedRows ?? 0) } : { rows: r.rows };
}

class CountingConnection implements DatabaseConnection {
  constructor(readonly inner: DatabaseConnection) {}
  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    return kyselyResult((await this.inner.executeQuery(q)) as unknown as Results<R>);
  }
  streamQuery<R>(q: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery(q, chunkSize);
  }
}

/**
 * PGlite is one session: kysely-pglite hands every caller the same connection, so two concurrent
 * transactions would interleave their statements. This driver lets one caller hold it at a time,
 * and reports affected rows the way kysely expects.
 */
class SerialisedDriver implements Driver {
  #inner: Driver;
  #queue: Promise<void> = Promise.resolve();
  #releases = new WeakMap<DatabaseConnection, () => void>();
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
    const conn = new CountingConnection(await this.#inner.acquireConnection());
    this.#releases.set(conn, release);
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
  /** Hold the session for something other than a query (a socket client, embedded-owner.ts). */
  async hold(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const previous = this.#queue;
    this.#queue = previous.then(() => held);
    await previous;
    return release;
  }
  async releaseConnection(c: DatabaseConnection): Promise<void> {
    await this.#inner.releaseConnection((c as CountingConnection).inner);
    this.#releases.get(c)?.();
    this.#releases.delete(c);
  }
  destroy(): Promise<void> {
    return this.#inner.destroy();
  }
}

/** The driver a dialect made, so its owner can hold the session (see SerialisedDriver.hold). */
export interface DriverHandle {
  driver?: { hold(): Promise<() => void> };
}

export async function pgliteDialect(client: PGlite, handle: DriverHandle = {}): Promise<Dialect> {
  // Loaded on demand: kysely-pglite pulls in its code generator too, which a PostgreSQL-backed broker
  // never needs. It is built against its own kysely copy; the dialect interface is the same at run time.
  const { KyselyPGlite } = await import('kysely-pglite');
  const base = new KyselyPGlite(client).dialect as unknown as Dialect;
  return {
    createAdapter: () => base.createAdapter(),
    createDriver: () => (handle.driver = new SerialisedDriver(base.createDriver())),
    createIntrospector: (db) => base.createIntrospector(db),
    createQueryCompiler: () => base.createQueryCompiler(),
  };
}
