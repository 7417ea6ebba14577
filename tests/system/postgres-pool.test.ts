import t from 'tap';
import { sql } from 'kysely';
import pg from 'pg';
import { createLogger, openDatabase, startJobWorker } from '@blindlink/broker';
import { testBroker } from '../helpers/in-process.js';
import { freshPostgres, PG_ADMIN_URL } from '../helpers/postgres.js';

const tcpSockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Sessions the server holds open on a database (the ones `drop database … with (force)` would kill). */
const sessionsOn = (name: string) =>
  admin(
    async (c) =>
      (await c.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where datname = $1', [name]))
        .rows[0]!.n,
  );

// pg's Pool.end() resolves before its connections have closed; a test's teardown that then dropped the
// database killed them in flight, and the pool re-emitted the server's FATAL as an unhandled 'error'.
t.test('close() resolves only once every PostgreSQL connection has ended', async (t) => {
  const database = await freshPostgres();
  t.teardown(database.drop);
  const lost: Error[] = [];
  const h = await openDatabase({ url: database.url, dataDir: t.testdir({}), onIdleError: (e) => lost.push(e) });
  const baseline = tcpSockets();
  // Five transactions open at once make the pool open five connections, which then sit idle in it.
  let started = 0;
  let allStarted!: () => void;
  const gate = new Promise<void>((r) => (allStarted = r));
  const hold = () =>
    h.db.transaction().execute(async (trx) => {
      await sql`select 1`.execute(trx);
      if (++started === 5) allStarted();
      await gate;
    });
  await Promise.all(Array.from({ length: 5 }, hold));
  t.equal(tcpSockets(), baseline + 5, 'five connections open, idle in the pool');
  t.equal(await sessionsOn(database.name), 5, 'five sessions on the server');

  await h.close();
  t.equal(tcpSockets(), baseline, 'no socket to the server left when close() resolves');
  t.equal(await sessionsOn(database.name), 0, 'and no session on the server for a forced drop to kill');
  await database.drop();
  t.same(lost, [], 'no connection heard of the drop');
});

t.test(
  'a job worker stopped mid-job finishes the job, then resolves only once its connections have ended',
  async (t) => {
    // The API alone in this process, so the worker below is the only one taking jobs.
    const b = await testBroker(t, 'postgres', { worker: 'none' });
    const name = (await sql<{ name: string }>`select current_database() as name`.execute(b.db)).rows[0]!.name;
    const baseline = tcpSockets();
    const worker = await startJobWorker({
      connectionString: b.databaseUrl!,
      db: b.db,
      keys: b.keys,
      logger: createLogger('silent'),
      pollInterval: 100,
    });
    // Stop as the job starts: graphile-worker completes it without awaiting the query, and used to end
    // its pools without awaiting them either, so stop() resolved with sessions still open.
    const stopped = new Promise<void>((resolve, reject) =>
      worker.reports.events.once('job:start', () => void worker.stop().then(resolve, reject)),
    );
    // The job is queued only once the listener is there: queued before, a worker could take it before
    // anyone listened, and the test would wait for a start it had missed.
    // A report job for a submission already purged: the job runs (finds nothing to do) and completes.
    await sql`select graphile_worker.add_job('blindlink_privacy_report',
    json_build_object('submissionId', '00000000-0000-4000-8000-000000000000'))`.execute(b.db);
    await stopped;
    t.equal(tcpSockets(), baseline, 'no job queue socket left when stop() resolves');
    const left = await admin(
      async (c) =>
        (
          await c.query<{ n: number }>(
            'select count(*)::int as n from pg_stat_activity where datname = $1 and application_name <> $2',
            [name, 'blindlink-broker'],
          )
        ).rows[0]!.n,
    );
    t.equal(left, 0, 'no job queue session on the server');
    // Finished (its row gone) or handed back (unlocked, for another worker): never left locked by this one.
    const locked = await sql<{ n: number }>`select count(*)::int as n from graphile_worker.jobs
      where locked_by is not null`.execute(b.db);
    t.equal(locked.rows[0]!.n, 0, 'the job in progress was finished or released, not left locked');
  },
);

t.test('the broker outlives its idle connections being killed, and logs it without connection details', async (t) => {
  const b = await testBroker(t, 'postgres');
  const name = (await sql<{ name: string }>`select current_database() as name`.execute(b.db)).rows[0]!.name;
  // That query left its connection idle in the pool, with any others from setup; an operator (or a
  // failover) ends every session, and each idle client hears of it.
  // The broker's own pool (its job queue keeps sessions of its own, which this does not count).
  const killed = await admin(
    async (c) =>
      (
        await c.query(
          'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and application_name ' +
            "= 'blindlink-broker'",
          [name],
        )
      ).rowCount ?? 0,
  );
  t.ok(killed > 0, 'idle sessions terminated');
  const lostLines = () => b.logs.filter((l) => l.includes('an idle database connection was lost'));
  while (lostLines().length < killed) await new Promise((r) => setTimeout(r, 20));
  t.equal(lostLines().length, killed, 'one warning per connection lost');
  const entry = JSON.parse(lostLines()[0]!);
  t.match(
    entry,
    { level: 40, code: '57P01', message: /terminating connection due to administrator command/ },
    "with the server's code and message",
  );
  t.notOk(
    'client' in entry || 'err' in entry,
    'not the pg client the error carries (it holds the connection settings)',
  );
  t.equal(
    (await sql<{ one: number }>`select 1 as one`.execute(b.db)).rows[0]!.one,
    1,
    'the next query gets a fresh connection',
  );
});
