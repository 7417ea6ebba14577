// Linkage quality the engine must keep, on FEBRL4 with every column encoded field by field
// (bench/schemas/febrl4.json), and the co-resident measure that switches the personal-fields veto.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { encodeCsv, readTokenMap } from '@blindlink/agency-client';
import { linkFiles } from '@blindlink/broker';
import { FilterSet } from '@blindlink/broker/kernel';
import { coResidentShare, type FieldColumn } from '@blindlink/broker/scoring';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FEBRL = join(ROOT, '../shared/data/febrl4');
const SECRET = new TextEncoder().encode('test secret shared by the agencies, never the broker');

/** A column of one-byte-pattern filters: equal labels give equal filters; null = missing. */
function column(labels: (number | null)[]): FieldColumn {
  const set = new FilterSet(64, labels.length);
  const present = new Uint8Array(labels.length);
  labels.forEach((l, r) => {
    if (l === null) return;
    const bytes = new Uint8Array(8);
    bytes[0] = l & 0xff;
    bytes[1] = (l >>> 8) & 0xff;
    bytes[7] = 1;
    set.set(r, bytes);
    present[r] = 1;
  });
  return { set, present };
}

t.test('co-residents: two people sharing every household field in one source', async (t) => {
  const fields = ['given_name', 'surname', 'address'];
  const personal = new Set(['given_name']);
  // Records 0 and 1: parent and child (one surname and address, two given names). Record 2 and 3:
  // one person entered twice (a duplicate, not a co-resident). Record 4: alone. Record 5: no
  // shared field at all.
  const source = [column([1, 2, 3, 3, 4, 5]), column([10, 10, 11, 11, 12, null]), column([20, 20, 21, 21, 22, null])];
  t.equal(coResidentShare([source], fields, personal), 2 / 6);
  // The same people split over two sources are not co-residents of one source.
  const a = [column([1, 3]), column([10, 11]), column([20, 21])];
  const b = [column([2, 4]), column([10, 12]), column([20, 22])];
  t.equal(coResidentShare([a, b], fields, personal), 0);
  // A field missing from a source altogether counts as missing for every record.
  t.equal(coResidentShare([[column([1, 2]), column([10, 10]), null]], fields, personal), 1);
  t.equal(coResidentShare([source], fields, new Set()), 0, 'no personal fields: nothing tells people apart');
  t.equal(coResidentShare([source], fields, new Set(fields)), 0, 'no shared fields: no household to share');
});

t.test('FEBRL4 with every column as a field filter: F1 ≥ 0.999, household test off', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'blindlink-febrl-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const idOf = new Map<string, string>();
  const header = 'record_id,given_name,surname,street_number,address_1,address_2,suburb,postcode,state,dob,soc_sec_id';
  for (const f of ['dataset4a', 'dataset4b']) {
    const rows = (parse(readFileSync(join(FEBRL, `${f}.csv`)), { relax_column_count: true }) as string[][]).slice(1);
    writeFileSync(
      join(dir, `${f}.csv`),
      [header, ...rows.map((r) => r.map((v) => `"${v.trim()}"`).join(','))].join('\n') + '\n',
    );
    const s = await encodeCsv({
      input: join(dir, `${f}.csv`),
      out: join(dir, `${f}.enc`),
      secret: SECRET,
      schema: join(ROOT, 'bench/schemas/febrl4.json'),
      map: {},
      idColumn: 'record_id',
      ignore: [],
      onInvalid: 'missing',
    });
    t.equal(s.encoded, 5000, `${f}: every row kept`);
    for (const [token, id] of readTokenMap(join(dir, `${f}.enc.tokens.csv`)))
      idOf.set(token, id.replace(/-(org|dup-\d+)$/, ''));
  }
  const { sources, result } = linkFiles([join(dir, 'dataset4a.enc'), join(dir, 'dataset4b.enc')], {
    duplicateFree: ['dataset4a', 'dataset4b'],
    diceThreshold: 0.8,
  });
  t.equal(result.scoring.mode, 'fellegi-sunter');
  t.match(
    result.scoring.reasoning.join('\n'),
    /Household test off: only 0\.00%/,
    'FEBRL holds no co-residents, so the household test stays off',
  );
  const header0 = sources[0]!.fieldSpecs.filter((f) => f.personal).map((f) => f.field);
  t.same(header0, ['given_name', 'dob', 'soc_sec_id'], 'the encoder declared the personal fields');
  let g = 0;
  const entityOf = sources.map((s) => s.tokens.map(() => result.entityIds[g++]!));
  const personInB = new Map(sources[1]!.tokens.map((tok, r) => [idOf.get(tok)!, entityOf[1]![r]!]));
  const linkedB = new Set(entityOf[1]);
  let tp = 0;
  let fp = 0;
  sources[0]!.tokens.forEach((tok, r) => {
    const e = entityOf[0]![r]!;
    if (!linkedB.has(e)) return;
    if (personInB.get(idOf.get(tok)!) === e) tp++;
    else fp++;
  });
  const precision = tp / (tp + fp);
  const recall = tp / 5000;
  const f1 = (2 * precision * recall) / (precision + recall);
  t.comment(
    `FEBRL4 field-level: precision ${precision.toFixed(4)} recall ${recall.toFixed(4)} F1 ${f1.toFixed(4)}` +
      `, ${result.stats.candidatePairs} candidate pairs`,
  );
  t.ok(f1 >= 0.999, `F1 ${f1.toFixed(4)} ≥ 0.999`);
  t.ok(result.stats.candidatePairs < 50_000, `${result.stats.candidatePairs} candidate pairs < 50,000`);
});
