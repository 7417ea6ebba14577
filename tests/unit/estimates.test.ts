/**
 * The run's own precision and recall estimate (broker/src/linkage/estimates.ts): sums of the model's
 * posteriors over what the run linked and what it left apart, per pair of sources.
 */
import t from 'tap';
import { estimateQuality } from '@blindlink/broker';

const logit = (p: number) => Math.log2(p) - Math.log2(1 - p);
const pairs = (list: [number, number, number][]) => ({
  a: Uint32Array.from(list.map((x) => x[0])),
  b: Uint32Array.from(list.map((x) => x[1])),
  weight: Float32Array.from(list.map((x) => logit(x[2]))),
});
const NONE = { a: new Uint32Array(0), b: new Uint32Array(0), weight: new Float32Array(0) };

// Records 0–3 in source A, 4–7 in source B.
const sourceOf = Uint16Array.from([0, 0, 0, 0, 1, 1, 1, 1]);
const estimate = (
  entityOf: number[],
  scored: ReturnType<typeof pairs>,
  { residual = NONE, addressPosteriors = NONE } = {},
) =>
  estimateQuality({
    sourceNames: ['A', 'B'],
    sourceOf,
    entityOf: Uint32Array.from(entityOf),
    scored: { a: scored.a, b: scored.b, evidence: scored.weight },
    residual,
    addressPosteriors,
  });

t.test('precision from the linked pairs, recall from the free pairs left apart', async (t) => {
  // Entities: {0,4}, {1,5}, {2}, {3}, {6}, {7}.
  const entityOf = [0, 1, 2, 3, 0, 1, 4, 5];
  const scored = pairs([
    [0, 4, 0.99], // linked
    [1, 5, 0.8], // linked
    [0, 6, 0.3], // left apart, but 0 already has its B partner: a co-resident, not missed
    [2, 7, 0.5], // left apart, both free: half a missed pair
    [3, 6, 0.25], // left apart, both free
  ]);
  const e = estimate(entityOf, scored);
  const ab = e.pairs.find((p) => p.sources.join() === 'A,B')!;
  t.equal(ab.linkedPairs, 2);
  t.ok(Math.abs(ab.expectedTrue - 1.79) < 1e-4, `expected true ${ab.expectedTrue}`);
  t.ok(Math.abs(ab.expectedMissed - 0.75) < 1e-4, `expected missed ${ab.expectedMissed}`);
  t.ok(Math.abs(ab.precision - 1.79 / 2) < 1e-4);
  t.ok(Math.abs(ab.recall - 1.79 / (1.79 + 0.75)) < 1e-4);
  t.same(e.acrossSources.linkedPairs, 2, 'across sources: the one pair of different sources');
  const aa = e.pairs.find((p) => p.sources.join() === 'A,A')!;
  t.equal(aa.linkedPairs, 0, 'no duplicates linked within A');
});

t.test('the joint posterior at one address replaces the pairwise reading; chains use the best links', async (t) => {
  // One entity {0, 4, 5}: 0–4 scored weakly pairwise but certain at their address; 0–5 joined via 4.
  const entityOf = [0, 1, 2, 3, 0, 0, 4, 5];
  const scored = pairs([
    [0, 4, 0.6],
    [4, 5, 0.9], // within B: a duplicate
  ]);
  const e = estimate(entityOf, scored, { addressPosteriors: pairs([[0, 4, 0.98]]) });
  const ab = e.pairs.find((p) => p.sources.join() === 'A,B')!;
  t.equal(ab.linkedPairs, 2, '0–4 and 0–5');
  // 0–4: 0.98 (joint at the address); 0–5: best(0) · best(5) = 0.98 · 0.9.
  t.ok(Math.abs(ab.expectedTrue - (0.98 + 0.98 * 0.9)) < 1e-4, `expected true ${ab.expectedTrue}`);
  const bb = e.pairs.find((p) => p.sources.join() === 'B,B')!;
  t.equal(bb.linkedPairs, 1);
  t.ok(Math.abs(bb.expectedTrue - 0.9) < 1e-4);
});

t.test('a residual link counts with the posterior of the pass that added it', async (t) => {
  const e = estimate([0, 1, 2, 3, 0, 5, 6, 7], pairs([[0, 4, 0.2]]), { residual: pairs([[0, 4, 0.95]]) });
  t.ok(Math.abs(e.acrossSources.expectedTrue - 0.95) < 1e-4);
  t.equal(e.acrossSources.expectedMissed, 0);
  t.equal(e.acrossSources.recall, 1);
});

t.test('nothing linked, nothing expected: precision and recall 1', async (t) => {
  const e = estimate([0, 1, 2, 3, 4, 5, 6, 7], pairs([]));
  t.same(e.acrossSources, { linkedPairs: 0, expectedTrue: 0, expectedMissed: 0, precision: 1, recall: 1 });
});
