// Fellegi–Sunter scoring: EM recovers known m, u and λ from synthetic similarities drawn from the
// model itself (with missing values), weights rise with similarity, threshold reasoning matches
// the truth, explanations add up, degenerate inputs stay finite, and pattern aggregation changes
// nothing compared with EM over individual pairs.
import t from 'tap';
import type { Test } from 'tap';
import {
  aggregatePatterns,
  chooseThreshold,
  comparisonsFor,
  explainPair,
  fitClkModel,
  fitModel,
  initialParameters,
  levelCount,
  matchProbability,
  modelFromParameters,
  perPairPatterns,
  runEm,
  scoreByDiceThreshold,
  scorePairs,
  similarityLevels,
  tradeoffCurve,
} from '@blindlink/broker/scoring';
import type { FsParameters, ScoringModel } from '@blindlink/broker/scoring';
import { seededRandom } from '@blindlink/broker/prng';

// ---- synthetic data drawn from a known model -------------------------------------------------

const FIELDS = ['given_name', 'surname', 'dob', 'sex', 'address', 'postcode', 'nhs_number'];
/** The generated data has four non-missing levels per field, cut here (the engine's default adds 0.5). */
const CUTS = [0.7, 0.85, 0.95];
// Non-missing levels in ascending similarity: dice < 0.7, [0.7, 0.85), [0.85, 0.95), ≥ 0.95.
const TRUE_M: number[][] = [
  [0.05, 0.05, 0.1, 0.8],
  [0.04, 0.04, 0.07, 0.85],
  [0.03, 0.02, 0.05, 0.9],
  [0.02, 0.02, 0.03, 0.93],
  [0.1, 0.1, 0.15, 0.65],
  [0.05, 0.05, 0.1, 0.8],
  [0.03, 0.02, 0.03, 0.92],
];
const TRUE_U: number[][] = [
  [0.85, 0.08, 0.04, 0.03],
  [0.9, 0.05, 0.03, 0.02],
  [0.7, 0.15, 0.1, 0.05],
  [0.45, 0.06, 0.03, 0.46],
  [0.8, 0.1, 0.06, 0.04],
  [0.6, 0.2, 0.1, 0.1],
  [0.94, 0.03, 0.02, 0.01],
];
// Similarity ranges of the four levels, kept clear of the cut points.
const RANGES: [number, number][] = [
  [0, 0.69],
  [0.705, 0.845],
  [0.855, 0.945],
  [0.955, 1],
];

interface Synthetic {
  sims: Float32Array;
  isMatch: Uint8Array;
}

function draw(probs: readonly number[], r: number): number {
  let acc = 0;
  for (let k = 0; k < probs.length; k++) {
    acc += probs[k] as number;
    if (r < acc) return k;
  }
  return probs.length - 1;
}

function synthesise(n: number, lambda: number, missing: number, seed: number, fields = FIELDS.length): Synthetic {
  const rnd = seededRandom(seed);
  const sims = new Float32Array(n * fields);
  const isMatch = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    const match = rnd() < lambda;
    isMatch[p] = match ? 1 : 0;
    for (let f = 0; f < fields; f++) {
      if (rnd() < missing) {
        sims[p * fields + f] = NaN;
        continue;
      }
      const level = draw((match ? TRUE_M : TRUE_U)[f] as number[], rnd());
      const [lo, hi] = RANGES[level] as [number, number];
      sims[p * fields + f] = lo + (hi - lo) * rnd();
    }
  }
  return { sims, isMatch };
}

function allFinite(xs: ArrayLike<number>): boolean {
  for (let i = 0; i < xs.length; i++) if (!Number.isFinite(xs[i] as number)) return false;
  return true;
}

function modelFinite(model: ScoringModel): boolean {
  return (
    Number.isFinite(model.lambda) &&
    Number.isFinite(model.priorWeight) &&
    model.weights.every((r) => allFinite(r)) &&
    model.m.every((r) => allFinite(r)) &&
    model.u.every((r) => allFinite(r))
  );
}

