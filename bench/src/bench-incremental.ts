/**
 * `npm run bench:incremental`: a daily extract from one source (the GP register: people moved, left,
 * arrived) linked in full — blocking everything and re-fitting the model — and incrementally,
 * continuing the previous run, on two synthetic agencies (council tax and GP).
 *  1. the engine: link() against linkIncremental(), and linkWithModel() (a full run with the same
 *     fixed model: the partition the incremental run must equal, and does), with stage times;
 *  2. the broker's runs (runLinkage) on the embedded database, or on DATABASE_URL: the same two
 *     modes end to end, decrypting every encoding and storing every run record either way.
 * Options: --persons=N (100,000: about 70,000 council-tax and 98,000 GP records), --changed=0.01
 * (share of GP records that moved, left or arrived), --engine-only. Figures, not assertions.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { csvLine, encodeCsv, readEncodedFile } from '@blindlink/agency-client';
import { Prng, synthCommand } from '@blindlink/synth';
import {
  addPerson,
  approvePolicy,
  createLogger,
  link,
  linkIncremental,
  linkWithModel,
  previousRunOf,
  readSource,
  registerAgency,
  runLinkage,
  modelToStore,
  sortByRecordKey,
  startBroker,
  storePolicy,
  type EngineResult,
  type EngineSource,
} from '@blindlink/broker';
import { parsePolicy } from '@blindlink/policies';
// Bulk loading straight into storage: uploads this large do not go over HTTP in one request.
import { storeSubmission } from '../../broker/dist/submissions/store.js';
import { decodeSubmission } from '../../broker/dist/submissions/validate.js';

const arg = (name: string, dflt: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
const PERSONS = Number(arg('persons', '100000'));
const CHANGED = Number(arg('changed', '0.01'));
const ENGINE_ONLY = process.argv.includes('--engine-only');
const WORK = join(tmpdir(), `blindlink-bench-incremental-${process.pid}`);
const SECRET = Buffer.from('bench secret shared by the agencies, never the broker');
const IDENTIFIERS = ['given_name', 'surname', 'dob', 'sex', 'address', 'postcode', 'nhs_number'];

type Row = Record<string, string>;
const readRows = (path: string): { header: string[]; rows: Row[] } => {
  let header: string[] = [];
  const rows = parse(readFileSync(path), { columns: (h: string[]) => (header = h) }) as Row[];
  return { header, rows };
};
const writeRows = (path: string, header: string[], rows: Row[]) =>
  writeFileSync(path, [csvLine(header), ...rows.map((r) => csvLine(header.map((h) => r[h] ?? '')))].join(''));

async function encode(csv: string, out: string): Promise<string> {
  const header = readFileSync(csv, 'utf8').slice(0, 1000).split('\n')[0]!.split(',');
  await encodeCsv({
    input: csv,
    out,
    secret: SECRET,
    schema: 'uk-person',
    map: {},
    idColumn: 'record_id',
    ignore: header.filter((h) => h !== 'record_id' && !IDENTIFIERS.includes(h)),
    attributes: [],
    onInvalid: 'missing',
    threads: 2,
  });
  return out;
}

const secs = (t0: number) => (performance.now() - t0) / 1000;
const stages = (r: EngineResult) =>
  Object.entries(r.stats.seconds)
    .filter(([k]) => k !== 'total')
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(', ');
function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, secs(t0)];
}
function samePartition(a: EngineResult, b: EngineResult): boolean {
  const first = new Map<string, number>();
  const other = new Map<string, number>();
  // Same partition: every record's entity is first seen at the same record on both sides.
  const firstSeen = (seen: Map<string, number>, e: string, g: number) => {
    if (!seen.has(e)) seen.set(e, g);
    return seen.get(e);
  };
  return a.entityIds.every((e, g) => firstSeen(first, e, g) === firstSeen(other, b.entityIds[g]!, g));
}

mkdirSync(WORK, { recursive: true });
// At exit, not in a finally: the embedded database may still be writing its files just after close().
process.once('exit', () => rmSync(WORK, { recursive: true, force: true }));

console.log(
  `## Synthetic council tax and GP register (${PERSONS.toLocaleString('en-GB')} persons); the GP extract ` +
    `again the next day with ${(100 * CHANGED).toFixed(1)}% of its records changed`,
);
const t0 = performance.now();
await synthCommand(
  { persons: PERSONS, seed: 'bench-incremental', out: join(WORK, 'synth'), agencies: ['council_tax', 'nhs_gp'] },
  { info: () => {} },
);
await synthCommand(
  {
    persons: Math.max(10, Math.ceil(PERSONS * CHANGED)),
    seed: 'bench-incremental-arrivals',
    out: join(WORK, 'arrivals'),
    agencies: ['nhs_gp'],
  },
  { info: () => {} },
);
const gp = readRows(join(WORK, 'synth', 'nhs_gp.csv'));
// Half the changes are moves, a quarter leave, a quarter arrive.
const rng = Prng.fromSeed('bench-incremental', 'day-1');
let [moved, left] = [0, 0];
const next: Row[] = [];
for (const r of gp.rows) {
  const x = rng.next();
  if (x < CHANGED / 4) left++;
  else if (x < (3 * CHANGED) / 4) {
    const to = gp.rows[rng.int(gp.rows.length)]!;
    next.push({ ...r, address: to.address!, postcode: to.postcode! });
    moved++;
  } else next.push(r);
}
const arrivals = readRows(join(WORK, 'arrivals', 'nhs_gp.csv')).rows.slice(
  0,
  Math.round((gp.rows.length * CHANGED) / 4),
);
for (const [i, r] of arrivals.entries()) next.push({ ...r, record_id: `GPN${String(i).padStart(7, '0')}` });
writeRows(join(WORK, 'gp1.csv'), gp.header, next);
const files = {
  ct: await encode(join(WORK, 'synth', 'council_tax.csv'), join(WORK, 'ct.enc')),
  gp0: await encode(join(WORK, 'synth', 'nhs_gp.csv'), join(WORK, 'gp0.enc')),
  gp1: await encode(join(WORK, 'gp1.csv'), join(WORK, 'gp1.enc')),
};
console.log(
  `generated and encoded in ${secs(t0).toFixed(0)} s (not counted); next day: ${moved} moved, ${left} ` +
    `left, ${arrivals.length} arrived`,
);

const source = (path: string, name: string): EngineSource => sortByRecordKey({ ...readSource(path, true), name });
const day0 = [source(files.ct, 'council-tax'), source(files.gp0, 'nhs-gp')];
const day1 = [day0[0]!, source(files.gp1, 'nhs-gp')];
console.log(
  `records: council tax ${day0[0]!.tokens.length.toLocaleString('en-GB')}, GP ` +
    `${day0[1]!.tokens.length.toLocaleString('en-GB')} → ${day1[1]!.tokens.length.toLocaleString('en-GB')}`,
);

console.log('\n## Engine (one thread)');
const opts = (runId: string) => ({ diceThreshold: 0.8, runId });
const [full0, tFull0] = timed(() => link(day0, opts('run-0')));
const [stored, tStore] = timed(() => modelToStore(full0, 'run-0'));
const previous = previousRunOf('run-0', day0, full0, stored);
console.log(`day 0, full: ${tFull0.toFixed(2)} s (keeping its scoring for the next run: ${tStore.toFixed(2)} s)`);
const [full1, tFull1] = timed(() => link(day1, opts('full-1')));
const [inc1, tInc1] = timed(() => linkIncremental(day1, previous, opts('inc-1')));
const [ref1, tRef1] = timed(() => linkWithModel(day1, stored, opts('ref-1')));
console.log(
  `day 1, full relink (EM re-fitted):        ${tFull1.toFixed(2)} s — ${stages(full1)}; ` +
    `${full1.stats.candidatePairs.toLocaleString('en-GB')} candidate pairs`,
);
console.log(`day 1, full with the day-0 model (fixed):  ${tRef1.toFixed(2)} s — ${stages(ref1)}`);
console.log(
  `day 1, incremental:                        ${tInc1.toFixed(2)} s — ${stages(inc1)}; ` +
    `${inc1.stats.candidatePairs.toLocaleString('en-GB')} new candidate pairs`,
);
console.log(`  ${JSON.stringify(inc1.incremental)}`);
console.log(
  `  incremental / full relink: ${(tInc1 / tFull1).toFixed(3)} (×${(tFull1 / tInc1).toFixed(1)} faster); ` +
    `the same partition as the full run with the fixed model: ${samePartition(inc1, ref1) ? 'yes' : 'NO'}`,
);

if (!ENGINE_ONLY) {
  console.log(
    `\n## Broker runs (runLinkage), ${process.env.DATABASE_URL ? 'PostgreSQL at DATABASE_URL' : 'embedded PGlite'}`,
  );
  const broker = await startBroker({
    dataDir: join(WORK, 'broker'),
    databaseUrl: process.env.DATABASE_URL,
    logger: createLogger('warn'),
  });
  try {
    const { db, keys } = broker;
    for (const a of ['council-tax', 'nhs-gp']) await registerAgency(db, a, a);
    await addPerson(db, {
      username: 'iggy',
      role: 'ig-lead',
      password: 'bench ig lead password 1234',
      createdBy: 'bench',
    });
    const policy = parsePolicy(
      `id: bench-incremental
version: 1
purpose: bench-incremental
title: Incremental runs bench
controllers: [{ name: Bench Council, role: controller }]
lawfulBasis: { article6: UK GDPR Art. 6(1)(e) }
dpia: { reference: DPIA-BENCH-6, approvedOn: 2019-12-01 }
validFrom: 2020-01-01
validUntil: 2099-12-31
reviewDate: 2099-01-01
contributors:
- { agency: council-tax, dataset: Council tax, identifiers: [given_name, surname, dob, address, ` +
        `postcode], duplicateFree: true }
- { agency: nhs-gp, dataset: GP register, identifiers: [given_name, surname, dob, sex, address, ` +
        `postcode, nhs_number], duplicateFree: true }
recipients:
- agency: council-tax
  releases:
    - { id: ct-pseudonyms, form: pseudonym }
retention: { encodings: P30D, linkage: P30D, releases: P30D }
linkage: { threshold: 0.8 }
`,
    );
    await storePolicy(db, policy, 'admin:bench');
    await approvePolicy(db, 'bench-incremental', 1, 'iggy');
    const load = async (agency: string, path: string) => {
      const { body } = readEncodedFile(path);
      const decoded = decodeSubmission(body);
      await storeSubmission(db, keys, {
        agency,
        purpose: 'bench-incremental',
        idempotencyKey: `bench-${path}`,
        header: body.header,
        decoded,
        signature: { digest: decoded.digest, signature: '' },
        contributors: ['council-tax', 'nhs-gp'],
        // Its privacy report is queued as the API queues it; the broker's worker computes it.
        enqueueReport: broker.jobs.queue.enqueueReport,
      });
    };
    await load('council-tax', files.ct);
    await load('nhs-gp', files.gp0);
    const run = async (mode: 'full' | 'auto') => {
      const t = performance.now();
      const r = await runLinkage(db, keys, 'bench-incremental', { mode });
      if (r.status !== 'completed') throw new Error(`run failed: ${r.error}`);
      const s = secs(t);
      const row = await db.selectFrom('run').select('stats').where('id', '=', r.runId).executeTakeFirstOrThrow();
      const seconds = (row.stats as { seconds: Record<string, number> }).seconds;
      const parts =
        `load ${seconds.load!.toFixed(1)}, engine ${seconds.total!.toFixed(1)}, store ` +
        `${seconds.store!.toFixed(1)}`;
      return { r, s, parts };
    };
    const first = await run('auto');
    console.log(`day 0, ${first.r.mode}: ${first.s.toFixed(1)} s (${first.parts})`);
    await load('nhs-gp', files.gp1);
    const inc = await run('auto');
    const full = await run('full');
    console.log(`day 1, ${inc.r.mode}: ${inc.s.toFixed(1)} s (${inc.parts}) — ${inc.r.modeReason}`);
    console.log(`day 1, ${full.r.mode} relink: ${full.s.toFixed(1)} s (${full.parts})`);
    console.log(
      `  incremental / full relink: ${(inc.s / full.s).toFixed(3)}; both decrypt every encoding and store ` +
        `every run record`,
    );
  } finally {
    await broker.close();
  }
}
