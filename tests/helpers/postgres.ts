import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createLogger, startBroker } from '@blindlink/broker';
import { schemaDigest } from './embedded-template.js';
import { MACHINE_PG_URL, runServer } from './embedded-postgres.js';

/**
 * The real PostgreSQL server tests run against, as an admin URL (trust auth for user postgres): the one
 * BLINDLINK_TEST_PG names, else the embedded server tap's `before` script started for this run, else the
 * machine's at 127.0.0.1:5432.
 */
export const PG_ADMIN_URL = process.env.BLINDLINK_TEST_PG || runServer()?.url || MACHINE_PG_URL;

const urlOf = (name: string) => {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
};

async function withAdmin<T>(fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

let template: Promise<string> | undefined;

/**
 * A database a broker has migrated (its tables and graphile-worker's), for test databases to be copied
 * from: a fresh database's migrations cost seconds of DDL and commits on a busy server, a copy a fraction
 * of that. One per server and schema (blindlink_tpl_<digest of the migrations and graphile-worker>), made
 * under a private name and published by a rename, so parallel test files share it.
 */
function migratedTemplate(): Promise<string> {
  template ??= withAdmin(async (admin) => {
    const name = `blindlink_tpl_${schemaDigest('graphile-worker')}`;
    if ((await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount) return name;
    const build = `blindlink_tpl_build_${randomBytes(6).toString('hex')}`;
    await admin.query(`create database ${build}`);
    const dataDir = mkdtempSync(join(tmpdir(), 'blindlink-test-pg-template-'));
    try {
      const broker = await startBroker({
        dataDir,
        databaseUrl: urlOf(build),
        logger: createLogger('silent'),
        worker: 'none',
      });
      await broker.close();
      for (let tries = 0; ; tries++) {
        try {
          await admin.query(`alter database ${build} rename to ${name}`);
          return name;
        } catch (e) {
          const code = (e as { code?: string }).code;
          if (code === '42P04') return name; // another test file published it first
          // 55006: a connection of the broker's still ending.
          if (code !== '55006' || tries >= 100) throw e;
          await sleep(100);
        }
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      await admin.query(`drop database if exists ${build} with (force)`);
    }
  });
  return template;
}

/**
 * A fresh database for one test run, already migrated (a copy of the template above; an empty one if
 * the copy fails, which the broker then migrates itself), or empty when asked (the end-to-end test, where
 * a first install's migrations are part of the path); drop() removes it.
 */
export async function freshPostgres(
  opts: { empty?: boolean } = {},
): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `blindlink_t_${randomBytes(6).toString('hex')}`;
  const from = opts.empty ? null : await migratedTemplate().catch(() => null);
  await withAdmin(async (admin) => {
    try {
      if (from) return void (await admin.query(`create database ${name} template ${from}`));
    } catch {
      // The template in use, or dropped by hand: an empty database, which the broker migrates.
    }
    await admin.query(`create database ${name}`);
  });
  return {
    url: urlOf(name),
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
