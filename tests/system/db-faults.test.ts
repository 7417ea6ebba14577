import { request as httpsRequest, type Agent } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import {
  AUDIT_APPEND_ATTEMPTS,
  createLogger,
  createScheduler,
  isConnectionLost,
  verifyAuditChain,
  type Database,
} from '@blindlink/broker';
import { CA_CERT_FILE } from '@blindlink/broker/trust';
import { mtlsAgent } from '@blindlink/agency-client/identity';
import { testBroker } from '../helpers/in-process.js';
import type { Json } from '../helpers/json.js';
import { freshPostgres, PG_ADMIN_URL } from '../helpers/postgres.js';
import { startBrokerProcess } from '../helpers/processes.js';

const LOGIN = { username: 'iggy', password: 'correct horse battery staple 42' };

interface Answer {
  status: number;
  retryAfter: string | undefined;
  json: Json;
}

/** One HTTPS request, keeping the headers this test needs. */
function send(base: string, agent: Agent, method: string, path: string, body?: unknown): Promise<Answer> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      new URL(path, base),
      {
        method,
        agent,
        headers: payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let json: Json;
          try {
            json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined, json });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Another session on the broker's database takes an exclusive lock on a table and keeps it, so that
 * the broker's statements on that table wait, their connections in use; then every broker session is
 * terminated, as a server restart, failover or idle timeout would.
 */
