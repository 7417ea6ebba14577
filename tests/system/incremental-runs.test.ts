/**
 * Incremental runs (issue 4 §6): a daily extract from one source updates the entity graph without
 * relinking everything. The engine: an incremental run gives exactly the partition of a full run on
 * the same records with the same model, over two days in a row. The broker: the mode and why are
 * reported, unchanged entities keep ids and pseudonyms, merges and splits are recorded with the run
 * that caused them, a policy version change or a request forces a full run, and retention purges
 * the stored state with its run — on PostgreSQL and on PGlite.
 */
import { dirname, join } from 'node:path';
import t, { type Test } from 'tap';
import { readEncodedFile, readTokenMap } from '@blindlink/agency-client';
import { dailyExtract, synthCommand } from '@blindlink/synth';
import {
  approvePolicy,
  decodeModel,
  link,
  linkIncremental,
  linkWithModel,
  previousRunOf,
  purge,
  readSource,
  modelToStore,
  sortByRecordKey,
  storePolicy,
  type EngineResult,
  type EngineSource,
} from '@blindlink/broker';
import { parsePolicy } from '@blindlink/policies';
import { settledPrivacyDigest } from '../helpers/privacy-reports.js';
import { call, runToEnd, submitAs, testBroker, tokenFor } from '../helpers/in-process.js';
import { encodeIdentifiers, readCsv, writeCsv } from '../helpers/purposes.js';

const SECRET = Buffer.from('incremental runs test secret, agencies only');

const encode = (csv: string, out: string) => encodeIdentifiers(csv, out, SECRET);

/** A source read from an encoded file under its agency's name, in record-key order as runs number it. */
function source(path: string, name: string, duplicateFree: boolean): EngineSource {
  return sortByRecordKey({ ...readSource(path, duplicateFree), name });
}

/** The partition as a canonical label per record (the index of the first record of its entity). */
function partition(entityIds: readonly string[]): Uint32Array {
  const first = new Map<string, number>();
  return Uint32Array.from(entityIds, (e, g) => {
    const seen = first.get(e);
    if (seen !== undefined) return seen;
    first.set(e, g);
    return g;
  });
}

function samePartition(t: Test, a: EngineResult, b: EngineResult, what: string): void {
  const pa = partition(a.entityIds);
  const pb = partition(b.entityIds);
  let differ = 0;
  for (let g = 0; g < pa.length; g++) if (pa[g] !== pb[g]) differ++;
  t.equal(pa.length, pb.length, `${what}: as many records`);
  t.equal(differ, 0, `${what}: the same entity partition (${a.stats.entities} entities)`);
}

