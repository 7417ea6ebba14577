// Evidence that two records are two people (different NHS numbers, dates of birth, an adult and a child,
// twins at one postcode), and clustering that keeps them apart however a chain through a third source
// joins them.
import t from 'tap';
import { apartEvidence, type EngineSource, prepareSources, undatedRecords } from '@blindlink/broker';
import { clusterEntities, tornPairs, withoutPairs, withTorn } from '@blindlink/broker/entities';

const SPECS = [
  { field: 'given_name', bits: 256, personal: true },
  { field: 'surname', bits: 256, personal: true },
  { field: 'dob', bits: 256, personal: true },
  { field: 'postcode', bits: 64 },
  { field: 'nhs_number', bits: 64, personal: true },
];

/** A filter of `bits` bits with bits [from, from + count) set. */
function filter(bits: number, from: number, count = 20): Uint8Array {
  const out = new Uint8Array(bits / 8);
  for (let b = from; b < from + count; b++) out[b >>> 3]! |= 0x80 >>> (b & 7);
  return out;
}

/** One record: each field's value as a filter offset (equal offsets: equal values; far apart: unrelated). */
type Rec = Partial<Record<'given_name' | 'surname' | 'dob' | 'postcode' | 'nhs_number', number>>;

function source(name: string, recs: Rec[], population?: 'adults' | 'children'): EngineSource {
  const fieldMasks: number[] = [];
  const fields: Uint8Array[] = [];
  for (const r of recs) {
    let mask = 0;
    const parts: Uint8Array[] = [];
    SPECS.forEach((s, k) => {
      const v = r[s.field as keyof Rec];
      if (v === undefined) return;
      mask |= 1 << k;
      parts.push(filter(s.bits, v, s.bits === 64 ? 8 : 20));
    });
    fieldMasks.push(mask);
    fields.push(Uint8Array.from(parts.flatMap((p) => [...p])));
  }
  return {
    name,
    duplicateFree: false,
    ...(population ? { population } : {}),
    tokens: recs.map((_, i) => `${name}${i}`),
    clkBits: 64,
    clks: recs.map(() => new Uint8Array(8)),
    fieldSpecs: SPECS,
    fieldMasks,
    fields,
    blocks: recs.map(() => null),
  };
}

function evidence(sources: EngineSource[]) {
  const apart = apartEvidence(
    prepareSources(sources, {}),
    sources.map((s) => s.population),
  );
  if (!apart) throw new Error('expected evidence');
  return apart;
}

const person: Rec = { given_name: 0, surname: 40, dob: 80, postcode: 0, nhs_number: 0 };

t.test('different valid NHS numbers are two people; one missing is no evidence', async (t) => {
  const apart = evidence([
    source('gp', [person, { ...person, nhs_number: 16 }, { ...person, nhs_number: undefined }, person]),
  ]);
  t.ok(apart(0, 1), 'two numbers');
  t.notOk(apart(0, 2), 'one side without a number');
  t.notOk(apart(0, 3), 'one number');
});

t.test('dates of birth that cannot belong to one person; a near date can', async (t) => {
  const apart = evidence([
    source('gp', [
      person,
      { ...person, nhs_number: undefined, dob: 200 }, // nothing in common: a father and son of one name
      { ...person, nhs_number: undefined, dob: 84 }, // 16 of 20 bits shared: Dice 0.8, a typing error
      { ...person, nhs_number: undefined, dob: undefined },
    ]),
  ]);
  t.ok(apart(0, 1), 'unrelated dates');
  t.notOk(apart(0, 2), 'a near date');
  t.notOk(apart(0, 3), 'no date on one side');
});

t.test('a declared population is a hint the dates of birth may overrule', async (t) => {
  const sources = [
    source('ct', [person, { ...person, dob: undefined, nhs_number: undefined }], 'adults'),
    source('school', [person], 'children'),
    source('gp', [{ ...person, dob: undefined }]),
  ];
  const apart = evidence(sources);
  t.notOk(apart(0, 2), 'an 18-year-old on a school roll and an adult register: the dates agree');
  t.ok(apart(1, 2), 'no date of birth on the adult side: the declarations keep them apart');
  t.notOk(apart(1, 3), 'a source declaring nothing is anyone');
});

t.test('twins: apart by their NHS numbers; without them, one name, date and address is no evidence here', async (t) => {
  const twin = { ...person, given_name: 120, nhs_number: 16 };
  const apart = evidence([source('gp', [person, twin, { ...person, nhs_number: undefined }])]);
  t.ok(apart(0, 1), 'two NHS numbers');
  // A middle name or a nickname used as the given name looks the same (apart.ts says what was measured).
  t.notOk(apart(1, 2), 'no number on one side: the given names alone do not keep them apart');
});

t.test('without field filters or declared populations there is no evidence', async (t) => {
  const plain: EngineSource = { ...source('a', [{}, {}]), fieldSpecs: [], fieldMasks: [0, 0], fields: [null, null] };
  t.equal(apartEvidence(prepareSources([plain], {}), [undefined]), null);
});

