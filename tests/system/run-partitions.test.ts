/**
 * A full run is split into jobs that several workers share (issue 14 §1): one per partition (a pair of
 * sources: blocking and similarities) beside the sample the fit needs, the fit, one score per
 * partition (its pairs weighed), and the finish. The engine: the units computed apart, each from its
 * own inputs only, stored and read back, give exactly what link() gives in one process. The broker, on
 * real PostgreSQL with real processes: two `blindlink-broker worker` processes share a run's units;
 * one SIGKILLed mid-partition, and one mid-score, has its unit taken over by another; each run
 * completes once, with the same entities as a run linked by a single worker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import t from 'tap';
import { BrokerClient, enrol } from '@blindlink/agency-client';
import {
  carryFloor,
  decodeChunk,
  decodePartition,
  decodeTyped,
  encodeChunk,
  encodePartition,
  encodeTyped,
  fitRun,
  link,
  linkFinish,
  linkPartition,
  linkScored,
  scoreChunk,
  scoringSample,
  planPartitions,
  prepareSources,
  readSource,
  checkCompatible,
  sortByRecordKey,
  type EngineSource,
} from '@blindlink/broker';
import type { SubmissionRequest } from '@blindlink/protocol';
import { synthCommand } from '@blindlink/synth';
import { upload as uploadBody } from '../helpers/in-process.js';
import { operatorSetup } from '../helpers/operator-setup.js';
import { freshPostgres } from '../helpers/postgres.js';
import { BROKER_BIN, nodeCommand, ROOT, startBrokerProcess, type BrokerProcess } from '../helpers/processes.js';
import { encodeIdentifiers } from '../helpers/purposes.js';

t.setTimeout(900_000);

const SECRET = Buffer.from('run partitions test secret, agencies only');

async function encodedSource(csv: string, out: string, name: string, duplicateFree: boolean): Promise<EngineSource> {
  await encodeIdentifiers(csv, out, SECRET);
  return sortByRecordKey({ ...readSource(out, duplicateFree), name });
}

t.test('engine: partitions computed apart, stored and joined, give exactly what link() gives', async (t) => {
  const dir = t.testdir({});
  const data = join(dir, 'synth');
  await synthCommand(
    { persons: 1500, seed: 'partitions', out: data, agencies: ['council_tax', 'nhs_gp', 'police'] },
    { info: () => {} },
  );
  const src = (a: string, name: string, dupFree: boolean) =>
    encodedSource(join(data, `${a}.csv`), join(dir, `${a}.enc`), name, dupFree);
  // Police hold a person many times: their records are de-duplicated too (a partition of its own).
  const sources = [
    await src('council_tax', 'council-tax', true),
    await src('nhs_gp', 'nhs-gp', true),
    await src('police', 'police', false),
  ];
  const opts = { diceThreshold: 0.8, runId: 'partitions' };
  const whole = link(sources, opts);
  t.equal(whole.scoring.mode, 'fellegi-sunter', 'field-level scoring, with similarities per field');

  const plan = planPartitions(sources);
  t.same(
    plan,
    [
      { i: 0, j: 1 },
      { i: 0, j: 2 },
      { i: 1, j: 2 },
      { i: 2, j: 2 },
    ],
    'one partition per pair of sources, and one inside the source that may hold duplicates',
  );
  const fields = checkCompatible(sources);
  // Each partition sees only its own sources, as a worker that loaded just those would; its result
  // goes through the stored form (the run_partition row) before the finish reads it.
  // Versioned, as a run's loader sends them: each source prepared once and kept for the partitions after.
  const versioned = sources.map((s) => ({ ...s, version: `test-${s.name}` }));
  const parts = plan.map((p) => {
    const own = p.i === p.j ? [versioned[p.i]!] : [versioned[p.i]!, versioned[p.j]!];
    const r = linkPartition(own, p, fields, opts);
    const stored = encodePartition(r);
    return decodePartition(p, fields.names.length, stored.result, stored.blocking);
  });
  const split = linkFinish(sources, prepareSources(sources, {}), parts, opts);
  // The finish as a run's jobs do it apart, each through its stored form: the sample (from every
  // source), the fit (from the partitions and the sample), each partition weighed alone, then entities.
  const stored = <T>(x: T) => decodeTyped(encodeTyped(x)) as T;
  const sample = stored(scoringSample(sources, prepareSources(sources, {}, fields)));
  const basis = { compatible: fields, fieldNames: fields.names, clkMode: fields.names.length < 2 };
  const fit = stored(fitRun(basis, parts, sample, opts));
  const chunks = [...parts]
    .reverse()
    .map((p) => decodeChunk(encodeChunk(scoreChunk(fit, p))))
    .reverse();
  const kept = chunks.reduce((n, c) => n + c.weight.length, 0);
  // Exactly the pairs that can still matter (at or above the carry floor), and fewer than all of them.
  const floor = carryFloor(whole.scoring);
  const matter = whole.pairs.weight.reduce((n, w) => (w >= floor ? n + 1 : n), 0);
  t.ok(
    kept === matter && kept < whole.stats.candidatePairs,
    `the finish reads ${kept} of ${whole.stats.candidatePairs} pairs (${matter} at or above the floor ${floor})`,
  );
  const jobs = linkScored(sources, prepareSources(sources, {}), parts, chunks, fit, opts);

  const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  t.equal(split.stats.candidatePairs, whole.stats.candidatePairs, `${whole.stats.candidatePairs} candidate pairs`);
  t.ok(bytes(split.pairs.a).equals(bytes(whole.pairs.a)) && bytes(split.pairs.b).equals(bytes(whole.pairs.b)));
  t.ok(bytes(split.pairs.weight).equals(bytes(whole.pairs.weight)), 'the same weights, bit for bit');
  t.same(split.scoring, whole.scoring, 'the same model and threshold');
  // Ids are minted afresh each time: compare which records share one (a label per record: its group's first).
  const groups = (ids: readonly string[]) => {
    const first = new Map<string, number>();
    return ids.map((id, g) => (id === '' ? -1 : (first.get(id) ?? first.set(id, g).get(id)!)));
  };
  t.same(groups(split.entityIds), groups(whole.entityIds), `the same ${whole.stats.entities} entities`);
  t.same(groups(split.householdIds), groups(whole.householdIds), `the same ${whole.stats.households} households`);
  t.same(split.blockingPlans, whole.blockingPlans, 'the same blocking plans for incremental runs');
  t.same(split.stats.blocking, whole.stats.blocking);

  t.equal(jobs.stats.candidatePairs, whole.stats.candidatePairs);
  t.ok(bytes(jobs.pairs.a).equals(bytes(whole.pairs.a)) && bytes(jobs.pairs.b).equals(bytes(whole.pairs.b)));
  t.ok(bytes(jobs.pairs.weight).equals(bytes(whole.pairs.weight)), 'jobs apart: the same weights, bit for bit');
  t.same(jobs.scoring, whole.scoring, 'jobs apart: the same model, threshold and reasoning');
  t.same(groups(jobs.entityIds), groups(whole.entityIds), 'jobs apart: the same entities');
  t.same(groups(jobs.householdIds), groups(whole.householdIds), 'jobs apart: the same households');
  t.ok(bytes(jobs.residualLinks.a).equals(bytes(whole.residualLinks.a)), 'the same residual links');
});

/** `blindlink-broker worker` as an operator starts it on another machine sharing the database. */
function startWorker(dataDir: string, env: Record<string, string>): { child: ChildProcess; logs: () => string } {
  const child = spawn(...nodeCommand(BROKER_BIN, ['worker', '--data-dir', dataDir]), {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, logs: () => out };
}

const RECORDS = 6_000;
const PURPOSE = 'community-safety';
const upload = (n: number, seed: number) => uploadBody(n, seed) as unknown as SubmissionRequest;

t.test('postgres: two workers share a run; one killed mid-partition or mid-score is taken over', async (t) => {
  const db = await freshPostgres();
  const sql = new pg.Client({ connectionString: db.url });
  const dir = t.testdir({});
  const dataDir = join(dir, 'broker-data');
  const env = { DATABASE_URL: db.url, BLINDLINK_WORKER_STALE_MS: '3000' };
  let broker: BrokerProcess | undefined;
  const workers: ReturnType<typeof startWorker>[] = [];
  const clients: BrokerClient[] = [];
  t.teardown(async () => {
    for (const c of clients) c.close();
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await broker?.stop('SIGKILL');
    await sql.end().catch(() => {});
    await db.drop();
  });
  const codes = await operatorSetup(t, dir, dataDir, env);
  // The API alone: the runs are linked by the two workers started beside it.
  broker = await startBrokerProcess(['--data-dir', dataDir, '--no-worker'], env);
  workers.push(startWorker(dataDir, env), startWorker(dataDir, env));
  await sql.connect();
  const caPem = readFileSync(join(dataDir, 'keys', 'ca.cert.pem'), 'utf8');
  const client = async (agency: string) => {
    const keyDir = join(dir, `${agency}-keys`);
    await enrol({ baseUrl: broker!.url, keyDir, agency, code: codes[agency]!, caPem });
    const c = new BrokerClient(broker!.url, keyDir);
    clients.push(c);
    return c;
  };
  const council = await client('council-tax');
  const police = await client('police');
  // Half the records shared, so the sources link.
  await council.submit(PURPOSE, upload(RECORDS, 3), 'partitions-council-0001');
  await police.submit(PURPOSE, upload(RECORDS, 3), 'partitions-police-0001');

  type Work = { part: number; worker: string | null; runs: number; pairs: number };
  type Stats = { partitions?: Work[]; scored?: Work[]; candidatePairs: number };
  const statsOf = async (runId: string) =>
    (await sql.query<{ stats: Stats }>('select stats from run where id = $1', [runId])).rows[0]!.stats;
  const entities = async (runId: string) =>
    (
      await sql.query<{ m: string }>(
        `select string_agg(submission_id || '/' || row_token, ',' order by submission_id, row_token) as m ` +
          'from run_record where run_id = $1 group by entity_id',
        [runId],
      )
    ).rows
      .map((r) => r.m)
      .sort();
  const storedOnce = async (runId: string) =>
    Number(
      (await sql.query<{ n: string }>('select count(*) as n from run_record where run_id = $1', [runId])).rows[0]!.n,
    ) ===
    2 * RECORDS;
  const pidOf = (worker: string | null) => Number(worker?.split(':')[1]);
  const alive = () => workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);

  // 1. Both workers take units of one run: partitions, and the scores of the finish.
  const shared = await council.runAndWait(PURPOSE, 'full', { intervalMs: 200 });
  t.equal(shared.status, 'completed', `the run completes: ${shared.error ?? ''}`);
  const sharedStats = await statsOf(shared.runId);
  const work = sharedStats.partitions!;
  // Council tax is duplicate-free (the policy says so): nothing to de-duplicate inside it.
  t.equal(work.length, 2, 'two partitions: the two sources against each other, and inside the police source');
  t.equal(sharedStats.scored?.length, 2, 'each partition weighed by a job of its own');
  const kept = sharedStats.scored!.reduce((n, w) => n + w.pairs, 0);
  t.ok(kept <= sharedStats.candidatePairs, `the finish read ${kept} of ${sharedStats.candidatePairs} pairs`);
  const pids = new Set([...work, ...sharedStats.scored!].map((w) => pidOf(w.worker)));
  t.same(
    [...pids].sort(),
    workers.map((w) => w.child.pid).sort(),
    `both worker processes computed units: ${JSON.stringify(sharedStats)}`,
  );
  t.ok(await storedOnce(shared.runId), 'every record stored once');

  /**
   * SIGKILL the worker that takes up a unit of `phase`; the run must complete with that unit taken
   * over by another worker. A unit can end between the look and the kill: then the next run is tried.
   */
  const killMid = async (phase: 'pairs' | 'score') => {
    for (let tries = 0; tries < 3; tries++) {
      const run = await council.startRun(PURPOSE, 'full');
      let victim: { pid: number; part: number } | undefined;
      for (let i = 0; i < 30000 && !victim; i++) {
        const r = await sql.query<{ part: number; worker_id: string }>(
          `select part, worker_id from run_partition where run_id = $1 and phase = $2 and status = 'running'`,
          [run.runId, phase],
        );
        if (r.rows[0]) victim = { pid: pidOf(r.rows[0].worker_id), part: r.rows[0].part };
        else await new Promise((res) => setTimeout(res, 10));
      }
      if (!victim) throw new Error(`no worker took up a ${phase} unit`);
      process.kill(victim.pid, 'SIGKILL');
      const done = await council.waitForRun(PURPOSE, run.runId, { intervalMs: 200 });
      const stats = await statsOf(run.runId);
      const units = phase === 'pairs' ? stats.partitions : stats.scored;
      const retaken = units?.find((w) => w.part === victim.part);
      if (done.status === 'completed' && retaken && retaken.runs < 2) {
        t.comment(`the ${phase} unit ended before its worker was killed; trying another run`);
        workers.push(startWorker(dataDir, env));
        continue;
      }
      return { runId: run.runId, done, retaken, victim };
    }
    throw new Error(`three runs in a row, the ${phase} unit ended before its worker was killed`);
  };

  // 2. SIGKILL a worker while it computes a partition; another worker takes it over.
  const midPartition = await killMid('pairs');
  t.equal(midPartition.done.status, 'completed', `the run completes: ${midPartition.done.error ?? ''}`);
  t.ok(
    midPartition.retaken!.runs >= 2 && pidOf(midPartition.retaken!.worker) !== midPartition.victim.pid,
    `the killed worker's partition was taken over by another: ${JSON.stringify(midPartition.retaken)}`,
  );
  t.ok(await storedOnce(midPartition.runId), 'every record stored once, none twice');
  const left = await sql.query('select 1 from run_partition where run_id = $1', [midPartition.runId]);
  t.equal(left.rowCount, 0, "the units' intermediate results are gone with the run stored");

  // 3. A fresh worker beside the survivor; SIGKILL whichever weighs a partition's pairs.
  workers.push(startWorker(dataDir, env));
  const midScore = await killMid('score');
  t.equal(midScore.done.status, 'completed', `the run completes: ${midScore.done.error ?? ''}`);
  t.ok(
    midScore.retaken!.runs >= 2 && pidOf(midScore.retaken!.worker) !== midScore.victim.pid,
    `the killed worker's score was taken over by another: ${JSON.stringify(midScore.retaken)}`,
  );
  t.ok(await storedOnce(midScore.runId), 'every record stored once, none twice');

  // 4. The same records linked by one worker alone: the same entities, every time.
  const [survivor, ...extra] = alive();
  for (const w of extra) w.child.kill('SIGKILL');
  const single = await council.runAndWait(PURPOSE, 'full', { intervalMs: 200 });
  t.equal(single.status, 'completed', `a run linked by one worker: ${single.error ?? ''}`);
  const singleStats = await statsOf(single.runId);
  const alone = new Set([...singleStats.partitions!, ...singleStats.scored!].map((w) => pidOf(w.worker)));
  t.same([...alone], [survivor!.child.pid], 'that run had one worker');
  const reference = await entities(single.runId);
  t.ok(reference.length < 2 * RECORDS, `records linked (${reference.length} entities)`);
  t.same(await entities(shared.runId), reference, 'two workers: the same entities as one');
  t.same(await entities(midPartition.runId), reference, 'a worker killed mid-partition: the same entities as one');
  t.same(await entities(midScore.runId), reference, 'a worker killed mid-score: the same entities as one');
});
