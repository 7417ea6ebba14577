/**
 * A privacy report whose worker dies mid-report is picked up again within seconds (issue 14 §1), not
 * after graphile-worker's 4-hour lock: approval waits for the report. On real PostgreSQL, two
 * `blindlink-broker worker` processes; the one computing the report is SIGKILLed, the other takes the
 * job over as a new attempt, and the report stored is the one the submission gives (its digest).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { sql } from 'kysely';
import t, { type Test } from 'tap';
import { readEncodedFile } from '@blindlink/agency-client';
import {
  approvePolicy,
  createLogger,
  loadReportSource,
  type ReportRunner,
  startEmbeddedRunner,
  startJobWorker,
  storePolicy,
  threadReport,
} from '@blindlink/broker';
import { parsePolicy } from '@blindlink/policies';
import { synthCommand } from '@blindlink/synth';
import { call, IG_PASSWORD, loginAs, runToEnd, submitAs, testBroker, tokenFor, upload } from '../helpers/in-process.js';
import { BROKER_BIN, ROOT } from '../helpers/processes.js';
import { reportPolicyYaml } from '../helpers/privacy-reports.js';
import { encodeIdentifiers } from '../helpers/purposes.js';

t.setTimeout(900_000);

const SECRET = Buffer.from('report recovery test secret, agencies only');
const POLICY = reportPolicyYaml({ id: 'recovery-policy', purpose: 'recovery', version: 1, dpia: 'DPIA-RR-1' });

function startWorker(dataDir: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [BROKER_BIN, 'worker', '--data-dir', dataDir], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  return child;
}

/**
 * A broker with no worker of its own, the recovery policy approved, and one GP extract of `persons`
 * people encoded: what each test below hands to workers it starts and stops.
 */
async function reportFixture(t: Test, storage: 'postgres' | 'pglite', persons: number, seed: string) {
  const b = await testBroker(t, storage, { worker: 'none' });
  const dir = dirname(b.keyDirs.alpha!);
  await storePolicy(b.db, parsePolicy(POLICY), 'admin:root');
  await approvePolicy(b.db, 'recovery-policy', 1, 'iggy');
  await synthCommand({ persons, seed, out: join(dir, 'synth'), agencies: ['nhs_gp'] }, { info: () => {} });
  const enc = join(dir, 'gp.enc');
  await encodeIdentifiers(join(dir, 'synth/nhs_gp.csv'), enc, SECRET, 'uk-person');
  return { b, dataDir: join(dir, 'data'), enc };
}

