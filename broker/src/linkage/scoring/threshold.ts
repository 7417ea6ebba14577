/**
 * Choosing a match-weight threshold from the fitted model, with the reasoning shown. The model is
 * a two-class mixture, so for any threshold it predicts how many accepted pairs are false matches
 * (Σ count·(1 − posterior) above it) and how many true matches fall below it (Σ count·posterior
 * below it), over the training pattern table. These are the model's expectations, not measured
 * error: they are only as good as its assumptions, which the reasoning states.
 */
import type { ScoringModel } from './model.js';
import { matchProbability } from './weights.js';

export type ThresholdTarget =
  /** Accept pairs whose posterior match probability is at least `value` (default 0.5). */
  | { readonly kind: 'probability'; readonly value: number }
  /** Lowest threshold whose expected precision is still at least `value`. */
  | { readonly kind: 'precision'; readonly value: number }
  /** Highest threshold whose expected recall reaches `value`. */
  | { readonly kind: 'recall'; readonly value: number }
  /** Threshold maximising the expected F1. */
  | { readonly kind: 'f1' };

/** Expected outcome of accepting every pair at or above a threshold. */
export interface ExpectedOutcome {
  readonly acceptedPairs: number;
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly falseNegatives: number;
  /** Expected true matches among all candidate pairs (Σ count·posterior). */
  readonly expectedMatches: number;
  /** TP / accepted; 1 when nothing is accepted. */
  readonly precision: number;
  /** TP / expected matches; 1 when no matches are expected. */
  readonly recall: number;
}

/** One step of the trade-off curve: accept every pattern with weight ≥ `weight`. */
export interface TradeoffPoint extends ExpectedOutcome {
  readonly weight: number;
}

export interface ThresholdChoice {
  readonly target: ThresholdTarget;
  /** Accept a pair when its match weight is ≥ this. */
  readonly weight: number;
  /** matchProbability(weight). */
  readonly probability: number;
  readonly expected: ExpectedOutcome;
  readonly reasoning: readonly string[];
}

/** Total weight of each training pattern (prior included). */
export function patternWeights(model: ScoringModel): Float64Array {
  const { patterns, counts, fieldCount: F } = model.patterns;
  const out = new Float64Array(counts.length);
  for (let j = 0; j < counts.length; j++) {
    let w = model.priorWeight;
    for (let f = 0; f < F; f++) w += (model.weights[f] as readonly number[])[patterns[j * F + f] as number] as number;
    out[j] = w;
  }
  return out;
}

function outcome(accepted: number, tp: number, total: number): ExpectedOutcome {
  const fp = Math.max(0, accepted - tp);
  const fn = Math.max(0, total - tp);
  return {
    acceptedPairs: accepted,
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
    expectedMatches: total,
    precision: accepted > 0 ? tp / accepted : 1,
    recall: total > 0 ? Math.min(1, tp / total) : 1,
  };
}

/** Expected precision and recall at every distinct weight of the training patterns, descending. */
export function tradeoffCurve(model: ScoringModel): TradeoffPoint[] {
  const w = patternWeights(model);
  const counts = model.patterns.counts;
  const order = Array.from(w.keys()).sort((a, b) => (w[b] as number) - (w[a] as number));
  let total = 0;
  for (let j = 0; j < counts.length; j++) total += (counts[j] as number) * matchProbability(w[j] as number);
  const curve: TradeoffPoint[] = [];
  let accepted = 0;
  let tp = 0;
  for (let k = 0; k < order.length; k++) {
    const j = order[k] as number;
    accepted += counts[j] as number;
    tp += (counts[j] as number) * matchProbability(w[j] as number);
    const next = order[k + 1];
    if (next !== undefined && w[next] === w[j]) continue; // tie: one step per distinct weight
    curve.push({ weight: w[j] as number, ...outcome(accepted, tp, total) });
  }
  return curve;
}

/** Expected outcome of a given threshold. */
export function expectedAt(model: ScoringModel, threshold: number): ExpectedOutcome {
  const w = patternWeights(model);
  const counts = model.patterns.counts;
  let total = 0;
  let accepted = 0;
  let tp = 0;
  for (let j = 0; j < counts.length; j++) {
    const n = counts[j] as number;
    const p = n * matchProbability(w[j] as number);
    total += p;
    if ((w[j] as number) >= threshold) {
      accepted += n;
      tp += p;
    }
  }
  return outcome(accepted, tp, total);
}

// ---- formatting ------------------------------------------------------------------------------

