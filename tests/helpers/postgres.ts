import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The real PostgreSQL server tests run against (CI starts it; trust auth for user postgres). */
export const PG_ADMIN_URL = process.env.BLINDLINK_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh, empty database for one test run; drop() removes it. */
export async function freshPostgres(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `blindlink_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}
