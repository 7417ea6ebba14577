// Scoring where candidates are crowded with co-residents (people at one address): m from anchored
// pairs recovers the truth where two-class EM does not, the prior is a random pair's match
// probability, and the household test tells one person from two people of one household.
import t from 'tap';
import {
  anchoredM,
  chooseThreshold,
  comparisonsFor,
  fitAnchoredModel,
  fitHouseholdModel,
  fitModel,
  householdVeto,
  withHouseholdTest,
  MIN_ANCHORED_PAIRS,
  priorOverAllPairs,
  scorePairs,
} from '@blindlink/broker/scoring';
import { seededRandom } from '@blindlink/broker/prng';

const FIELDS = ['given_name', 'surname', 'dob', 'sex', 'address', 'postcode'];
const PERSONAL = new Set(['given_name', 'dob']);
const CUTS = [0.7, 0.85, 0.95];
const fields = comparisonsFor(FIELDS, {}, CUTS);
// Non-missing levels: dice < 0.7, [0.7, 0.85), [0.85, 0.95), ≥ 0.95; sampled clear of the cut points.
const RANGES: [number, number][] = [
  [0, 0.69],
  [0.705, 0.845],
  [0.855, 0.945],
  [0.955, 1],
];
const M = [
  [0.05, 0.05, 0.1, 0.8],
  [0.04, 0.04, 0.07, 0.85],
  [0.03, 0.02, 0.05, 0.9],
  [0.02, 0.02, 0.03, 0.93],
  [0.06, 0.04, 0.05, 0.85],
  [0.05, 0.03, 0.02, 0.9],
];
const U = [
  [0.9, 0.05, 0.03, 0.02],
  [0.9, 0.05, 0.03, 0.02],
  [0.95, 0.03, 0.015, 0.005],
  [0.5, 0.0, 0.0, 0.5],
  [0.9, 0.06, 0.03, 0.01],
  [0.9, 0.07, 0.02, 0.01],
];
type Kind = 'match' | 'co-resident' | 'random';

function draw(probs: readonly number[], r: number): number {
  let acc = 0;
  for (let k = 0; k < probs.length; k++) {
    acc += probs[k]!;
    if (r < acc) return k;
  }
  return probs.length - 1;
}

/** Level per field for one pair: co-residents share address and postcode (and often a surname), nothing personal. */
function levelsOf(kind: Kind, rnd: () => number): number[] {
  return FIELDS.map((f, i) => {
    if (kind === 'match') return draw(M[i]!, rnd());
    if (kind === 'co-resident') {
      if (f === 'address' || f === 'postcode') return 3;
      if (f === 'surname') return rnd() < 0.7 ? 3 : draw(U[i]!, rnd());
    }
    return draw(U[i]!, rnd());
  });
}

function simsOf(kinds: Kind[], seed: number, missingDob = 0): Float32Array {
  const rnd = seededRandom(seed);
  const F = FIELDS.length;
  const sims = new Float32Array(kinds.length * F);
  kinds.forEach((kind, p) => {
    levelsOf(kind, rnd).forEach((l, f) => {
      const [lo, hi] = RANGES[l]!;
      sims[p * F + f] = FIELDS[f] === 'dob' && rnd() < missingDob ? NaN : lo + (hi - lo) * rnd();
    });
  });
  return sims;
}

const population = (matches: number, coResidents: number, random: number): Kind[] => [
  ...Array<Kind>(matches).fill('match'),
  ...Array<Kind>(coResidents).fill('co-resident'),
  ...Array<Kind>(random).fill('random'),
];

const kinds = population(10_000, 25_000, 15_000);
const sims = simsOf(kinds, 1);
const randomPairs = simsOf(population(0, 0, 20_000), 2);

t.test('anchored m recovers every field’s m among co-residents; two-class EM does not', async (t) => {
  const anchored = anchoredM(sims, fields, PERSONAL, [['address', 'postcode']]);
  anchored.forEach((a, f) => {
    t.ok(a.m, `${a.field}: anchored by ${a.pairs} pairs`);
    const worst = Math.max(...M[f]!.map((x, l) => Math.abs(x - a.m![l + 1]!)));
    t.ok(worst <= 0.03, `${a.field}: largest m error ${worst.toFixed(4)} ≤ 0.03`);
  });
  // Why anchoring: EM over all candidates takes "same address" for the match class, so a given
  // name that disagrees looks common among matches.
  const em = fitModel(sims, FIELDS, { defaultCutPoints: CUTS, randomPairs });
  t.ok(
    em.m[0]![1]! > M[0]![0]! + 0.1,
    `EM's m(given name < 0.7) = ${em.m[0]![1]!.toFixed(3)}, far above the true ${M[0]![0]}`,
  );
});