t.test('postgres: a worker killed mid-report; another takes the report over within seconds', async (t) => {
  // The API alone in this process: only the worker processes take jobs.
  const { b, dataDir, enc } = await reportFixture(t, 'postgres', 2000, 'report-recovery');

  const env = { DATABASE_URL: b.databaseUrl!, BLINDLINK_WORKER_STALE_MS: '3000' };
  const workers = [startWorker(dataDir, env), startWorker(dataDir, env)];
  t.teardown(() => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  });
  const submitted = await submitAs(b, 'alpha', readEncodedFile(enc).body, 'recovery-gp-1', { purpose: 'recovery' });
  t.equal(submitted.status, 201, submitted.text.slice(0, 200));
  const submissionId = submitted.json.submissionId as string;
  const row = () =>
    b.db.selectFrom('privacy_report').selectAll().where('submission_id', '=', submissionId).executeTakeFirstOrThrow();

  // Catch a worker computing the report, and kill it.
  let taken: Awaited<ReturnType<typeof row>> | undefined;
  for (const until = Date.now() + 600_000; !taken && Date.now() < until; ) {
    const r = await row();
    if (r.status === 'running' && r.worker_id) taken = r;
    else if (r.status !== 'queued') break;
    else await new Promise((res) => setTimeout(res, 20));
  }
  t.ok(taken, `a worker took the report up (${taken?.worker_id})`);
  const pid = Number(taken!.worker_id!.split(':')[1]);
  const victim = workers.find((w) => w.pid === pid);
  t.ok(victim, 'it is one of the two worker processes');
  victim!.kill('SIGKILL');
  const killedAt = Date.now();
  const survivor = workers.find((w) => w !== victim)!;

  // The survivor's sweep finds the silent heartbeat and frees the job; the survivor takes it up.
  let done: Awaited<ReturnType<typeof row>> | undefined;
  for (const until = Date.now() + 600_000; !done && Date.now() < until; ) {
    const r = await row();
    if (r.status === 'completed' || (r.status === 'failed' && r.attempts >= r.max_attempts)) done = r;
    else await new Promise((res) => setTimeout(res, 200));
  }
  t.equal(done?.status, 'completed', `the report completed: ${done?.error ?? ''}`);
  t.comment(`report stored ${(Date.now() - killedAt) / 1000} s after its worker was killed`);
  t.equal(done!.attempts, 2, 'as a second attempt');
  t.equal(Number(done!.worker_id!.split(':')[1]), survivor.pid, 'by the other worker');
  t.equal(done!.error, null, 'no error left from the killed attempt');
  // graphile-worker deletes the job once the task has returned, a moment after the report is stored.
  const queuedJobs = async () => (await sql<{ key: string }>`select key from graphile_worker.jobs`.execute(b.db)).rows;
  let jobs = await queuedJobs();
  for (const until = Date.now() + 60_000; jobs.length > 0 && Date.now() < until; jobs = await queuedJobs()) {
    await new Promise((res) => setTimeout(res, 200));
  }
  t.same(jobs, [], 'its job is done and gone');

  // The report stored is the submission's report, as one uninterrupted computation gives it.
  const { source } = await loadReportSource(b.db, b.keys, submissionId);
  const reference = await threadReport({ source, notes: [] });
  t.equal(done!.digest, reference.digest, 'the same report, digest for digest');

  // And the IG lead can read it, so approval is no longer waiting.
  const ig = await loginAs(b, 'iggy', IG_PASSWORD);
  const read = await call(b, 'GET', '/v1/purposes/recovery/privacy-report', { token: ig });
  t.equal(read.status, 200, read.text.slice(0, 200));
  t.match(read.json.digest, /^sha256:[0-9a-f]{64}$/, 'the purpose report has its digest');
});

// A few hundred people: enough that the report is still running when the worker is stopped (seconds
// of attacks), few enough that computing it twice costs the suite little.
t.test('postgres: a worker stopped mid-report (SIGTERM) hands the report back, uncounted', async (t) => {
  const { b, dataDir, enc } = await reportFixture(t, 'postgres', 600, 'report-stop');
  const env = { DATABASE_URL: b.databaseUrl! };
  const workers = [startWorker(dataDir, env)];
  t.teardown(() => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  });
  const submitted = await submitAs(b, 'alpha', readEncodedFile(enc).body, 'stop-gp-1', { purpose: 'recovery' });
  t.equal(submitted.status, 201, submitted.text.slice(0, 200));
  const submissionId = submitted.json.submissionId as string;
  const row = () =>
    b.db.selectFrom('privacy_report').selectAll().where('submission_id', '=', submissionId).executeTakeFirstOrThrow();
  let running = await row();
  for (const until = Date.now() + 600_000; running.status === 'queued' && Date.now() < until; running = await row())
    await new Promise((res) => setTimeout(res, 20));
  t.equal(running.status, 'running', 'the worker took the report up');

  const first = workers[0]!;
  const exited = new Promise<number | null>((res) => first.once('exit', (code) => res(code)));
  first.kill('SIGTERM');
  t.equal(await exited, 0, 'the worker stopped cleanly');
  const back = await row();
  t.match(
    back,
    { status: 'queued', attempts: 0, worker_id: null, heartbeat_at: null, digest: null, error: null },
    'the report is queued again, the stopped attempt not counted',
  );
  const jobs = await sql<{ key: string; locked_by: string | null; attempts: number }>`
    select key, locked_by, attempts from graphile_worker.jobs`.execute(b.db);
  t.same(
    jobs.rows,
    [{ key: `privacy-report:${submissionId}`, locked_by: null, attempts: 0 }],
    'with one job, free for the next worker',
  );

  workers.push(startWorker(dataDir, env));
  let done = await row();
  for (const until = Date.now() + 600_000; done.status !== 'completed' && Date.now() < until; done = await row()) {
    if (done.status === 'failed') break;
    await new Promise((res) => setTimeout(res, 200));
  }
  t.equal(done.status, 'completed', `the next worker completed it: ${done.error ?? ''}`);
  t.equal(done.attempts, 1, 'as its first counted attempt');
  const { source } = await loadReportSource(b.db, b.keys, submissionId);
  t.equal(done.digest, (await threadReport({ source, notes: [] })).digest, 'the report an uninterrupted run gives');
});

