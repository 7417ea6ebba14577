/**
 * Incremental runs (issue 4 §6): a daily extract from one source updates the entity graph without
 * relinking everything. The engine: an incremental run gives exactly the partition of a full run on
 * the same records with the same model, over two days in a row. The broker: the mode and why are
 * reported, unchanged entities keep ids and pseudonyms, merges and splits are recorded with the run
 * that caused them, a policy version change or a request forces a full run, and retention purges
 * the stored state with its run — on PostgreSQL and on PGlite.
 */
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { encodeCsv } from '@blindlink/agency-client';
import { synthCommand } from '@blindlink/agency-client/synth';
import { link, linkIncremental, linkWithScoring, previousRunOf, readSource, scoringToStore, sortByRecordKey, type EngineResult, type EngineSource } from '@blindlink/broker';
import { dailyExtract } from './helpers/daily-extract.js';
import { ignoredColumns, readCsv, writeCsv } from './helpers/purposes.js';

const SECRET = Buffer.from('incremental runs test secret, agencies only');
const IDENTIFIERS = ['given_name', 'surname', 'dob', 'sex', 'address', 'postcode', 'nhs_number'];

async function encode(csv: string, out: string): Promise<string> {
  const { header } = readCsv(csv);
  await encodeCsv({ input: csv, out, secret: SECRET, schema: 'uk-person', map: {}, idColumn: 'record_id', ignore: ignoredColumns(header, IDENTIFIERS, []), attributes: [], onInvalid: 'missing', threads: 1 });
  return out;
}

/** A source read from an encoded file under its agency's name, in record-key order as runs number it. */
function source(path: string, name: string, duplicateFree: boolean): EngineSource {
  return sortByRecordKey({ ...readSource(path, duplicateFree), name });
}

