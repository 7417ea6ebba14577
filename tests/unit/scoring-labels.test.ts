// Clerical-review labels in the fit (scoring/labelled.ts): a labelled pair is counted at its known
// class in place of its posterior, against the matches the model already counts. Labels that agree
// with the model move nothing; labels that contradict it move m their way, in proportion to how many.
import t from 'tap';
import { fitAnchoredModel, scorePairs } from '@blindlink/broker/scoring';
import { seededRandom } from '@blindlink/broker/prng';

const FIELDS = ['given_name', 'surname', 'dob', 'sex', 'address', 'postcode'];
const CUTS = [0.7, 0.85, 0.95];
// Level 1 (< 0.7) is "disagrees", level 4 (≥ 0.95) "agrees".
const M = [0.05, 0.04, 0.03, 0.02, 0.06, 0.05]; // P(disagree | match); else agree
const U = [0.9, 0.9, 0.95, 0.5, 0.9, 0.9]; // P(disagree | non-match); else agree

function pairs(n: number, match: boolean, rnd: () => number): number[] {
  return Array.from({ length: n }, () =>
    FIELDS.map((_f, i) => ((match ? M[i]! : U[i]!) > rnd() ? 0.3 * rnd() : 0.96 + 0.04 * rnd())),
  ).flat();
}

const rnd = seededRandom(7);
const sims = Float32Array.from([...pairs(5_000, true, rnd), ...pairs(20_000, false, rnd)]);
const randomPairs = Float32Array.from(pairs(20_000, false, rnd));
const fit = (labelled?: { sims: Float32Array; match: boolean[] }) =>
  fitAnchoredModel(sims, FIELDS, {
    defaultCutPoints: CUTS,
    randomPairs,
    personal: new Set(['given_name', 'dob']),
    totalPairs: 100_000,
    ...(labelled ? { labelled } : {}),
  });
const repeat = (row: number[], n: number) => Float32Array.from(Array.from({ length: n }, () => row).flat());
const base = fit();
const probability = (row: number[]) => 1 / (1 + 2 ** -scorePairs(base, Float32Array.from(row)).weight[0]!);

t.test('labels that agree with the model move nothing', async (t) => {
  const sure = [0.98, 0.99, 0.97, 1, 0.99, 1]; // every field agrees: the model is sure it is a match
  t.ok(probability(sure) > 0.9999, `the model is sure of the pair: ${probability(sure)}`);
  const model = fit({ sims: repeat(sure, 100), match: Array(100).fill(true) });
  const moved = Math.max(...model.m.flatMap((row, f) => row.map((m, l) => Math.abs(m - base.m[f]![l]!))));
  t.ok(moved < 1e-6, `largest change of m: ${moved.toExponential(2)}`);
  t.match(model.training.labels, { matches: 100, nonMatches: 0 });
});

t.test('labels that contradict the model move m their way, by count', async (t) => {
  // One person in two records the model thinks two: the given name, address and postcode disagree.
  const doubted = [0.2, 0.98, Number.NaN, 1, 0.1, 0.2];
  const p = probability(doubted);
  t.ok(p < 0.5, `the model's posterior: ${p.toFixed(4)}`);
  const given = (n: number) => fit({ sims: repeat(doubted, n), match: Array(n).fill(true) }).m[0]![1]!;
  const before = base.m[0]![1]!;
  const [m100, m200] = [given(100), given(200)];
  t.ok(m100 > before, `m(given name disagrees): ${before.toFixed(4)} → ${m100.toFixed(4)} with 100 labels`);
  // One label weighs one pair against the ~5,000 matches the model counts: 100 of them, each (1 − p),
  // add about 100(1 − p) pairs to the level.
  const expected = (before * 5_000 + 100 * (1 - p)) / (5_000 + 100 * (1 - p));
  t.ok(Math.abs(m100 - expected) < 0.003, `≈ ${expected.toFixed(4)} (counts: 5,000 matches + the labels)`);
  const ratio = (m200 - before) / (m100 - before);
  t.ok(ratio > 1.8 && ratio < 2.1, `twice the labels, about twice the move (${ratio.toFixed(2)})`);

  // The same pairs labelled non-matches agree with the model: almost nothing moves.
  const agreeing = fit({ sims: repeat(doubted, 100), match: Array(100).fill(false) }).m[0]![1]!;
  t.ok(Math.abs(agreeing - before) < (m100 - before) / 5, 'labelled non-matches, as the model thought: little move');

  // A pair the model links, labelled two people, takes m down at its levels.
  const linked = [0.99, 0.98, 0.97, 1, 0.1, 0.99];
  t.ok(probability(linked) > 0.5, `the model links it: posterior ${probability(linked).toFixed(3)}`);
  const model = fit({ sims: repeat(linked, 100), match: Array(100).fill(false) });
  t.ok(model.m[4]![1]! < base.m[4]![1]!, 'm(address disagrees) falls when such pairs are two people');
  t.ok(model.lambda !== base.lambda, 'and λ is fitted again with the new m');
});

t.test('refused: verdicts and pairs must agree in number', async (t) => {
  t.throws(() => fit({ sims: repeat([1, 1, 1, 1, 1, 1], 2), match: [true] }), /2 pairs, 1 verdicts/);
});