const signed = (x: number): string => (x >= 0 ? '+' : '−') + Math.abs(x).toFixed(2);
const short = (x: number): string => String(Number(x.toPrecision(6)));
const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
const count = (x: number): string => {
  const r = Math.abs(x - Math.round(x)) < 1e-9 ? String(Math.round(x)) : x.toFixed(1);
  return r.replace(/^(\d+)/, (d) => d.replace(/\B(?=(\d{3})+(?!\d))/g, ','));
};

function describeModel(model: ScoringModel): string[] {
  const t = model.training;
  const lines: string[] = [];
  if (t.mSource) {
    const anchored = model.fields
      .filter((_, f) => t.mSource![f] === 'anchored')
      .map((c, _f) => `${c.field} (${count(t.anchoredPairs?.[model.fields.indexOf(c)] ?? 0)})`);
    const em = model.fields.filter((_, f) => t.mSource![f] === 'em').map((c) => c.field);
    lines.push(
      `Model fitted without labels on ${count(t.pairs)} candidate pairs ` +
        `(${count(t.distinctPatterns)} distinct comparison patterns). ` +
        `u from ${count(t.randomPairs)} random pairs. ` +
        `m of each field from the pairs that agree on every other field, one of them personal ` +
        `(pairs per field: ${anchored.join(', ') || 'none'})` +
        (em.length > 0 ? `; by EM with u held for ${em.join(', ')}, which too few pairs anchor.` : '.'),
    );
  } else {
    lines.push(
      `Model fitted without labels on ${count(t.pairs)} candidate pairs (${count(t.distinctPatterns)} distinct ` +
        `comparison patterns); ` +
        `EM ${t.converged ? 'converged' : 'stopped unconverged'} after ${t.iterations} iterations; ` +
        (t.uSource === 'random-pairs'
          ? `u estimated from ${count(t.randomPairs)} random pairs and held fixed.`
          : 'u estimated by EM.'),
    );
  }
  lines.push(
    t.priorPairs !== undefined
      ? `Prior: two records drawn at random from the ${count(t.priorPairs)} pairs blocking chose from ` +
          `match with probability λ = ${model.lambda.toPrecision(4)} ` +
          `(about ${count(model.lambda * t.priorPairs)} matches in all), ` +
          `so every pair starts at the prior weight log2(λ/(1−λ)) = ${signed(model.priorWeight)}; ` +
          'blocking selects on the compared values, so this prior stays right for the candidates it proposes.'
      : `Prior: λ = ${model.lambda.toPrecision(4)} of candidate pairs are matches (about 1 in ${count(
          Math.max(1, 1 / model.lambda),
        )}), so every pair starts at the prior weight log2(λ/(1−λ)) = ${signed(model.priorWeight)}.`,
  );
  const spread = model.fields
    .map((c, f) => {
      const w = model.weights[f] as readonly number[];
      const top = w.length - 1;
      return { c, top, hi: w[top] as number, lo: w[1] as number };
    })
    .filter((x) => x.top >= 2)
    .sort((a, b) => b.hi - b.lo - (a.hi - a.lo));
  if (spread.length > 0) {
    lines.push(
      'Evidence per field, strongest first (weight at the top level / at the bottom level): ' +
        spread.map((x) => `${x.c.field} ${signed(x.hi)} / ${signed(x.lo)}`).join('; ') +
        '. A missing field adds 0.',
    );
  }
  return lines;
}

function choose(curve: readonly TradeoffPoint[], target: ThresholdTarget): number {
  // Returns the index of the last accepted curve point, or −1 for 'accept nothing'.
  switch (target.kind) {
    case 'probability': {
      let k = -1;
      const w = Math.log2(target.value) - Math.log2(1 - target.value);
      while (k + 1 < curve.length && (curve[k + 1] as TradeoffPoint).weight >= w) k++;
      return k;
    }
    case 'precision': {
      let k = -1;
      while (k + 1 < curve.length && (curve[k + 1] as TradeoffPoint).precision >= target.value) k++;
      return k;
    }
    case 'recall': {
      const k = curve.findIndex((p) => p.recall >= target.value);
      return k === -1 ? curve.length - 1 : k;
    }
    case 'f1': {
      let best = -1;
      let bestF1 = -1;
      curve.forEach((p, k) => {
        const f1 = p.precision + p.recall > 0 ? (2 * p.precision * p.recall) / (p.precision + p.recall) : 0;
        if (f1 > bestF1 + 1e-12) {
          bestF1 = f1;
          best = k;
        }
      });
      return best;
    }
  }
}

function checkTarget(target: ThresholdTarget): void {
  if (target.kind === 'f1') return;
  const v = target.value;
  const ok = target.kind === 'probability' ? v > 0 && v < 1 : v > 0 && v <= 1;
  if (!ok) throw new RangeError(`chooseThreshold: ${target.kind} target ${v} out of range`);
}