// ---- EM recovers the generating parameters ---------------------------------------------------

const LAMBDA = 0.2;
const data = synthesise(100_000, LAMBDA, 0.1, 1);
const model = fitModel(data.sims, FIELDS, { defaultCutPoints: CUTS });

t.test('EM recovers λ, m and u within ±0.03, with 10% missing values', async (t) => {
  t.ok(model.training.converged, 'EM converged');
  t.equal(model.training.pairs, 100_000);
  t.ok(model.training.distinctPatterns < 5 ** 7, 'pairs were aggregated into patterns');
  t.equal(model.training.uSource, 'em');
  t.ok(Math.abs(model.lambda - LAMBDA) <= 0.03, `λ = ${model.lambda}`);
  let worst = 0;
  FIELDS.forEach((_, f) => {
    t.equal(model.m[f]?.[0], 1, 'missing level has m = 1');
    t.equal(model.weights[f]?.[0], 0, 'missing level has weight 0');
    for (let l = 0; l < 4; l++) {
      worst = Math.max(
        worst,
        Math.abs((model.m[f]?.[l + 1] as number) - (TRUE_M[f]?.[l] as number)),
        Math.abs((model.u[f]?.[l + 1] as number) - (TRUE_U[f]?.[l] as number)),
      );
    }
  });
  t.ok(worst <= 0.03, `largest m/u error ${worst.toFixed(4)}`);
  const ll = model.training.logLikelihood;
  t.ok(ll.length >= 2 && allFinite(ll), 'log-likelihood trace present and finite');
  // Pseudo-counts make this MAP-EM, so allow a hair of slack on monotonicity of the plain likelihood.
  for (let i = 1; i < ll.length; i++) {
    if ((ll[i] as number) < (ll[i - 1] as number) - 1e-6 * Math.abs(ll[i - 1] as number)) {
      t.fail(`log-likelihood fell at iteration ${i}`);
      break;
    }
  }
  t.ok((ll[ll.length - 1] as number) > (ll[0] as number), 'log-likelihood improved');
});

t.test('u from random pairs is held fixed and m, λ are still recovered', async (t) => {
  const random = synthesise(50_000, 0, 0.1, 2);
  const fitted = fitModel(data.sims, FIELDS, { defaultCutPoints: CUTS, randomPairs: random.sims });
  t.equal(fitted.training.uSource, 'random-pairs');
  t.equal(fitted.training.randomPairs, 50_000);
  t.ok(fitted.training.converged);
  t.ok(Math.abs(fitted.lambda - LAMBDA) <= 0.03, `λ = ${fitted.lambda}`);
  // u is the level share among random pairs, untouched by EM.
  const levels = similarityLevels(random.sims, fitted.fields);
  for (let f = 0; f < FIELDS.length; f++) {
    let top = 0;
    let present = 0;
    for (let p = 0; p < 50_000; p++) {
      const l = levels[p * FIELDS.length + f] as number;
      if (l !== 0) present++;
      if (l === 4) top++;
    }
    t.ok(Math.abs((fitted.u[f]?.[4] as number) - (top + 0.5) / (present + 2)) < 1e-12, 'u from random pairs as given');
    for (let l = 0; l < 4; l++) {
      t.ok(
        Math.abs((fitted.m[f]?.[l + 1] as number) - (TRUE_M[f]?.[l] as number)) <= 0.03,
        `m ${FIELDS[f]} level ${l + 1}`,
      );
    }
  }
  const initial = fitModel(data.sims, FIELDS, {
    defaultCutPoints: CUTS,
    randomPairs: random.sims,
    uFromRandomPairs: 'initial',
  });
  t.equal(initial.training.uSource, 'em', "'initial' lets EM move u");
  t.ok(Math.abs(initial.lambda - LAMBDA) <= 0.03);
});