t.test('engine: incremental runs equal full runs with the same model, two days in a row', async (t) => {
  const dir = t.testdir({});
  const data = join(dir, 'synth');
  const later = join(dir, 'synth-arrivals');
  await synthCommand(
    { persons: 2500, seed: 'incremental', out: data, agencies: ['council_tax', 'nhs_gp', 'police'] },
    { info: () => {} },
  );
  // New arrivals: people of another population, so nothing in the extracts already knows them.
  await synthCommand(
    { persons: 200, seed: 'incremental-arrivals', out: later, agencies: ['council_tax', 'nhs_gp'] },
    { info: () => {} },
  );
  const file = (d: string, a: string) => join(d, `${a}.csv`);
  const enc = async (csv: string, name: string) => encode(csv, join(dir, `${name}.enc`));
  // Police hold a person many times (not duplicate-free): their records are de-duplicated too.
  const day0 = [
    source(await enc(file(data, 'council_tax'), 'ct0'), 'council-tax', true),
    source(await enc(file(data, 'nhs_gp'), 'gp0'), 'nhs-gp', true),
    source(await enc(file(data, 'police'), 'police0'), 'police', false),
  ];

  const full0 = link(day0, { diceThreshold: 0.8, runId: 'run-0' });
  t.equal(full0.scoring.mode, 'fellegi-sunter', 'the full run fits a model');
  const stored = modelToStore(full0, 'run-0');
  t.ok(stored.fellegiSunter?.household, 'these sources hold co-residents: the stored model carries its household test');
  // The fixed-model path is the full run itself when the model is the one the full run fitted: the
  // same blocking, the same weights, the same veto decision.
  samePartition(
    t,
    linkWithModel(day0, stored, { diceThreshold: 0.8, runId: 'ref-0' }),
    full0,
    'day 0, stored model against the fitting run',
  );

  // Day 1: the GP extract again, with 2% moved, 1% gone and new registrations; fresh row tokens.
  const gp = readCsv(file(data, 'nhs_gp'));
  const d1 = dailyExtract(gp.rows, {
    seed: 'day-1',
    moved: 0.02,
    left: 0.01,
    arrivals: readCsv(file(later, 'nhs_gp')).rows.slice(0, 40),
    idPrefix: 'GPN',
  });
  writeCsv(join(dir, 'gp1.csv'), gp.header, d1.rows);
  const day1 = [day0[0]!, source(await enc(join(dir, 'gp1.csv'), 'gp1'), 'nhs-gp', true), day0[2]!];
  const inc1 = linkIncremental(day1, previousRunOf('run-0', day0, full0, stored), {
    diceThreshold: 0.8,
    runId: 'run-1',
  });
  const ref1 = linkWithModel(day1, stored, { diceThreshold: 0.8, runId: 'ref-1' });
  samePartition(t, inc1, ref1, 'day 1 (GP extract changed)');
  t.comment(`day 1: ${d1.moved} moved, ${d1.left} left, ${d1.arrived} arrived; ${JSON.stringify(inc1.incremental)}`);
  // Every row is encoded (invalid fields are left out, rows kept), so a moved person whose encoding
  // changed counts once as removed and once as added.
  const changed = inc1.incremental.added - d1.arrived;
  t.ok(changed > 0 && changed <= d1.moved, `${changed} of the ${d1.moved} who moved have new encodings`);
  t.equal(inc1.incremental.removed, d1.left + changed, 'removed: those who left and those who changed');
  t.ok(
    inc1.stats.candidatePairs * 10 < ref1.stats.candidatePairs,
    `only pairs touching new records are scored: ${inc1.stats.candidatePairs} of ${ref1.stats.candidatePairs}`,
  );
  t.ok(
    inc1.incremental.carriedPairs > inc1.incremental.newPairs,
    `pairs among unchanged records are carried over, not scored again: ${inc1.incremental.carriedPairs} ` +
      `carried, ${inc1.incremental.newPairs} scored`,
  );
  t.same(inc1.stats.households, ref1.stats.households, 'as many households as the full run');

  // Entities none of whose records changed keep their ids.
  // (An entity is named by its members' keys; one person twice in a source gives two entities with
  // the same keys, which cannot be told apart this way and are left out.)
  const keysOf = (r: EngineResult) => {
    const m = new Map<string, string[]>();
    r.entityIds.forEach((e, g) => {
      m.set(e, [...(m.get(e) ?? []), r.recordKeys[g]!]);
    });
    const byMembers = new Map<string, string | null>();
    for (const [e, ks] of m) {
      const members = ks.sort().join('|');
      byMembers.set(members, byMembers.has(members) ? null : e);
    }
    return byMembers;
  };
  const before = keysOf(full0);
  const after = keysOf(inc1);
  let unchanged = 0;
  let kept = 0;
  for (const [members, id] of before) {
    const now = after.get(members);
    if (id === null || now === undefined || now === null) continue;
    unchanged++;
    if (now === id) kept++;
  }
  t.ok(unchanged > 1000, `${unchanged} entities unchanged`);
  t.equal(kept, unchanged, 'every unchanged entity keeps its id');

  // Day 2 continues day 1 (state of an incremental run), now with a council-tax extract.
  const ct = readCsv(file(data, 'council_tax'));
  const d2 = dailyExtract(ct.rows, {
    seed: 'day-2',
    moved: 0.02,
    left: 0.01,
    arrivals: readCsv(file(later, 'council_tax')).rows.slice(0, 30),
    idPrefix: 'CTN',
  });
  writeCsv(join(dir, 'ct2.csv'), ct.header, d2.rows);
  const day2 = [source(await enc(join(dir, 'ct2.csv'), 'ct2'), 'council-tax', true), day1[1]!, day1[2]!];
  const inc2 = linkIncremental(day2, previousRunOf('run-1', day1, inc1, stored), {
    diceThreshold: 0.8,
    runId: 'run-2',
  });
  samePartition(
    t,
    inc2,
    linkWithModel(day2, stored, { diceThreshold: 0.8, runId: 'ref-2' }),
    'day 2 (council-tax extract changed, continuing an incremental run)',
  );

  // Nothing new at all: nothing is scored, every pair carried over, every id kept.
  const same = linkIncremental(day2, previousRunOf('run-2', day2, inc2, stored), {
    diceThreshold: 0.8,
    runId: 'run-3',
  });
  t.equal(same.stats.candidatePairs, 0, 'no new records: no candidate pairs');
  t.equal(same.incremental.carriedPairs, inc2.pairs.a.length, 'no new records: every stored pair carried over');
  t.same(same.entityIds, inc2.entityIds, 'no new records: every id kept');
  // (Household events are left aside: a household of an entity without an address is minted afresh
  // on every run, full or incremental, because no record carries its id.)
  const entityIds = new Set(same.entityIds);
  t.same(
    same.events.filter((e) => e.entityIds.some((id) => entityIds.has(id))),
    [],
    'no new records: no entity events',
  );
  t.same(same.householdIds, inc2.householdIds, 'no new records: every household id kept');

  // Sources out of record-key order cannot continue: ties would break differently.
  const shuffled = day2.map((s, i) =>
    i === 1
      ? {
          ...s,
          tokens: [...s.tokens].reverse(),
          clks: [...s.clks].reverse(),
          fieldMasks: Array.from(s.fieldMasks).reverse(),
          fields: [...s.fields].reverse(),
          blocks: [...s.blocks].reverse(),
        }
      : s,
  );
  t.throws(
    () => linkIncremental(shuffled, previousRunOf('run-2', day2, inc2, stored), { diceThreshold: 0.8, runId: 'x' }),
    /record-key order/,
  );
  t.throws(
    () =>
      linkIncremental(day2.slice(0, 2), previousRunOf('run-2', day2, inc2, stored), { diceThreshold: 0.8, runId: 'x' }),
    /sources changed/,
  );
  // A source's population decides which merges its entities may take: a change cannot continue either.
  const adults = day2.map((s) => (s.name === 'council-tax' ? { ...s, population: 'adults' as const } : s));
  t.throws(
    () => linkIncremental(adults, previousRunOf('run-2', day2, inc2, stored), { diceThreshold: 0.8, runId: 'x' }),
    new RegExp(
      'sources changed \\(council-tax \\(duplicate-free\\), nhs-gp \\(duplicate-free\\), police → ' +
        'council-tax \\(duplicate-free, adults only\\), nhs-gp',
    ),
    'a population declared since the previous run',
  );
  const children = adults.map((s) => (s.name === 'police' ? { ...s, population: 'children' as const } : s));
  t.throws(
    () => linkIncremental(children, previousRunOf('run-2', adults, inc2, stored), { diceThreshold: 0.8, runId: 'x' }),
    /police \(children only\)\)$/,
    'or one added to another source',
  );
});