/** The partition as a canonical label per record (the index of the first record of its entity). */
function partition(entityIds: readonly string[]): Uint32Array {
  const first = new Map<string, number>();
  return Uint32Array.from(entityIds, (e, g) => first.get(e) ?? (first.set(e, g), g));
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
  await synthCommand({ persons: 2500, seed: 'incremental', out: data, agencies: ['council_tax', 'nhs_gp', 'police'] }, { info: () => {} });
  // New arrivals: people of another population, so nothing in the extracts already knows them.
  await synthCommand({ persons: 200, seed: 'incremental-arrivals', out: later, agencies: ['council_tax', 'nhs_gp'] }, { info: () => {} });
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
  const stored = scoringToStore(full0, day0, 'run-0');
  t.ok(stored.veto, 'these sources hold co-residents: the personal-fields veto is on');
  // The fixed-model path is the full run itself when the model is the one the full run fitted: the
  // same blocking, the same weights, the same veto decision.
  samePartition(t, linkWithScoring(day0, stored, { diceThreshold: 0.8, runId: 'ref-0' }), full0, 'day 0, stored model against the fitting run');

  // Day 1: the GP extract again, with 2% moved, 1% gone and new registrations; fresh row tokens.
  const gp = readCsv(file(data, 'nhs_gp'));
  const d1 = dailyExtract(gp.rows, { seed: 'day-1', moved: 0.02, left: 0.01, arrivals: readCsv(file(later, 'nhs_gp')).rows.slice(0, 40), idPrefix: 'GPN' });
  writeCsv(join(dir, 'gp1.csv'), gp.header, d1.rows);
  const day1 = [day0[0]!, source(await enc(join(dir, 'gp1.csv'), 'gp1'), 'nhs-gp', true), day0[2]!];
  const inc1 = linkIncremental(day1, previousRunOf('run-0', day0, full0, stored), { diceThreshold: 0.8, runId: 'run-1' });
  const ref1 = linkWithScoring(day1, stored, { diceThreshold: 0.8, runId: 'ref-1' });
  samePartition(t, inc1, ref1, 'day 1 (GP extract changed)');
  t.comment(`day 1: ${d1.moved} moved, ${d1.left} left, ${d1.arrived} arrived; ${JSON.stringify(inc1.incremental)}`);
  // Every row is encoded (invalid fields are left out, rows kept), so a moved person whose encoding
  // changed counts once as removed and once as added.
  const changed = inc1.incremental.added - d1.arrived;
  t.ok(changed > 0 && changed <= d1.moved, `${changed} of the ${d1.moved} who moved have new encodings`);
  t.equal(inc1.incremental.removed, d1.left + changed, 'removed: those who left and those who changed');
  t.ok(inc1.stats.candidatePairs * 10 < ref1.stats.candidatePairs, `only pairs touching new records are scored: ${inc1.stats.candidatePairs} of ${ref1.stats.candidatePairs}`);
  // Components of the links graph are large here (pairs just above the threshold chain people who share
  // an address or a name, and police hold some people many times): one of them holds a sixth of the records.
  t.ok(inc1.incremental.recomputedRecords < day1.reduce((n, s) => n + s.tokens.length, 0) / 2, `only affected components are re-clustered: ${inc1.incremental.recomputedRecords} records`);
  t.same(inc1.stats.households, ref1.stats.households, 'as many households as the full run');

  // Entities none of whose records changed keep their ids.
  // (An entity is named by its members' keys; one person twice in a source gives two entities with
  // the same keys, which cannot be told apart this way and are left out.)
  const keysOf = (r: EngineResult) => {
    const m = new Map<string, string[]>();
    r.entityIds.forEach((e, g) => m.set(e, [...(m.get(e) ?? []), r.recordKeys[g]!]));
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
  const d2 = dailyExtract(ct.rows, { seed: 'day-2', moved: 0.02, left: 0.01, arrivals: readCsv(file(later, 'council_tax')).rows.slice(0, 30), idPrefix: 'CTN' });
  writeCsv(join(dir, 'ct2.csv'), ct.header, d2.rows);
  const day2 = [source(await enc(join(dir, 'ct2.csv'), 'ct2'), 'council-tax', true), day1[1]!, day1[2]!];
  const inc2 = linkIncremental(day2, previousRunOf('run-1', day1, inc1, stored), { diceThreshold: 0.8, runId: 'run-2' });
  samePartition(t, inc2, linkWithScoring(day2, stored, { diceThreshold: 0.8, runId: 'ref-2' }), 'day 2 (council-tax extract changed, continuing an incremental run)');

  // Nothing new at all: nothing is scored, nothing re-clustered, every id kept.
  const same = linkIncremental(day2, previousRunOf('run-2', day2, inc2, stored), { diceThreshold: 0.8, runId: 'run-3' });
  t.equal(same.stats.candidatePairs, 0, 'no new records: no candidate pairs');
  t.equal(same.incremental.recomputedRecords, 0, 'no new records: nothing re-clustered');
  t.same(same.entityIds, inc2.entityIds, 'no new records: every id kept');
  // (Household events are left aside: a household of an entity without an address is minted afresh
  // on every run, full or incremental, because no record carries its id.)
  const entityIds = new Set(same.entityIds);
  t.same(same.events.filter((e) => e.entityIds.some((id) => entityIds.has(id))), [], 'no new records: no entity events');
  t.same(same.householdIds, inc2.householdIds, 'no new records: every household id kept');

  // Sources out of record-key order cannot continue: ties would break differently.
  const shuffled = day2.map((s, i) => (i === 1 ? { ...s, tokens: [...s.tokens].reverse(), clks: [...s.clks].reverse(), fieldMasks: Array.from(s.fieldMasks).reverse(), fields: [...s.fields].reverse(), blocks: [...s.blocks].reverse() } : s));
  t.throws(() => linkIncremental(shuffled, previousRunOf('run-2', day2, inc2, stored), { diceThreshold: 0.8, runId: 'x' }), /record-key order/);
  t.throws(() => linkIncremental(day2.slice(0, 2), previousRunOf('run-2', day2, inc2, stored), { diceThreshold: 0.8, runId: 'x' }), /sources changed/);
});