t.test('classes fitted the wrong way round are swapped back', async (t) => {
  const table = aggregatePatterns(similarityLevels(data.sims, model.fields), model.fields.map(levelCount));
  const start = initialParameters(table);
  const inverted: FsParameters = { lambda: 1 - start.lambda, m: start.u, u: start.m };
  const em = runEm(table, { initial: inverted });
  t.ok(em.labelSwapped, 'EM reported the swap');
  t.ok(Math.abs(em.lambda - LAMBDA) <= 0.03, `λ = ${em.lambda}`);
  t.ok(Math.abs((em.m[6]?.[4] as number) - 0.92) <= 0.03, 'nhs_number top-level m recovered');
});

// ---- weights ---------------------------------------------------------------------------------

t.test('weights rise with similarity', async (t) => {
  t.same(model.training.nonMonotoneFields, []);
  for (let f = 0; f < FIELDS.length; f++) {
    const w = model.weights[f] as number[];
    for (let l = 2; l < w.length; l++) t.ok((w[l] as number) > (w[l - 1] as number), `${FIELDS[f]} level ${l}`);
  }
  // Sweep one field's similarity with the others fixed: the pair weight never falls.
  const steps = 101;
  for (let f = 0; f < FIELDS.length; f++) {
    const sims = new Float32Array(steps * FIELDS.length).fill(0.8);
    for (let s = 0; s < steps; s++) sims[s * FIELDS.length + f] = s / (steps - 1);
    const { weight, probability } = scorePairs(model, sims);
    for (let s = 1; s < steps; s++) {
      if (
        (weight[s] as number) < (weight[s - 1] as number) ||
        (probability[s] as number) < (probability[s - 1] as number)
      ) {
        t.fail(`${FIELDS[f]}: weight fell between ${(s - 1) / (steps - 1)} and ${s / (steps - 1)}`);
      }
    }
    t.ok((weight[steps - 1] as number) > (weight[0] as number), `${FIELDS[f]}: top beats bottom`);
  }
});

t.test('a float32 Dice equal to a cut point lands in the level above it', async (t) => {
  const sims = new Float32Array(FIELDS.length).fill(0.95);
  const levels = similarityLevels(sims, model.fields);
  t.same(
    Array.from(levels),
    FIELDS.map(() => 4),
  );
  const below = similarityLevels(new Float32Array(FIELDS.length).fill(0.9499), model.fields);
  t.same(
    Array.from(below),
    FIELDS.map(() => 3),
  );
});

t.test('scores and probabilities agree with the parameters and with the truth', async (t) => {
  const { weight, probability } = scorePairs(model, data.sims);
  t.equal(weight.length, 100_000);
  t.ok(allFinite(weight) && allFinite(probability));
  let correct = 0;
  for (let p = 0; p < weight.length; p++) {
    if (Math.abs((probability[p] as number) - matchProbability(weight[p] as number)) > 1e-6) {
      t.fail('probability ≠ 1/(1+2^−weight)');
      break;
    }
    if (((weight[p] as number) >= 0 ? 1 : 0) === data.isMatch[p]) correct++;
  }
  t.ok(correct / weight.length > 0.98, `accuracy at weight 0: ${correct / weight.length}`);
});

t.test('explanation weights sum to the pair weight', async (t) => {
  const { weight } = scorePairs(model, data.sims);
  for (const p of [0, 1, 17, 4242, 99_999]) {
    const e = explainPair(model, data.sims, p);
    t.equal(e.fields.length, FIELDS.length);
    const sum = e.priorWeight + e.fields.reduce((a, x) => a + x.weight, 0);
    t.ok(Math.abs(sum - e.weight) < 1e-9, 'prior + Σ field weights = explained weight');
    t.ok(Math.abs(e.weight - (weight[p] as number)) < 1e-4, `explained weight = scored weight (pair ${p})`);
    t.ok(Math.abs(e.probability - matchProbability(e.weight)) < 1e-12);
    for (const x of e.fields) {
      const s = data.sims[p * FIELDS.length + FIELDS.indexOf(x.field)] as number;
      if (Number.isNaN(s)) {
        t.equal(x.level, 0);
        t.equal(x.label, 'missing');
        t.equal(x.weight, 0);
        t.equal(x.similarity, null);
      } else {
        t.equal(x.similarity, s);
        t.ok(Math.abs(x.weight - Math.log2(x.bayesFactor)) < 1e-9, 'weight = log2(Bayes factor)');
      }
      t.same(Object.keys(x).sort(), ['bayesFactor', 'field', 'label', 'level', 'm', 'similarity', 'u', 'weight']);
    }
  }
  t.throws(() => explainPair(model, data.sims, 100_000), RangeError);
});

