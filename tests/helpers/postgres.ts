import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { MACHINE_PG_URL, runServer } from './embedded-postgres.js';

/**
 * The real PostgreSQL server tests run against, as an admin URL (trust auth for user postgres): the one
 * BLINDLINK_TEST_PG names, else the embedded server tap's `before` script started for this run, else the
 * machine's at 127.0.0.1:5432.
 */
export const PG_ADMIN_URL = process.env.BLINDLINK_TEST_PG || runServer()?.url || MACHINE_PG_URL;

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
