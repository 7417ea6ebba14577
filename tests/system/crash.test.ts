import { readFileSync } from 'node:fs';
import { operatorSetup } from '../helpers/operator-setup.js';
import { join } from 'node:path';
import pg from 'pg';
import t from 'tap';
import { BrokerClient, enrol } from '@blindlink/agency-client';
import type { SubmissionRequest } from '@blindlink/protocol';
import { freshPostgres } from '../helpers/postgres.js';
import { BROKER_BIN, run, startBrokerProcess, type BrokerProcess } from '../helpers/processes.js';
import { upload as uploadBody } from '../helpers/in-process.js';

const upload = (n: number, seed: number) => uploadBody(n, seed) as unknown as SubmissionRequest;

/**
 * Crash safety with the real broker process on real PostgreSQL: SIGKILL it in the middle of an
 * upload's transaction and start it again on the same data: no partial submission is visible and the
 * retried upload is stored once. SIGKILL the job worker `serve` forked in the middle of a linkage run:
 * the run is taken over by the restarted worker and completes, stored once, with the same entities
 * as an uninterrupted run.
 */

const PURPOSE = 'community-safety';
// 12k records a source: a sealed upload of ~3.5 MB. Larger uploads currently fail with a 500 (the
// envelope's base64 pattern overflows the regex stack past ~4-6 MB), so this stays below that.
const RECORDS = Number(process.env.BLINDLINK_CRASH_RECORDS ?? 12_000);

/** Poll until the check holds (or give up after `ms`); returns whether it held. */
async function waitFor(
  check: () => Promise<boolean>,
  ms: number,
  every = 10,
  settled: () => boolean = () => false,
): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until && !settled()) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, every));
  }
  return false;
}

// Two 12k-record uploads, a killed run taken over, and a full relink to compare: minutes on a loaded machine.
t.setTimeout(900_000);