t.test('stored parameters rescore identically', async (t) => {
  const stored = JSON.parse(JSON.stringify({ lambda: model.lambda, m: model.m, u: model.u })) as FsParameters;
  const again = modelFromParameters(model.fields, stored, model.patterns, model.training);
  const sims = data.sims.subarray(0, 7 * 1000);
  t.same(Array.from(scorePairs(again, sims).weight), Array.from(scorePairs(model, sims).weight));
  const bad = { ...stored, m: stored.m.map((r, f) => (f === 0 ? [0.5, ...r.slice(1)] : r)) };
  t.throws(() => modelFromParameters(model.fields, bad, model.patterns, model.training), /missing level/);
  t.throws(
    () => modelFromParameters(model.fields, { ...stored, lambda: 1 }, model.patterns, model.training),
    RangeError,
  );
});

// ---- threshold -------------------------------------------------------------------------------

function truth(weights: Float32Array, threshold: number): { precision: number; recall: number } {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let p = 0; p < weights.length; p++) {
    const accept = (weights[p] as number) >= threshold;
    if (accept && data.isMatch[p]) tp++;
    else if (accept) fp++;
    else if (data.isMatch[p]) fn++;
  }
  return { precision: tp / (tp + fp), recall: tp / (tp + fn) };
}

t.test('threshold at posterior 0.5, with expected precision and recall close to the truth', async (t) => {
  const choice = chooseThreshold(model);
  t.equal(choice.weight, 0, 'posterior 0.5 is weight 0');
  t.equal(choice.probability, 0.5);
  const { weight } = scorePairs(model, data.sims);
  const real = truth(weight, choice.weight);
  t.ok(
    Math.abs(choice.expected.precision - real.precision) < 0.01,
    `precision expected ${choice.expected.precision} vs ${real.precision}`,
  );
  t.ok(
    Math.abs(choice.expected.recall - real.recall) < 0.01,
    `recall expected ${choice.expected.recall} vs ${real.recall}`,
  );
  let accepted = 0;
  for (const w of weight) if (w >= choice.weight) accepted++;
  t.equal(choice.expected.acceptedPairs, accepted, 'accepted count matches scorePairs');
  const expectedMatches = choice.expected.expectedMatches;
  t.ok(Math.abs(expectedMatches / 100_000 - model.lambda) < 0.01, 'expected matches ≈ λN');
  const text = choice.reasoning.join('\n');
  t.ok(choice.reasoning.length >= 6, 'several lines of reasoning');
  t.match(text, /λ = 0\.\d+/);
  t.match(text, /posterior match probability is at least 0\.5/);
  t.match(text, /precision \d+\.\d\d%/);
  t.match(text, /recall \d+\.\d\d%/);
  t.match(text, /nhs_number/);
  t.match(text, /independent given match status/);
  t.notMatch(text, /NaN|Infinity|undefined/);
});

