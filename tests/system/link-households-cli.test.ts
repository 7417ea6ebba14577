/**
 * The offline `link` through the real command (spawned): entities.csv carries a household per row,
 * the summary states the run's estimated precision and recall, and both hold up against the
 * generator's truth; `blindlink-agency resolve` carries the household back to the agency's own ids.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { readTokenMap } from '@blindlink/agency-client';
import { synthCommand } from '@blindlink/synth';
import { AGENCY_BIN, BROKER_BIN, run } from '../helpers/processes.js';
import { encodeIdentifiers, readCsv } from '../helpers/purposes.js';

const SECRET = Buffer.from('offline link households test secret, agencies only');
const AGENCIES = ['council_tax', 'nhs_gp'];
t.setTimeout(300_000);

t.test('link writes household_id and prints estimates that match the truth', async (t) => {
  const dir = t.testdir({});
  const data = join(dir, 'synth');
  await synthCommand({ persons: 1500, seed: 'link-households', out: data, agencies: AGENCIES }, { info: () => {} });
  const personOf = new Map(
    readCsv(join(data, 'truth', 'records.csv')).rows.map((r) => [`${r.agency}:${r.record_id}`, r.person_id!]),
  );
  const householdOf = new Map(
    readCsv(join(data, 'truth', 'persons.csv')).rows.map((r) => [r.person_id!, r.household_id!]),
  );
  const rowOf = new Map<string, string>();
  for (const a of AGENCIES) {
    const out = await encodeIdentifiers(join(data, `${a}.csv`), join(dir, `${a}.enc`), SECRET);
    for (const [token, id] of readTokenMap(`${out}.tokens.csv`)) rowOf.set(token, `${a}:${id}`);
  }

  const out = join(dir, 'entities.csv');
  const linked = await run(BROKER_BIN, ['link', join(dir, 'council_tax.enc'), join(dir, 'nhs_gp.enc'), '--out', out]);
  t.equal(linked.code, 0, linked.stderr);
  const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
  t.equal(lines[0], 'entity_id,household_id,source,row_token');
  const rows = lines.slice(1).map((l) => {
    const [entity, household, source, token] = l.split(',');
    return { entity: entity!, household: household!, source: source!, person: personOf.get(rowOf.get(token!)!)! };
  });
  t.equal(rows.length, rowOf.size, 'every input row once');
  const withHousehold = rows.filter((r) => r.household !== '').length;
  t.ok(withHousehold / rows.length > 0.95, `nearly every row has a household: ${withHousehold} of ${rows.length}`);
  const entityHousehold = new Map<string, string>();
  let split = 0;
  for (const r of rows) {
    const h = entityHousehold.get(r.entity);
    if (h !== undefined && h !== r.household) split++;
    entityHousehold.set(r.entity, r.household);
  }
  t.equal(split, 0, 'one household per entity');

  // Households as pairs of persons (each person by its first row), against the truth.
  const personHousehold = new Map<string, string>();
  for (const r of rows) if (r.household && !personHousehold.has(r.person)) personHousehold.set(r.person, r.household);
  const persons = [...personHousehold.keys()];
  let predicted = 0;
  let truePairs = 0;
  let both = 0;
  for (let i = 0; i < persons.length; i++)
    for (let j = i + 1; j < persons.length; j++) {
      const found = personHousehold.get(persons[i]!) === personHousehold.get(persons[j]!);
      const real = householdOf.get(persons[i]!) === householdOf.get(persons[j]!);
      predicted += Number(found);
      truePairs += Number(real);
      both += Number(found && real);
    }
  t.ok(both / predicted >= 0.95, `household pairs precision ${(both / predicted).toFixed(3)}`);
  t.ok(both / truePairs >= 0.85, `household pairs recall ${(both / truePairs).toFixed(3)}`);

  // The printed estimate against what the truth measures for council tax × GP.
  const m = /Estimated from the model.*precision ([\d.]+)%, recall ([\d.]+)%/.exec(linked.stderr);
  t.ok(m, `the summary states the estimates:\n${linked.stderr}`);
  const ct = rows.filter((r) => r.source === 'council_tax');
  const gpByEntity = new Map<string, string[]>();
  for (const r of rows)
    if (r.source === 'nhs_gp') gpByEntity.set(r.entity, [...(gpByEntity.get(r.entity) ?? []), r.person]);
  let linkedPairs = 0;
  let right = 0;
  for (const r of ct)
    for (const p of gpByEntity.get(r.entity) ?? []) {
      linkedPairs++;
      right += Number(p === r.person);
    }
  const gpPersons = new Map<string, number>();
  for (const r of rows) if (r.source === 'nhs_gp') gpPersons.set(r.person, (gpPersons.get(r.person) ?? 0) + 1);
  const truth = ct.reduce((n, r) => n + (gpPersons.get(r.person) ?? 0), 0);
  const precision = right / linkedPairs;
  const recall = right / truth;
  t.comment(`measured precision ${precision.toFixed(4)}, recall ${recall.toFixed(4)}; estimated ${m![1]}%, ${m![2]}%`);
  t.ok(Math.abs(Number(m![1]) / 100 - precision) <= 0.02, 'estimated precision within 2 points of the truth');
  // Matches blocking never proposed are invisible to the model (about 2–3% here): the recall
  // estimate is an upper bound, never below the truth and not far above it.
  const estimatedRecall = Number(m![2]) / 100;
  t.ok(
    estimatedRecall >= recall - 0.01 && estimatedRecall <= recall + 0.05,
    'estimated recall: an upper bound, near the truth',
  );

  // The agency resolves the file to its own ids, household included.
  const resolved = join(dir, 'ct.resolved.csv');
  const r = await run(AGENCY_BIN, [
    'resolve',
    '--tokens',
    join(dir, 'council_tax.enc.tokens.csv'),
    '--in',
    out,
    '--out',
    resolved,
  ]);
  t.equal(r.code, 0, r.stderr);
  const back = readFileSync(resolved, 'utf8').trimEnd().split('\n');
  t.equal(back[0], 'entity_id,household_id,record_id');
  t.equal(back.length - 1, ct.length, 'one line per council-tax row');
});