t.test('SIGKILL during an upload and during a linkage run loses nothing and half-stores nothing', async (t) => {
  const db = await freshPostgres();
  const sql = new pg.Client({ connectionString: db.url });
  const dir = t.testdir({});
  const dataDir = join(dir, 'broker-data');
  // A worker presumed dead after 3 s without a heartbeat (30 s by default), to keep the test short.
  const env = { DATABASE_URL: db.url, BLINDLINK_WORKER_STALE_MS: '3000' };
  let broker: BrokerProcess | undefined;
  const clients: BrokerClient[] = [];
  t.teardown(async () => {
    for (const c of clients) c.close();
    await broker?.stop('SIGKILL');
    await sql.end().catch(() => {});
    await db.drop();
  });

  // The operator's setup, through the real CLI, as in the thin path.
  const codes = await operatorSetup(t, dir, dataDir, env);

  broker = await startBrokerProcess(['--data-dir', dataDir], env);
  const caPem = readFileSync(join(dataDir, 'keys', 'ca.cert.pem'), 'utf8');
  const keyDir = (agency: string) => join(dir, `${agency}-keys`);
  for (const agency of ['council-tax', 'police'])
    await enrol({ baseUrl: broker.url, keyDir: keyDir(agency), agency, code: codes[agency]!, caPem });
  const client = (agency: string) => {
    const c = new BrokerClient(broker!.url, keyDir(agency));
    clients.push(c);
    return c;
  };
  await sql.connect();
  const count = async (query: string, params: unknown[] = []) =>
    Number((await sql.query<{ n: string }>(query, params)).rows[0]!.n);
  const restart = async () => {
    broker = await startBrokerProcess(['--data-dir', dataDir], env);
  };
  /** Every submission is whole: as many encodings as it says it has, and no encoding without one. */
  const consistent = async () => {
    const partial = await sql.query(
      `select s.id, s.record_count, count(e.row_token)::int as stored from submission s left join ` +
        `encoding e on e.submission_id = s.id group by s.id, s.record_count having count(e.row_token) <> ` +
        `s.record_count`,
    );
    const orphans = await count(
      `select count(*) as n from encoding e where not exists (select 1 from submission s where s.id = e.submission_id)`,
    );
    return { partial: partial.rows, orphans };
  };

  await t.test('kill during an upload', async (t) => {
    const body = upload(RECORDS, 11);
    const key = 'crash-upload-council-tax-0001';
    let settled = false;
    const sending = client('council-tax')
      .submit(PURPOSE, body, key)
      .then(
        (r) => ({ ok: true as const, r }),
        (err: unknown) => ({ ok: false as const, err }),
      )
      .finally(() => (settled = true));
    // Kill while the broker's transaction is writing encodings: the moment PostgreSQL shows the insert.
    const inInsert = await waitFor(
      async () =>
        (await count(
          `select count(*) as n from pg_stat_activity where datname = current_database() and pid <> ` +
            `pg_backend_pid() and state in ('active', 'idle in transaction') and query ilike 'insert into ` +
            `"encoding"%'`,
        )) > 0,
      120_000,
      5,
      () => settled,
    );
    await broker!.stop('SIGKILL');
    t.ok(inInsert, "SIGKILL landed while the upload's transaction was inserting encodings");
    const outcome = await sending;
    t.notOk(outcome.ok, 'the client saw the upload fail');
    if (!outcome.ok) t.match(outcome.err, { code: 'unreachable' }, `the connection dropped: ${String(outcome.err)}`);

    // PostgreSQL rolls back the dead connection's transaction: nothing of the upload is visible.
    await waitFor(
      async () =>
        (await count(
          `select count(*) as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
        )) === 0,
      10_000,
    );
    t.same(await consistent(), { partial: [], orphans: 0 }, 'no partial submission and no orphaned encodings');
    t.equal(
      await count(`select count(*) as n from submission where idempotency_key = $1`, [key]),
      0,
      'the interrupted upload left no submission row',
    );

    await restart();
    const retried = await client('council-tax').submit(PURPOSE, body, key);
    t.equal(retried.recordCount, RECORDS, 'the retry with the same idempotency key is stored');
    const again = await client('council-tax')
      .submit(PURPOSE, body, key)
      .catch((e: unknown) => e);
    t.match(
      again,
      { status: 409, code: 'submission-already-stored' },
      'and a second retry is told it is already stored',
    );
    t.equal(
      await count(`select count(*) as n from submission where idempotency_key = $1`, [key]),
      1,
      'stored exactly once',
    );
    t.equal(
      await count(`select count(*) as n from encoding where submission_id = $1`, [retried.submissionId]),
      RECORDS,
      'with every encoding',
    );
    t.same(await consistent(), { partial: [], orphans: 0 }, 'still no partial submission');
  });

  await t.test('kill the worker during a linkage run', async (t) => {
    const police = await client('police').submit(PURPOSE, upload(RECORDS, 12), 'crash-upload-police-0001');
    t.equal(police.recordCount, RECORDS, 'the second source is stored');

    const queued = await client('council-tax').startRun(PURPOSE);
    t.equal(queued.status, 'queued', 'the run is queued at once (202), not linked in the request');
    const runId = queued.runId;
    // Wait until serve's forked worker has taken the run up, then SIGKILL that worker process.
    let workerPid = 0;
    const caught = await waitFor(
      async () => {
        const r = (
          await sql.query<{ status: string; worker_id: string | null }>(
            `select status, worker_id from run where id = $1`,
            [runId],
          )
        ).rows[0]!;
        if (r.status !== 'running' || !r.worker_id) return false;
        workerPid = Number(r.worker_id.split(':')[1]);
        return true;
      },
      120_000,
      5,
    );
    t.ok(caught && workerPid > 0, `the worker (pid ${workerPid}) took the run up`);
    t.not(workerPid, broker!.child.pid, 'the run is linked in a worker process, not in the API process');
    process.kill(workerPid, 'SIGKILL');
    t.equal(
      await count(`select count(*) as n from run_record where run_id = $1`, [runId]),
      0,
      'the killed attempt stored nothing',
    );

    const done = await client('council-tax').waitForRun(PURPOSE, runId, { intervalMs: 200 });
    t.equal(done.status, 'completed', `the run completes after its worker died: ${done.error ?? ''}`);
    // Whichever of the run's jobs the kill landed in (its first, a partition, the finish), another
    // worker process finished it.
    const finisher = (await sql.query<{ worker_id: string }>(`select worker_id from run where id = $1`, [runId]))
      .rows[0]!.worker_id;
    t.not(Number(finisher.split(':')[1]), workerPid, `finished by another worker process (${finisher})`);
    t.equal(
      await count(`select count(*) as n from run_record where run_id = $1`, [runId]),
      2 * RECORDS,
      'every record stored once, none twice',
    );
    t.equal(
      await count(
        `select count(*) as n from (select row_token from run_record where run_id = $1 group by ` +
          `submission_id, row_token having count(*) > 1) d`,
        [runId],
      ),
      0,
      'no record stored twice',
    );

    // The same records linked again from scratch by an uninterrupted run: the same partition.
    const rerun = await client('council-tax').runAndWait(PURPOSE, 'full', { intervalMs: 200 });
    t.equal(rerun.status, 'completed', `an uninterrupted full run: ${rerun.error ?? ''}`);
    const partition = async (id: string) => {
      const rows = (
        await sql.query<{ entity_id: string; m: string }>(
          `select entity_id, string_agg(submission_id || '/' || row_token, ',' order by submission_id, ` +
            `row_token) as m from run_record where run_id = $1 group by entity_id`,
          [id],
        )
      ).rows;
      return rows.map((r) => r.m).sort();
    };
    t.same(
      await partition(runId),
      await partition(rerun.runId),
      'the interrupted run gives the same entities as an uninterrupted one',
    );
    const runs = await sql.query<{ status: string }>(`select status from run order by started_at`);
    t.same(
      runs.rows.map((r) => r.status),
      ['completed', 'completed'],
      'no run left failed or running',
    );
  });

  await broker.stop();
  const verify = await run(BROKER_BIN, ['audit', 'verify', '--data-dir', dataDir], { env });
  t.equal(verify.code, 0, `the audit chain verifies after two SIGKILLs: ${verify.stdout}${verify.stderr}`);
});