t.test('threshold by expected precision, recall and F1', async (t) => {
  const curve = tradeoffCurve(model);
  for (let k = 1; k < curve.length; k++) {
    t.ok(
      (curve[k] as { weight: number }).weight < (curve[k - 1] as { weight: number }).weight,
      'curve descends in weight',
    );
  }
  const p = chooseThreshold(model, { kind: 'precision', value: 0.999 });
  t.ok(p.expected.precision >= 0.999, `expected precision ${p.expected.precision}`);
  // One more step down the curve would break the target: the choice is the lowest that meets it.
  const next = curve.find((c) => c.weight < p.weight);
  t.ok(next === undefined || next.precision < 0.999, 'lowest threshold meeting the target');
  t.match(p.reasoning.join('\n'), /expected precision of all accepted pairs is still ≥ 99\.90%/);
  const r = chooseThreshold(model, { kind: 'recall', value: 0.99 });
  t.ok(r.expected.recall >= 0.99);
  t.ok(r.weight < p.weight, 'a recall target sits below a strict precision target');
  const f = chooseThreshold(model, { kind: 'f1' });
  const f1 = (x: { precision: number; recall: number }): number =>
    (2 * x.precision * x.recall) / (x.precision + x.recall);
  for (const c of curve) t.ok(f1(f.expected) >= f1(c) - 1e-12, 'F1 is maximal');
  t.throws(() => chooseThreshold(model, { kind: 'probability', value: 1 }), RangeError);
});

// ---- aggregation changes nothing -------------------------------------------------------------

/** Textbook EM over individual pairs, written independently of the library. */
function perPairEm(
  levels: Uint8Array,
  F: number,
  L: number[],
  start: FsParameters,
  iterations: number,
  pseudo: number,
) {
  const n = levels.length / F;
  let lambda = start.lambda;
  let m = start.m.map((r) => [...r]);
  let u = start.u.map((r) => [...r]);
  for (let it = 0; it < iterations; it++) {
    const am = L.map((l) => new Array<number>(l).fill(0));
    const au = L.map((l) => new Array<number>(l).fill(0));
    let mass = 0;
    for (let p = 0; p < n; p++) {
      let pm = lambda;
      let pu = 1 - lambda;
      for (let f = 0; f < F; f++) {
        const l = levels[p * F + f] as number;
        if (l === 0) continue;
        pm *= m[f]![l]!;
        pu *= u[f]![l]!;
      }
      const g = pm / (pm + pu);
      mass += g;
      for (let f = 0; f < F; f++) {
        const l = levels[p * F + f] as number;
        am[f]![l]! += g;
        au[f]![l]! += 1 - g;
      }
    }
    lambda = (mass + pseudo) / (n + 2 * pseudo);
    const norm = (acc: number[][]) =>
      acc.map((row) => {
        let den = 0;
        for (let l = 1; l < row.length; l++) den += row[l]! + pseudo;
        return row.map((x, l) => (l === 0 ? 1 : (x + pseudo) / den));
      });
    m = norm(am);
    u = norm(au);
  }
  return { lambda, m, u };
}

t.test('EM over aggregated patterns equals EM over individual pairs', async (t) => {
  const small = synthesise(3000, 0.3, 0.15, 3);
  const fields = comparisonsFor(FIELDS, {}, CUTS);
  const L = fields.map(levelCount);
  const levels = similarityLevels(small.sims, fields);
  const table = aggregatePatterns(levels, L);
  const flat = perPairPatterns(levels, L);
  t.ok(table.counts.length < flat.counts.length, 'aggregation reduced the rows');
  t.equal(
    table.counts.reduce((a, b) => a + b, 0),
    3000,
    'counts add up to the pairs',
  );
  const start = initialParameters(table);
  t.same(initialParameters(flat), start, 'same starting point either way');
  const iterations = 25;
  const agg = runEm(table, { initial: start, maxIterations: iterations, tolerance: 0 });
  const per = runEm(flat, { initial: start, maxIterations: iterations, tolerance: 0 });
  const ref = perPairEm(levels, FIELDS.length, L, start, iterations, 0.5);
  t.equal(agg.iterations, iterations);
  let worst = Math.max(Math.abs(agg.lambda - ref.lambda), Math.abs(per.lambda - ref.lambda));
  for (let f = 0; f < FIELDS.length; f++) {
    for (let l = 0; l < (L[f] as number); l++) {
      worst = Math.max(
        worst,
        Math.abs(agg.m[f]![l]! - ref.m[f]![l]!),
        Math.abs(agg.u[f]![l]! - ref.u[f]![l]!),
        Math.abs(per.m[f]![l]! - ref.m[f]![l]!),
        Math.abs(per.u[f]![l]! - ref.u[f]![l]!),
      );
    }
  }
  t.ok(worst < 1e-9, `largest difference ${worst}`);
  const llA = agg.logLikelihood;
  const llP = per.logLikelihood;
  t.ok(Math.abs(llA[llA.length - 1]! - llP[llP.length - 1]!) < 1e-6, 'same log-likelihood');
});