async function lockHolder(url: string, table: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  c.on('error', () => {});
  const pid = (await c.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
  const name = (await c.query<{ name: string }>('select current_database() as name')).rows[0]!.name;
  await c.query('begin');
  await c.query(`lock table ${table} in access exclusive mode`);
  const others = `from pg_stat_activity where datname = $1 and pid <> $2`;
  // Inside a transaction pg_stat_activity is a snapshot taken at its first read: clear it each time.
  const fresh = () => c.query('select pg_stat_clear_snapshot()');
  return {
    /** Resolves once n of the broker's sessions are waiting for the lock. */
    waiters: async (n: number) => {
      for (;;) {
        await fresh();
        const { rows } = await c.query<{ n: number }>(
          `select count(*)::int as n ${others} and wait_event_type = 'Lock'`,
          [name, pid],
        );
        if (rows[0]!.n >= n) return;
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    terminateOthers: async () => {
      await fresh();
      return (await c.query(`select pg_terminate_backend(pid) ${others}`, [name, pid])).rowCount ?? 0;
    },
    release: async () => {
      await c.query('commit');
      await c.end();
    },
  };
}

async function databaseUrlOf(db: Kysely<Database>, base: string): Promise<string> {
  const name = (await sql<{ name: string }>`select current_database() as name`.execute(db)).rows[0]!.name;
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

t.test(
  'connections terminated while in use: 503 with Retry-After, the broker stays up, the next request succeeds',
  async (t) => {
    const b = await testBroker(t, 'postgres');
    const url = await databaseUrlOf(b.db, PG_ADMIN_URL);
    const agent = b.agent();
    const crashes: unknown[] = [];
    const onCrash = (err: unknown) => crashes.push(err);
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
    t.teardown(() => {
      process.off('uncaughtException', onCrash);
      process.off('unhandledRejection', onCrash);
    });

    // The audit append (onSend) waits on the lock: its connection dies mid-statement. The hook tries
    // again on a fresh connection (which waits on the lock again), and that one dies too, every time.
    const audit = await lockHolder(url, 'audit_log');
    const pending = Array.from({ length: 5 }, () => send(b.url, agent, 'GET', '/v1/broker'));
    for (let attempt = 1; attempt <= AUDIT_APPEND_ATTEMPTS; attempt++) {
      await audit.waiters(5);
      t.ok((await audit.terminateOthers()) >= 5, `the appends' sessions are terminated while they wait (${attempt})`);
    }
    const answers = await Promise.all(pending);
    await audit.release();
    for (const a of answers) {
      t.equal(a.status, 503, 'a request whose audit append lost its connection: 503');
      t.equal(a.json?.error?.code, 'database-unavailable');
      t.equal(a.retryAfter, '2', 'with Retry-After');
    }
    t.notOk(
      answers.some((a) => a.json?.caCertificate),
      'nothing is released unaudited',
    );

    // Killed once only, the append succeeds on its second try: the request is answered and audited.
    const once = await lockHolder(url, 'audit_log');
    const absorbed = send(b.url, agent, 'GET', '/v1/broker');
    await once.waiters(1);
    await once.terminateOthers();
    await once.release();
    t.equal((await absorbed).status, 200, 'an append whose connection died once is retried and the reply released');

    // The handler's own statement waits on the lock: the error handler answers.
    const people = await lockHolder(url, 'person');
    const logins = Array.from({ length: 3 }, () => send(b.url, agent, 'POST', '/v1/login', LOGIN));
    await people.waiters(3);
    t.ok((await people.terminateOthers()) >= 3, "the logins' sessions are terminated mid-query");
    const loginAnswers = await Promise.all(logins);
    await people.release();
    t.same(
      loginAnswers.map((a) => [a.status, a.json?.error?.code, a.retryAfter]),
      Array(3).fill([503, 'database-unavailable', '2']),
      'each login: 503 database-unavailable, Retry-After 2',
    );
    const audited = await b.db.selectFrom('audit_log').select(['status', 'reason']).where('status', '=', 503).execute();
    t.equal(
      audited.length,
      3,
      'the failed logins are audited (on a fresh connection if the pool first offered a dead one)',
    );
    t.ok(
      audited.every((r) => r.reason.startsWith('database-unavailable')),
      'with their code',
    );
    t.equal((await verifyAuditChain(b.db)).broken, null, 'the audit chain verifies');

    // Every session of the database terminated over and over while requests keep coming: each gets an
    // answer, 200 or 503 with Retry-After, and never anything else.
    const killer = new pg.Client({ connectionString: url });
    await killer.connect();
    killer.on('error', () => {});
    let killing = true;
    const killerPid = (await killer.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    const killLoop = (async () => {
      while (killing) {
        await killer.query(
          'select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> $1',
          [killerPid],
        );
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const storm: Answer[] = [];
    for (let round = 0; round < 4; round++) {
      storm.push(
        ...(await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            i % 2
              ? send(b.url, agent, 'POST', '/v1/login', { username: 'nobody', password: 'not a password at all' })
              : send(b.url, agent, 'GET', '/v1/broker'),
          ),
        )),
      );
    }
    killing = false;
    await killLoop;
    await killer.end();
    const odd = storm.filter(
      (a) =>
        !(
          a.status === 200 ||
          a.status === 401 ||
          (a.status === 503 && a.json?.error?.code === 'database-unavailable' && a.retryAfter === '2')
        ),
    );
    t.same(
      odd.map((a) => [a.status, a.json?.error?.code]),
      [],
      `under repeated termination, ${storm.length} requests each answered as usual or 503 with ` +
        `Retry-After (${storm.filter((a) => a.status === 503).length} were 503)`,
    );

    // The pool has replaced its connections.
    t.equal((await send(b.url, agent, 'GET', '/v1/broker')).status, 200, 'the next request succeeds');
    t.equal((await send(b.url, agent, 'POST', '/v1/login', LOGIN)).status, 200, 'and a login');
    t.same(crashes, [], 'no uncaught exception or unhandled rejection');
    const logs = b.logs.join('');
    t.match(logs, /"code":"57P01"/, "the loss is logged with the server's code");
    t.notMatch(logs, /postgres:\/\/|"client"|"password"/, 'and no connection settings or credentials');
  },
);

t.test('a separate broker process survives its connections being terminated in use', async (t) => {
  const database = await freshPostgres();
  const dataDir = t.testdir({});
  const broker = await startBrokerProcess(['--data-dir', dataDir], { DATABASE_URL: database.url });
  const agent = mtlsAgent({ caPem: readFileSync(join(dataDir, 'keys', CA_CERT_FILE), 'utf8') });
  t.teardown(async () => {
    agent.destroy();
    await broker.stop();
    await database.drop();
  });
  t.equal((await send(broker.url, agent, 'GET', '/v1/broker')).status, 200, 'serving');
  for (let round = 1; round <= 2; round++) {
    const holder = await lockHolder(database.url, 'audit_log');
    const pending = Array.from({ length: 4 }, () => send(broker.url, agent, 'GET', '/v1/broker'));
    for (let attempt = 1; attempt <= AUDIT_APPEND_ATTEMPTS; attempt++) {
      await holder.waiters(4);
      await holder.terminateOthers();
    }
    const answers = await Promise.all(pending);
    await holder.release();
    t.same(
      answers.map((a) => [a.status, a.json?.error?.code, a.retryAfter]),
      Array(4).fill([503, 'database-unavailable', '2']),
      `round ${round}: each request 503 with Retry-After`,
    );
    t.equal(
      (await send(broker.url, agent, 'GET', '/v1/broker')).status,
      200,
      `round ${round}: the next request succeeds`,
    );
  }
  t.equal(broker.child.exitCode, null, 'the process is still running');
  t.notMatch(broker.logs(), /Unhandled 'error' event|uncaught/i, 'and never reported an unhandled error');
});

t.test(
  'a failing scheduler pass is logged without identifiers and retried, never an unhandled rejection',
  async (t) => {
    const lines: string[] = [];
    const logger = createLogger(
      'debug',
      new Writable({
        write: (chunk, _enc, cb) => {
          lines.push(String(chunk));
          cb();
        },
      }),
    );
    // A database whose every statement fails as a lost connection does; pg hangs the statement's
    // detail (here a name) on the error.
    const lost = () =>
      Object.assign(new Error('terminating connection due to administrator command'), {
        code: '57P01',
        detail: 'Key (owner)=(siobhan.abernathy)',
        parameters: ['siobhan.abernathy'],
      });
    const failing: unknown = new Proxy(() => failing, {
      get: (_target, prop) =>
        prop === 'then'
          ? undefined
          : prop === 'execute' || prop === 'executeTakeFirst' || prop === 'executeTakeFirstOrThrow'
            ? () => Promise.reject(lost())
            : failing,
      apply: () => failing,
    });
    const rejections: unknown[] = [];
    const onRejection = (err: unknown) => rejections.push(err);
    process.on('unhandledRejection', onRejection);
    t.teardown(() => process.off('unhandledRejection', onRejection));

    const scheduler = createScheduler({ db: failing as Kysely<Database>, keys: {} as never, logger, intervalMs: 5 });
    scheduler.start();
    const failures = () => lines.filter((l) => l.includes('scheduler pass failed'));
    while (failures().length < 3) await new Promise((r) => setTimeout(r, 5));
    await scheduler.close();
    t.ok(failures().length >= 3, 'each pass fails, is logged, and the next one runs');
    t.match(
      JSON.parse(failures()[0]!),
      { level: 50, code: '57P01', message: /terminating connection/ },
      'logged with code and message',
    );
    t.notMatch(lines.join(''), /siobhan/, "never the statement's detail or parameters");
    t.same(rejections, [], 'no unhandled rejection');
  },
);

t.test('only connection faults count as the database being unavailable', async (t) => {
  const conn = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});
  for (const e of [
    conn('terminating connection due to administrator command', '57P01'),
    conn('x', '57P02'),
    conn('the database system is starting up', '57P03'),
    conn('x', '08006'),
    conn('x', '08003'),
    conn('x', '08000'),
    conn('read ECONNRESET', 'ECONNRESET'),
    conn('connect ECONNREFUSED', 'ECONNREFUSED'),
    conn('Connection terminated unexpectedly'),
    conn('Client has encountered a connection error and is not queryable'),
    conn('sorry, too many clients already', '53300'),
  ]) {
    t.ok(isConnectionLost(e), `${(e as { code?: string }).code ?? e.message}: unavailable`);
  }
  for (const e of [
    conn('duplicate key value violates unique constraint', '23505'),
    conn('division by zero', '22012'),
    conn('could not serialize access', '40001'),
    conn('syntax error', '42601'),
    new Error('PGlite is closed'),
    'Connection terminated',
    null,
  ]) {
    t.notOk(isConnectionLost(e), `${String((e as { code?: string })?.code ?? (e as Error)?.message ?? e)}: not`);
  }
  // PGlite's own errors (in-process, no connection to lose) are never taken for a lost connection.
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create();
  for (const q of ['select 1/0', 'select * from no_such_table', 'selec 1']) {
    const err = await db.query(q).then(
      () => null,
      (e: unknown) => e,
    );
    t.ok(err instanceof Error && !isConnectionLost(err), `PGlite "${q}": ${(err as Error).message}`);
  }
  await db.close();
  const closed = await db.query('select 1').then(
    () => null,
    (e: unknown) => e,
  );
  t.notOk(isConnectionLost(closed), `a closed PGlite: ${(closed as Error)?.message}`);
});