t.test('embedded database: a runner stopped mid-report hands the report back, uncounted', async (t) => {
  const { b, enc } = await reportFixture(t, 'pglite', 600, 'report-stop-embedded');
  const submitted = await submitAs(b, 'alpha', readEncodedFile(enc).body, 'stop-gp-2', { purpose: 'recovery' });
  t.equal(submitted.status, 201, submitted.text.slice(0, 200));
  const submissionId = submitted.json.submissionId as string;
  const row = () =>
    b.db.selectFrom('privacy_report').selectAll().where('submission_id', '=', submissionId).executeTakeFirstOrThrow();
  const logger = createLogger('silent');
  const runner = startEmbeddedRunner({ db: b.db, keys: b.keys, logger });
  let running = await row();
  for (const until = Date.now() + 600_000; running.status === 'queued' && Date.now() < until; running = await row())
    await new Promise((res) => setTimeout(res, 20));
  t.equal(running.status, 'running', 'the runner took the report up');
  await runner.stop();
  t.match(
    await row(),
    { status: 'queued', attempts: 0, worker_id: null, heartbeat_at: null, digest: null, error: null },
    'the report is queued again, the stopped attempt not counted',
  );
  const next = startEmbeddedRunner({ db: b.db, keys: b.keys, logger });
  t.teardown(() => next.stop());
  await next.idle();
  const done = await row();
  t.equal(done.status, 'completed', `the next runner completed it: ${done.error ?? ''}`);
  t.equal(done.attempts, 1, 'as its first counted attempt');
});

/**
 * A report that holds its slot until released, and says when it started: what a large submission's report
 * (minutes of CPU) looks like to a run queued behind it.
 */
function heldReport() {
  let release: () => void = () => {};
  const released = new Promise<void>((r) => {
    release = r;
  });
  let started: () => void = () => {};
  const running = new Promise<void>((r) => {
    started = r;
  });
  const compute: ReportRunner = async (input, signal) => {
    started();
    await Promise.race([released, new Promise((r) => signal?.addEventListener('abort', r, { once: true }))]);
    return threadReport(input);
  };
  return { compute, running, release };
}

for (const storage of ['postgres', 'pglite'] as const) {
  t.test(`${storage}: a run queued while a privacy report is under way links at once`, async (t) => {
    const b = await testBroker(t, storage, { worker: 'none' });
    const held = heldReport();
    const logger = createLogger('silent');
    const worker =
      storage === 'postgres'
        ? await startJobWorker({
            connectionString: b.databaseUrl!,
            db: b.db,
            keys: b.keys,
            logger,
            pollInterval: 100,
            report: held.compute,
          })
        : startEmbeddedRunner({ db: b.db, keys: b.keys, logger, report: held.compute, pollMs: 100 });
    t.teardown(() => worker.stop());
    for (const agency of ['alpha', 'beta']) {
      const r = await submitAs(b, agency, upload(50, 1), `held-${agency}`);
      t.equal(r.status, 201, `${agency} submitted: ${r.text.slice(0, 200)}`);
    }
    await held.running;
    const run = await runToEnd(b, 'testing', { as: 'alpha', token: await tokenFor(b, 'alpha') });
    t.equal(run.json?.status, 'completed', `the run completed: ${run.text.slice(0, 200)}`);
    const reports = await b.db.selectFrom('privacy_report').select('status').execute();
    t.ok(
      reports.some((r) => r.status === 'running'),
      'while the report it was queued behind was still under way',
    );
    held.release();
  });
}