// ---- degenerate inputs -----------------------------------------------------------------------

function checkFinite(t: Test, m: ScoringModel, sims: Float32Array): void {
  t.ok(modelFinite(m), 'model parameters finite');
  const s = scorePairs(m, sims);
  t.ok(allFinite(s.weight) && allFinite(s.probability), 'scores finite');
  for (let p = 0; p < s.probability.length; p++) {
    if (!((s.probability[p] as number) >= 0 && (s.probability[p] as number) <= 1)) t.fail('probability outside [0, 1]');
  }
  for (const target of [
    { kind: 'probability', value: 0.5 },
    { kind: 'precision', value: 0.99 },
    { kind: 'recall', value: 0.95 },
    { kind: 'f1' },
  ] as const) {
    const c = chooseThreshold(m, target);
    t.ok(Number.isFinite(c.weight) && Number.isFinite(c.expected.precision) && Number.isFinite(c.expected.recall));
    t.notMatch(c.reasoning.join('\n'), /NaN|Infinity|undefined/, `${target.kind} reasoning is clean`);
  }
  const e = explainPair(m, sims, 0);
  t.ok(Number.isFinite(e.weight) && e.fields.every((x) => Number.isFinite(x.weight)));
}

t.test('degenerate inputs give finite results', async (t) => {
  t.test('all pairs identical (all exact)', async (t) => {
    const sims = new Float32Array(1000 * 7).fill(1);
    checkFinite(t, fitModel(sims, FIELDS, { defaultCutPoints: CUTS }), sims);
  });
  t.test('all pairs identical (all disagree)', async (t) => {
    const sims = new Float32Array(500 * 7).fill(0);
    checkFinite(t, fitModel(sims, FIELDS, { defaultCutPoints: CUTS }), sims);
  });
  t.test('a single pair', async (t) => {
    const sims = Float32Array.of(1, 0.2, 0.9, 1, NaN, 0.5, 1);
    checkFinite(t, fitModel(sims, FIELDS, { defaultCutPoints: CUTS }), sims);
  });
  t.test('no missing values', async (t) => {
    const d = synthesise(20_000, 0.1, 0, 4);
    const m = fitModel(d.sims, FIELDS, { defaultCutPoints: CUTS });
    checkFinite(t, m, d.sims);
    t.ok(Math.abs(m.lambda - 0.1) <= 0.03, `λ = ${m.lambda}`);
  });
  t.test('one field everywhere missing, another never varies', async (t) => {
    const d = synthesise(5000, 0.2, 0.1, 5);
    for (let p = 0; p < 5000; p++) {
      d.sims[p * 7 + 3] = NaN;
      d.sims[p * 7 + 5] = 1;
    }
    const m = fitModel(d.sims, FIELDS, { defaultCutPoints: CUTS });
    checkFinite(t, m, d.sims);
    t.same(m.weights[3], [0, 0, 0, 0, 0], 'all-missing field has no weight');
    t.match(m.training.warnings.join('\n'), /sex is missing in every pair/);
  });
  t.test('every value missing', async (t) => {
    const sims = new Float32Array(100 * 7).fill(NaN);
    const m = fitModel(sims, FIELDS, { defaultCutPoints: CUTS });
    checkFinite(t, m, sims);
    const s = scorePairs(m, sims);
    t.equal(s.weight[0], Math.fround(m.priorWeight), 'a pair with no evidence keeps the prior');
  });
  t.test('one field only', async (t) => {
    const d = synthesise(5000, 0.2, 0.05, 6, 1);
    const m = fitModel(d.sims, ['nhs_number'], { defaultCutPoints: CUTS });
    checkFinite(t, m, d.sims);
    t.match(m.training.warnings.join('\n'), /not identified/);
  });
  t.test('a field with no cut points', async (t) => {
    const d = synthesise(2000, 0.2, 0.1, 7);
    const m = fitModel(d.sims, FIELDS, { defaultCutPoints: CUTS, cutPoints: { sex: [] } });
    checkFinite(t, m, d.sims);
    t.same(m.weights[3], [0, 0], 'present/missing only: no evidence');
  });
});