t.test('anchoring rules on hand-made pairs', async (t) => {
  // given, surname, dob, sex, address, postcode
  const pair = (...s: number[]) => s;
  const rows = (list: number[][], times: number) =>
    Float32Array.from(list.flatMap((r) => Array.from({ length: times }, () => r).flat()));
  const coResident = pair(0.1, 1, 0.2, 1, 1, 1); // shares every household field, no personal one
  let a = anchoredM(rows([coResident], 50), fields, PERSONAL);
  t.same(
    a.map((x) => x.pairs),
    [0, 0, 0, 0, 0, 0],
    'a co-resident pair anchors nothing: no personal field agrees',
  );
  const moved = pair(1, 1, 1, 1, 0.1, 0.2); // one person, new address: address and postcode both change
  a = anchoredM(rows([moved], 50), fields, PERSONAL);
  t.equal(a[4]!.pairs, 0, 'without the correlation, the address is not anchored: the postcode disagrees');
  a = anchoredM(rows([moved], 50), fields, PERSONAL, [['address', 'postcode']]);
  t.equal(a[4]!.pairs, 50, 'address and postcode move together: each is anchored by the other fields');
  t.equal(a[4]!.m![1]! > 0.9, true, 'the move shows in the address’s m');
  t.equal(a[0]!.pairs, 0, 'but the given name is not anchored by a pair whose address disagrees');
  const typo = pair(0.8, 1, NaN, NaN, 1, 1); // given name typo; dob missing: no other personal field agrees
  a = anchoredM(rows([typo], 50), fields, PERSONAL);
  t.equal(a[0]!.pairs, 0, 'a given name needs another personal field to anchor it');
  a = anchoredM(rows([pair(1, 1, 1, 1, 1, 1)], MIN_ANCHORED_PAIRS - 1), fields, PERSONAL);
  t.equal(a[0]!.m, null, `fewer than ${MIN_ANCHORED_PAIRS} anchoring pairs: no m (the fit falls back to EM)`);
});

t.test('the prior is a random pair’s match probability over every pair blocking chose from', async (t) => {
  const expected = 10_000 / 5_000_000;
  const fit = (s: Float32Array) =>
    fitAnchoredModel(s, FIELDS, {
      defaultCutPoints: CUTS,
      randomPairs,
      personal: PERSONAL,
      correlated: [['address', 'postcode']],
      totalPairs: 5_000_000,
    });
  const plain = fit(simsOf(population(10_000, 0, 40_000), 4));
  t.ok(
    Math.abs(plain.lambda - expected) / expected < 0.05,
    `no co-residents: λ = ${plain.lambda.toExponential(3)} within 5% of ${expected}`,
  );
  const model = fit(sims);
  t.ok(model.lambda > expected * 1.5, `co-residents counted as matches inflate λ to ${model.lambda.toExponential(3)}`);
  const corrected = withHouseholdTest(model, sims, ['address', 'postcode']);
  t.ok(
    Math.abs(corrected.lambda - expected) / expected < 0.1,
    `counted without co-residents: λ = ${corrected.lambda.toExponential(3)} within 10% of ${expected}`,
  );
  t.same(corrected.m, model.m, 'm and u are unchanged');
  t.equal(model.training.priorPairs, 5_000_000);
  const again = priorOverAllPairs(plain.patterns, plain, 50_000_000);
  t.ok(Math.abs(again.lambda * 50_000_000 - 10_000) / 10_000 < 0.05, 'ten times the pairs, the same expected matches');
  t.throws(() => priorOverAllPairs(model.patterns, model, 10), /fewer than the/);
});

t.test('household test: one person or two people of one household', async (t) => {
  const withDobGaps = simsOf(kinds, 3, 0.5);
  const model = fitAnchoredModel(withDobGaps, FIELDS, {
    defaultCutPoints: CUTS,
    randomPairs,
    personal: PERSONAL,
    correlated: [['address', 'postcode']],
    totalPairs: 5_000_000,
  });
  const threshold = chooseThreshold(model).weight;
  const weight = scorePairs(model, withDobGaps).weight;
  const above = (kind: Kind) => kinds.filter((k, p) => k === kind && weight[p]! >= threshold).length;
  const coResidentsAbove = above('co-resident');
  t.ok(
    coResidentsAbove > 1000,
    `before the test, ${coResidentsAbove} co-resident pairs weigh above the threshold: their shared ` +
      `address, postcode and surname add up`,
  );
  const household = fitHouseholdModel(model, withDobGaps, ['address', 'postcode']);
  t.ok(household, 'a co-resident model is fitted');
  t.same(household!.addressFields, ['address', 'postcode']);
  const matchesBefore = above('match');
  const vetoed = householdVeto(model, household!, withDobGaps, weight, threshold);
  t.ok(vetoed > 0);
  t.ok(
    above('co-resident') <= coResidentsAbove * 0.05,
    `after it, ${above('co-resident')} of ${coResidentsAbove} remain`,
  );
  t.ok(above('match') >= matchesBefore * 0.95, `matches kept: ${above('match')} of ${matchesBefore}`);
  t.equal(fitHouseholdModel(model, withDobGaps, ['no_such_field']), null, 'no address field: no household test');
});