t.test('a chain through a third source cannot merge what direct evidence separates', async (t) => {
  // 0 a GP record and 2 a police record of two men of one name with different NHS numbers; 1 a
  // council-tax row without a number or date of birth that scores well with both.
  const sources = [
    source('gp', [person]),
    source('ct', [{ ...person, nhs_number: undefined, dob: undefined }]),
    source('police', [{ ...person, nhs_number: 16, dob: 200 }]),
  ];
  const prep = prepareSources(sources, {});
  const input = {
    sourceOf: prep.sourceOf,
    duplicateFree: [false, false, false],
    pairs: { a: Uint32Array.of(0, 1), b: Uint32Array.of(1, 2), weight: Float32Array.of(9, 8) },
    threshold: 5,
  };
  const chained = clusterEntities(input);
  t.equal(chained.entities.count, 1, 'without the evidence the chain joins all three');
  const apart = apartEvidence(prep, [undefined, undefined, undefined]) ?? undefined;
  const kept = clusterEntities({ ...input, ...(apart ? { apart } : {}) });
  t.equal(kept.entities.count, 2, 'with it the police record stays apart');
  t.equal(kept.entityOf[0], kept.entityOf[1], 'the stronger pair links');
  t.not(kept.entityOf[2], kept.entityOf[0]);
  t.equal(kept.stats.refused, 1);
});

t.test('a pair that scores above the threshold outweighs its dates of birth; a chain does not', async (t) => {
  // 0 and 1: one person whose date of birth one source keyed wrongly beyond recognition, linked on their own
  // weight; 2: another man of the name, no number, a date that fits neither, reached only through 1.
  const sources = [
    source('gp', [{ ...person, nhs_number: undefined }]),
    source('ct', [{ ...person, nhs_number: undefined, dob: 200 }]),
    source('police', [{ ...person, nhs_number: undefined, dob: 400 }]),
  ];
  const prep = prepareSources(sources, {});
  const apart = apartEvidence(prep, [undefined, undefined, undefined]);
  if (!apart) throw new Error('expected evidence');
  t.equal(apart(0, 1), 1, 'the dates are weak evidence');
  const g = clusterEntities({
    sourceOf: prep.sourceOf,
    duplicateFree: [false, false, false],
    pairs: { a: Uint32Array.of(0, 1), b: Uint32Array.of(1, 2), weight: Float32Array.of(9, 8) },
    threshold: 5,
    apart,
  });
  t.equal(g.entityOf[0], g.entityOf[1], 'the linking pair links');
  t.not(g.entityOf[2], g.entityOf[0], 'the chain to a record whose date contradicts the first is refused');
});

t.test('two rows of one source torn between two people of another link to neither, nor to each other', async (t) => {
  // 0, 1: a GP mother and daughter of one name at one address (dates of birth apart); 2, 3: two electoral-roll
  // rows of that name without a date of birth; 4: a council-tax row without one.
  const mother = { ...person, nhs_number: undefined };
  const roll = { ...mother, dob: undefined };
  const sources = [source('gp', [mother, { ...mother, dob: 200 }]), source('er', [roll, roll]), source('ct', [roll])];
  const prep = prepareSources(sources, {});
  const apart = evidence(sources);
  const undated = undatedRecords(prep);
  if (!undated) throw new Error('expected a date-of-birth field');
  t.same([0, 1, 2, 3, 4].map(undated), [false, false, true, true, true]);
  const w = (pairs: [number, number, number][]) => ({
    a: Uint32Array.from(pairs, (p) => p[0]),
    b: Uint32Array.from(pairs, (p) => p[1]),
    weight: Float32Array.from(pairs, (p) => p[2]),
  });
  const pairs = w([
    [2, 3, 19.9],
    [0, 2, 19.8],
    [1, 2, 19.7],
    [0, 3, 19.7],
    [1, 3, 19.8],
    [0, 4, 19.7],
    [1, 4, 19.6],
  ]);
  const input = { sourceOf: prep.sourceOf, duplicateFree: [false, false, false], threshold: 5 };
  const before = clusterEntities({ ...input, pairs, apart });
  t.equal(before.entityOf[2], before.entityOf[3], 'without the rule the two rows merge as duplicates');
  t.ok([0, 1].includes([0, 1].find((g) => before.entityOf[g] === before.entityOf[2]) ?? -1), 'beside a GP record');

  const torn = tornPairs({ sourceOf: prep.sourceOf, pairs, threshold: 5, undated, apart });
  t.same([...torn.drop].sort(), [1, 2, 3, 4], 'both rows lose their pairs to both GP records');
  const g = clusterEntities({ ...input, pairs: withoutPairs(pairs, torn.drop), apart: withTorn(apart, torn) });
  t.not(g.entityOf[2], g.entityOf[3], 'the rows are two people');
  for (const row of [2, 3]) for (const gp of [0, 1]) t.not(g.entityOf[row], g.entityOf[gp], `row ${row}, GP ${gp}`);
  t.equal(g.entityOf[4], g.entityOf[0], 'the council-tax row, torn alone, keeps its best link');

  // Not torn: the candidates within the margin are not apart (no date on one), or beyond it, or the rows carry a date.
  const sameWeights = w([
    [0, 2, 19.8],
    [1, 2, 17.7],
    [0, 3, 17.7],
    [1, 3, 19.8],
  ]);
  t.equal(tornPairs({ sourceOf: prep.sourceOf, pairs: sameWeights, threshold: 5, undated, apart }).drop.size, 0);
  const dated = tornPairs({ sourceOf: prep.sourceOf, pairs, threshold: 5, undated: () => false, apart });
  t.equal(dated.drop.size, 0);
  const noEvidence = tornPairs({ sourceOf: prep.sourceOf, pairs, threshold: 5, undated, apart: () => 0 });
  t.equal(noEvidence.drop.size, 0);
});