const POLICY = (version: number) =>
  `
id: incremental-test
version: ${version}
purpose: incremental
title: Incremental runs
controllers: [{ name: Test Council, role: controller }]
lawfulBasis: { article6: UK GDPR Art. 6(1)(e) }
dpia: { reference: DPIA-T-6, approvedOn: 2019-12-01 }
validFrom: 2020-01-01
validUntil: 2099-12-31
reviewDate: 2099-01-01
contributors:
  - { agency: alpha, dataset: Council tax, identifiers: [given_name, surname, dob, address, postcode], ` +
  `duplicateFree: true, population: adults }
  - { agency: beta, dataset: GP register, identifiers: [given_name, surname, dob, sex, address, postcode, ` +
  `nhs_number], duplicateFree: true }
recipients:
  - agency: alpha
    releases:
      - { id: alpha-pseudonyms, form: pseudonym }
retention: { encodings: P30D, linkage: P30D, releases: P30D }
linkage: { threshold: 0.8 }
`;

/** Two letters of a name swapped: a typo that still links, more weakly. */
const typo = (s: string) => s.slice(0, 1) + s.slice(2, 3) + s.slice(1, 2) + s.slice(3);

for (const storage of ['postgres', 'pglite'] as const) {
  t.test(`broker runs: incremental when possible, full when not (${storage})`, async (t) => {
    const b = await testBroker(t, storage);
    await storePolicy(b.db, parsePolicy(POLICY(1)), 'admin:root');
    await approvePolicy(b.db, 'incremental-test', 1, 'iggy');
    const dir = dirname(b.keyDirs.alpha!); // testBroker's own test directory (a second testdir would wipe it)
    const data = join(dir, 'synth');
    await synthCommand(
      { persons: 800, seed: 'incremental-runs', out: data, agencies: ['council_tax', 'nhs_gp'] },
      { info: () => {} },
    );
    const ct = readCsv(join(data, 'council_tax.csv'));
    const gp = readCsv(join(data, 'nhs_gp.csv'));
    const truth = readCsv(join(data, 'truth/records.csv')).rows;

    // Two council-tax people whose GP records the test writes itself. M: registered twice at the GP,
    // once with a typo — the exact record links, the typo is refused (one record per person). When the
    // exact one is deregistered, the typo record joins M: a merge of two previous entities. S: known
    // to the GP only with a typo, linked; when the exact record arrives it outbids it: a split.
    const [m, s] = ct.rows
      .filter((r) => r.dob && r.given_name!.length > 3 && r.surname!.length > 3 && r.postcode)
      .slice(0, 2) as [Record<string, string>, Record<string, string>];
    const personOf = (agency: string, id: string) =>
      truth.find((x) => x.agency === agency && x.record_id === id)!.person_id;
    const special = new Set([personOf('council_tax', m.record_id!), personOf('council_tax', s.record_id!)]);
    const gpBase = gp.rows.filter((r) => !special.has(personOf('nhs_gp', r.record_id!)));
    const gpRow = (id: string, from: Record<string, string>, change: Partial<Record<string, string>> = {}) => ({
      record_id: id,
      given_name: from.given_name!,
      surname: from.surname!,
      dob: from.dob!,
      address: from.address!,
      postcode: from.postcode!,
      ...change,
    });
    const m0 = gpRow('GPX0000001', m);
    const m1 = gpRow('GPX0000002', m, { given_name: typo(m.given_name!) });
    const s1 = gpRow('GPX0000003', s, { surname: typo(s.surname!) });
    const s0 = gpRow('GPX0000004', s);

    const submit = async (agency: string, rows: Record<string, string>[], header: string[], name: string) => {
      writeCsv(join(dir, `${name}.csv`), header, rows);
      const out = await encode(join(dir, `${name}.csv`), join(dir, `${name}.enc`));
      const r = await submitAs(b, agency, readEncodedFile(out).body, `incremental-${name}`, { purpose: 'incremental' });
      t.equal(r.status, 201, `${name} submitted: ${r.text.slice(0, 200)}`);
      return { tokens: readTokenMap(`${out}.tokens.csv`), path: out };
    };
    const run = async (as: string, body?: unknown) => {
      const r = await runToEnd(b, 'incremental', {
        as,
        token: await tokenFor(b, as),
        ...(body === undefined ? {} : { body }),
      });
      t.equal(r.status, 202, r.text.slice(0, 300));
      t.equal(r.json.status, 'completed', `run completed: ${r.json.error ?? ''}`);
      return r.json as { runId: string; mode: string; modeReason: string };
    };
    const entities = async (runId: string) => {
      const rows = await b.db
        .selectFrom('run_record')
        .innerJoin('submission', 'submission.id', 'run_record.submission_id')
        .select(['submission.agency', 'run_record.row_token', 'run_record.record_key', 'run_record.entity_id'])
        .where('run_id', '=', runId)
        .execute();
      return new Map(rows.map((r) => [`${r.agency}/${r.row_token}`, { entity: r.entity_id, key: r.record_key }]));
    };
    const tokenOf = (map: Map<string, string>, id: string) => [...map].find(([, rid]) => rid === id)![0];

    const alpha = await submit('alpha', ct.rows, ct.header, 'ct');
    const beta1 = await submit('beta', [...gpBase, m0, m1, s1], gp.header, 'gp1');
    const run1 = await run('beta');
    t.match(run1, { mode: 'full', modeReason: 'first run for this purpose' }, 'the first run is full, and says why');
    const e1 = await entities(run1.runId);
    const entity1 = (agency: string, token: string) => e1.get(`${agency}/${token}`)!.entity;
    const [aM, aS] = [tokenOf(alpha.tokens, m.record_id!), tokenOf(alpha.tokens, s.record_id!)];
    t.equal(
      entity1('alpha', aM),
      entity1('beta', tokenOf(beta1.tokens, 'GPX0000001')),
      'M links to the exact GP record',
    );
    t.not(
      entity1('beta', tokenOf(beta1.tokens, 'GPX0000002')),
      entity1('alpha', aM),
      'and not to the typo, a second GP record of one person',
    );
    t.equal(
      entity1('alpha', aS),
      entity1('beta', tokenOf(beta1.tokens, 'GPX0000003')),
      'S links to the GP record with a typo',
    );
    const state1 = await b.db
      .selectFrom('run_state')
      .selectAll()
      .where('run_id', '=', run1.runId)
      .executeTakeFirstOrThrow();
    t.equal(state1.record_count, e1.size, 'the run keeps its state: every record numbered');
    t.ok(decodeModel(state1.model).fellegiSunter, 'and the fitted model');
    const pseudonyms = async () => {
      const r = await call(b, 'POST', '/v1/purposes/incremental/releases/pseudonym', {
        as: 'alpha',
        token: await tokenFor(b, 'alpha'),
        body: {},
      });
      t.equal(r.status, 200, r.text.slice(0, 200));
      return new Map((r.json.answers as { token: string; pseudonym: string }[]).map((a) => [a.token, a.pseudonym]));
    };
    const p1 = await pseudonyms();

    // The next day's GP extract: people moved, left, arrived; M's exact record gone, S's exact record in.
    const d = dailyExtract(gpBase, { seed: 'runs-day-2', moved: 0.03, left: 0.01, arrivals: [], idPrefix: 'GPN' });
    const beta2 = await submit('beta', [...d.rows, m1, s1, s0], gp.header, 'gp2');
    const run2 = await run('alpha');
    t.equal(run2.mode, 'incremental', `the next run is incremental: ${run2.modeReason}`);
    t.match(
      run2.modeReason,
      new RegExp(`^continues run ${run1.runId} .* records carried over, \\d+ new or changed, \\d+ removed`),
      'and says what it continued and what changed',
    );
    const e2 = await entities(run2.runId);
    const entity2 = (agency: string, token: string) => e2.get(`${agency}/${token}`)!.entity;
    t.equal(
      entity2('alpha', aM),
      entity2('beta', tokenOf(beta2.tokens, 'GPX0000002')),
      'M now links to the typo record',
    );
    t.equal(
      entity2('alpha', aS),
      entity2('beta', tokenOf(beta2.tokens, 'GPX0000004')),
      'S now links to the exact record',
    );
    t.not(entity2('alpha', aS), entity2('beta', tokenOf(beta2.tokens, 'GPX0000003')), 'and no longer to the typo');

    // Merge and split events, recorded with the run that caused them.
    const events = async (runId: string) =>
      (await b.db.selectFrom('run_event').select(['kind', 'detail']).where('run_id', '=', runId).execute()).map(
        (e) => e.detail as unknown as { kind: string; runId: string; from: string | string[]; entityIds: string[] },
      );
    const ev1 = await events(run1.runId);
    t.ok(ev1.length > 0 && ev1.every((e) => e.kind === 'created'), 'the first run only creates');
    const ev2 = await events(run2.runId);
    const [mBefore, mTyBefore, sBefore] = [
      entity1('alpha', aM),
      entity1('beta', tokenOf(beta1.tokens, 'GPX0000002')),
      entity1('alpha', aS),
    ];
    const merged = ev2.find(
      (e) => e.kind === 'merged' && e.entityIds.includes(mBefore) && e.entityIds.includes(mTyBefore),
    );
    t.ok(merged, "M's two previous entities merged");
    t.equal(merged?.runId, run2.runId, 'the merge names the run that caused it');
    t.same([...(merged?.from ?? [])].sort(), [mBefore, mTyBefore].sort(), 'merged from both');
    const split = ev2.find((e) => e.kind === 'split' && e.from === sBefore);
    t.ok(split, "S's previous entity split");
    t.equal(split?.runId, run2.runId, 'the split names the run that caused it');
    t.notOk(
      ev1.some((e) => e.kind === 'merged' || e.kind === 'split'),
      'neither is recorded with the earlier run',
    );

    // The same partition as a full run on these records with the first run's model.
    const sources = [source(alpha.path, 'alpha', true), source(beta2.path, 'beta', true)];
    const ref = linkWithModel(sources, decodeModel(state1.model), { diceThreshold: 0.8, runId: 'reference' });
    const pairsOf = new Set<string>();
    let g = 0;
    for (const s of sources)
      for (const token of s.tokens) pairsOf.add(`${ref.entityIds[g++]}→${e2.get(`${s.name}/${token}`)!.entity}`);
    t.equal(e2.size, ref.entityIds.length, 'as many records as the reference');
    t.equal(pairsOf.size, new Set(ref.entityIds).size, 'each reference entity is one run entity');
    t.equal(
      pairsOf.size,
      new Set([...e2.values()].map((x) => x.entity)).size,
      'and each run entity one reference entity',
    );

    // Unchanged entities (the same members, by record key) keep their ids, and alpha's pseudonyms.
    const membersOf = (e: Map<string, { entity: string; key: string }>) => {
      const m = new Map<string, string[]>();
      for (const { entity, key } of e.values()) m.set(entity, [...(m.get(entity) ?? []), key]);
      return new Map([...m].map(([id, keys]) => [id, keys.sort().join('|')]));
    };
    const [before, after] = [membersOf(e1), membersOf(e2)];
    const p2 = await pseudonyms();
    let unchanged = 0;
    let keptId = 0;
    let keptPseudonym = 0;
    let alphaTokens = 0;
    for (const [token] of alpha.tokens) {
      const was = entity1('alpha', token);
      const now = entity2('alpha', token);
      if (before.get(was) !== after.get(now)) continue;
      unchanged++;
      if (was === now) keptId++;
      alphaTokens++;
      if (p1.get(token) === p2.get(token)) keptPseudonym++;
    }
    t.ok(unchanged > 300, `${unchanged} of alpha's ${alpha.tokens.size} records are in unchanged entities`);
    t.equal(keptId, unchanged, 'unchanged entities keep their ids');
    t.equal(keptPseudonym, alphaTokens, 'and their pseudonyms');
    t.not(p2.get(aS), undefined, 'S still has a pseudonym');

    // A request for a full run, and bad requests.
    const full = await run('alpha', { mode: 'full' });
    t.match(full, { mode: 'full', modeReason: 'a full relink was requested' });
    // A full run's status shows its own estimates from the model (estimates.ts).
    const est = (full as { estimates?: { precision: number; recall: number; linkedPairs: number } }).estimates;
    t.ok(
      est && est.precision > 0.9 && est.precision <= 1 && est.recall > 0.9 && est.recall <= 1 && est.linkedPairs > 100,
      `the run status shows estimated precision and recall: ${JSON.stringify(est)}`,
    );
    for (const body of [{ mode: 'fast' }, { mode: 'full', extra: 1 }]) {
      const r = await call(b, 'POST', '/v1/purposes/incremental/runs', {
        as: 'alpha',
        token: await tokenFor(b, 'alpha'),
        body,
      });
      t.equal(r.status, 400, `refused: ${JSON.stringify(body)} → ${r.text.slice(0, 120)}`);
    }
    const again = await run('alpha', { mode: 'auto' });
    t.match(again, { mode: 'incremental' }, 'after it, incremental again');
    t.match(
      again.modeReason,
      new RegExp(`^continues run ${full.runId} .* 0 new or changed, 0 removed; 0 candidate pairs scored`),
      'nothing changed',
    );

    // The stored settings hold each source's population (none for beta, which declares none).
    type Settings = { sources: { name: string; duplicateFree: boolean; population?: string }[] };
    const settingsOf = async (runId: string) =>
      (await b.db.selectFrom('run_state').select('settings').where('run_id', '=', runId).executeTakeFirstOrThrow())
        .settings as unknown as Settings;
    const settings = await settingsOf(again.runId);
    t.same(
      settings.sources,
      [
        { name: 'alpha', duplicateFree: true, population: 'adults' },
        { name: 'beta', duplicateFree: true },
      ],
      'the run settings hold the populations',
    );
    // A state whose sources differ in population only (here: as stored before populations existed,
    // no field, read as anyone) cannot be continued: a full run, naming the change.
    const unaware = { ...settings, sources: settings.sources.map(({ population: _p, ...s }) => s) };
    await b.db
      .updateTable('run_state')
      .set({ settings: JSON.stringify(unaware) } as never)
      .where('run_id', '=', again.runId)
      .execute();
    const relinked = await run('alpha');
    t.match(relinked, {
      mode: 'full',
      modeReason:
        'the contributing sources changed (alpha (duplicate-free), beta (duplicate-free) → alpha ' +
        '(duplicate-free, adults only), beta (duplicate-free))',
    });
    t.match(
      await run('alpha'),
      { mode: 'incremental' },
      'the next run continues it: beta, with no population field, reads as undeclared',
    );

    // A new policy version: a full run, saying so.
    await storePolicy(b.db, parsePolicy(POLICY(2)), 'admin:root');
    // The purpose has submissions: the IG lead approves having read their privacy report.
    await approvePolicy(b.db, 'incremental-test', 2, 'iggy', await settledPrivacyDigest(b.db, 'incremental'));
    const v2 = await run('alpha');
    t.match(v2, { mode: 'full', modeReason: 'the policy changed (incremental-test v1 → incremental-test v2)' });

    // Without the previous run's state: a full run, saying so.
    await b.db.deleteFrom('run_state').where('run_id', '=', v2.runId).execute();
    const lost = await run('alpha');
    t.match(lost, { mode: 'full', modeReason: `the previous run ${v2.runId} has no stored state to continue from` });
    const stored = await b.db
      .selectFrom('run')
      .select(['id', 'mode', 'mode_reason'])
      .where('id', '=', lost.runId)
      .executeTakeFirstOrThrow();
    t.match(stored, { mode: 'full', mode_reason: lost.modeReason }, 'the run record says it too');

    // Retention: the state goes with its run.
    await b.db
      .updateTable('run')
      .set({ started_at: new Date(Date.now() - 31 * 86_400_000) } as never)
      .where('purpose', '=', 'incremental')
      .execute();
    const count = async (table: 'run_state' | 'run_record') =>
      Number((await b.db.selectFrom(table).select(b.db.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    t.ok((await count('run_state')) >= 5, 'state stored for each completed run');
    await purge(b.db, 'operator:test');
    t.equal(await count('run_state'), 0, 'purge deletes the stored state with the runs');
    t.equal(await count('run_record'), 0, 'and their records');
  });
}