/**
 * Chooses a match-weight threshold for the model, and explains the choice: the rule, what the
 * model expects at that threshold (false and missed matches), how sensitive that is, and the
 * assumptions behind the figures.
 */
export function chooseThreshold(
  model: ScoringModel,
  target: ThresholdTarget = { kind: 'probability', value: 0.5 },
): ThresholdChoice {
  checkTarget(target);
  const curve = tradeoffCurve(model);
  const k = choose(curve, target);
  const top = curve[0];
  const at = curve[k];
  const below = curve[k + 1];
  let weight: number;
  if (target.kind === 'probability') {
    weight = Math.log2(target.value) - Math.log2(1 - target.value);
  } else if (at === undefined) {
    weight = (top?.weight ?? 0) + 1; // accept nothing: just above the highest observed weight
  } else {
    // Midway to the next observed weight, so float32 rounding of pair weights cannot flip a pair.
    weight = below === undefined ? at.weight - 1 : (at.weight + below.weight) / 2;
  }
  const expected = expectedAt(model, weight);
  const reasoning = describeModel(model);

  switch (target.kind) {
    case 'probability':
      reasoning.push(
        `Rule: accept a pair when its posterior match probability is at least ${target.value}, i.e. its match weight ` +
          `is at least log2(${short(target.value)}/${short(1 - target.value)}) = ${signed(weight)}.` +
          (target.value === 0.5 ? ' At this point the evidence for a match outweighs the evidence against.' : ''),
      );
      break;
    case 'precision':
      reasoning.push(
        at === undefined
          ? `Rule: expected precision ≥ ${pct(target.value)}; no threshold reaches it, so nothing is accepted.`
          : `Rule: the lowest threshold at which the expected precision of all accepted pairs ` +
              `is still ≥ ${pct(target.value)}: ` +
              `match weight ${signed(weight)} (posterior ${matchProbability(weight).toPrecision(4)}).`,
      );
      break;
    case 'recall':
      reasoning.push(
        `Rule: the highest threshold at which the expected recall reaches ${pct(target.value)}: ` +
          `match weight ${signed(weight)} (posterior ${matchProbability(weight).toPrecision(4)}).`,
      );
      break;
    case 'f1':
      reasoning.push(
        `Rule: the threshold that maximises the expected F1 (harmonic mean of precision and recall): match weight ` +
          `${signed(weight)} (posterior ${matchProbability(weight).toPrecision(4)}).`,
      );
      break;
  }

  const total = model.training.pairs;
  reasoning.push(
    `At this threshold ${count(expected.acceptedPairs)} of ${count(total)} candidate pairs are accepted. ` +
      'Pair by pair, before entities are formed (each pair weighed alone against two random people; ' +
      'the run estimates its own precision and recall from the entities it forms): ' +
      `the model expects ${count(expected.truePositives)} of them to be true matches and ` +
      `${count(expected.falsePositives)} false matches (precision ${pct(expected.precision)}), ` +
      `and ${count(expected.falseNegatives)} true matches below the threshold ` +
      `(recall ${pct(expected.recall)} of an expected ${count(expected.expectedMatches)} matches ` +
      `among the candidates).`,
  );
  const lower = expectedAt(model, weight - 1);
  const higher = expectedAt(model, weight + 1);
  reasoning.push(
    `Sensitivity: one unit lower (${signed(weight - 1)}) accepts ${count(lower.acceptedPairs)} pairs at expected ` +
      `precision ${pct(lower.precision)}; one unit higher (${signed(weight + 1)}) accepts ` +
      `${count(higher.acceptedPairs)} at expected recall ${pct(higher.recall)}.`,
  );
  const band = expectedAt(model, -Math.log2(9)).acceptedPairs - expectedAt(model, Math.log2(9)).acceptedPairs;
  reasoning.push(
    `${count(band)} pairs have a posterior between 0.1 and 0.9 ` +
      `(weights ${signed(-Math.log2(9))} to ${signed(Math.log2(9))}): ` +
      'the model is unsure about them; they are the candidates for clerical review.',
  );
  reasoning.push(
    'These figures assume fields are independent given match status; correlated fields (e.g. address and postcode) ' +
      'double-count evidence, so read precision and recall as optimistic. Recall counts only matches among the ' +
      'candidate pairs: matches that blocking never proposed are invisible to the model.',
  );
  for (const w of model.training.warnings) reasoning.push(`Caution: ${w}`);

  return { target, weight, probability: matchProbability(weight), expected, reasoning };
}