t.test('bad input is refused', async (t) => {
  t.throws(() => fitModel(new Float32Array(0), FIELDS), RangeError);
  t.throws(() => fitModel(new Float32Array(8), FIELDS), /multiple of 7/);
  t.throws(() => fitModel(Float32Array.of(0.5, 1.5), ['a', 'b']), /outside \[0, 1\]/);
  t.throws(() => fitModel(Float32Array.of(-0.1), ['a']), /outside \[0, 1\]/);
  t.throws(() => fitModel(Float32Array.of(0.5), ['a'], { cutPoints: { a: [0.9, 0.8] } }), /ascending/);
  t.throws(() => fitModel(Float32Array.of(0.5), ['a'], { cutPoints: { b: [0.9] } }), /unknown field/);
  t.throws(() => fitModel(Float32Array.of(0.5, 0.5), ['a', 'a']), /duplicate/);
  t.throws(() => scorePairs(model, new Float32Array(6)), /multiple of 7/);
});

// ---- record-level CLK only ---------------------------------------------------------------------

t.test('record-level CLK mode', async (t) => {
  const rnd = seededRandom(8);
  const n = 20_000;
  const sims = new Float32Array(n);
  const random = new Float32Array(n);
  const isMatch = new Uint8Array(n);
  // Matches score high; non-matches low; random pairs drawn like non-matches, which is the
  // assumption behind estimating u from random pairs.
  for (let p = 0; p < n; p++) {
    isMatch[p] = rnd() < 0.3 ? 1 : 0;
    sims[p] = isMatch[p] ? Math.min(1, 0.78 + 0.3 * rnd()) : 0.3 + 0.45 * rnd();
    random[p] = 0.3 + 0.45 * rnd();
  }
  sims[0] = NaN;

  const plain = scoreByDiceThreshold(sims, 0.8);
  let expected = 0;
  for (let p = 0; p < n; p++) if ((sims[p] as number) >= Math.fround(0.8)) expected++;
  t.equal(plain.acceptedCount, expected);
  t.equal(plain.accepted[0], 0, 'missing CLK is rejected');
  t.match(plain.reasoning.join('\n'), /at least 0\.8/);
  t.throws(() => scoreByDiceThreshold(sims, 1.2), RangeError);

  const alone = fitClkModel(sims);
  checkFinite(t, alone, sims);
  t.match(alone.training.warnings.join('\n'), /not identified/, 'warns without random pairs');

  const anchored = fitClkModel(sims, { randomPairs: random });
  checkFinite(t, anchored, sims);
  t.equal(anchored.fields.length, 1);
  t.equal(anchored.fields[0]?.field, 'clk');
  t.equal(anchored.training.uSource, 'random-pairs');
  t.notMatch(anchored.training.warnings.join('\n'), /not identified/);
  const { weight } = scorePairs(anchored, sims);
  let correct = 0;
  for (let p = 1; p < n; p++) if (((weight[p] as number) >= 0 ? 1 : 0) === isMatch[p]) correct++;
  t.ok(correct / (n - 1) > 0.95, `accuracy ${correct / (n - 1)}`);
});
