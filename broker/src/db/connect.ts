import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { pgliteDialect } from './pglite-dialect.js';
import type { Database } from './schema.js';

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: 'postgres' | 'pglite';
  close(): Promise<void>;
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
