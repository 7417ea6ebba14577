/**
 * Match weights: a pair's weight is the prior log-odds log2(λ/(1−λ)) plus, for each field, the
 * partial weight log2(m/u) of the level it falls in ('missing' adds 0). The weight is the
 * posterior log2-odds of a match, so the match probability is 1 / (1 + 2^−weight).
 */
import type { FieldComparison, SimilarityMatrix } from './comparison.js';
import { levelCount, levelOf, pairCount, storedCutPoints } from './comparison.js';
import type { FsParameters } from './em.js';

/** Prior weight log2(λ/(1−λ)). */
export function priorWeight(lambda: number): number {
  return Math.log2(lambda) - Math.log2(1 - lambda);
}

/** Partial match weight log2(m/u), with m and u both 1 for 'missing'. */
export function partialWeight(m: number, u: number): number {
  return Math.log2(m) - Math.log2(u);
}

/** Posterior match probability from a total match weight; 0 and 1 only in float underflow. */
export function matchProbability(weight: number): number {
  return 1 / (1 + 2 ** -weight);
}

/** Per field, per level partial weights. */
export function levelWeights(params: FsParameters): number[][] {
  return params.m.map((row, f) => row.map((m, l) => partialWeight(m, (params.u[f] as readonly number[])[l] as number)));
}

/** Tabulate per-pattern scores when there are at most this many level patterns. */
const TABULATE_LIMIT = 1 << 20;

function tabulate(
  comparisons: readonly FieldComparison[],
  w: Float64Array,
  weightOffset: Int32Array,
  space: number,
  prior: number,
): { weight: Float64Array; probability: Float64Array } {
  const weight = new Float64Array(space);
  const probability = new Float64Array(space);
  for (let code = 0; code < space; code++) {
    let sum = prior;
    let rest = code;
    for (let f = 0; f < comparisons.length; f++) {
      const l = levelCount(comparisons[f] as FieldComparison);
      sum += w[(weightOffset[f] as number) + (rest % l)] as number;
      rest = Math.floor(rest / l);
    }
    weight[code] = sum;
    probability[code] = matchProbability(sum);
  }
  return { weight, probability };
}

export interface PairScores {
  /** Total match weight (prior included) per pair. */
  readonly weight: Float32Array;
  /** Posterior match probability per pair. */
  readonly probability: Float32Array;
}

/**
 * Scores every pair of a similarity matrix: levels are computed on the fly and their partial
 * weights summed in float64, so no level matrix is materialised.
 */
export function scoreSimilarities(
  comparisons: readonly FieldComparison[],
  weights: readonly (readonly number[])[],
  prior: number,
  sims: SimilarityMatrix,
): PairScores {
  const F = comparisons.length;
  const n = pairCount(sims, F);
  if (weights.length !== F) throw new RangeError('scoreSimilarities: weights do not match the fields');
  // Flat cut points and weights, indexed through per-field offsets, keep the inner loop monomorphic.
  const cutOffset = new Int32Array(F + 1);
  const weightOffset = new Int32Array(F);
  const flatCuts: number[] = [];
  const flatWeights: number[] = [];
  comparisons.forEach((c, f) => {
    const row = weights[f] as readonly number[];
    if (row.length !== levelCount(c))
      throw new RangeError(`scoreSimilarities: weights of ${c.field} have the wrong length`);
    weightOffset[f] = flatWeights.length;
    flatWeights.push(...row);
    cutOffset[f] = flatCuts.length;
    flatCuts.push(...storedCutPoints(c));
  });
  cutOffset[F] = flatCuts.length;
  const cuts = Float64Array.from(flatCuts);
  const w = Float64Array.from(flatWeights);
  const weight = new Float32Array(n);
  const probability = new Float32Array(n);
  // With few possible level patterns, weight and probability are tabulated once per pattern and
  // each pair costs only its level lookups (no pow per pair).
  const strides = new Float64Array(F);
  let space = 1;
  comparisons.forEach((c, f) => {
    strides[f] = space;
    space *= levelCount(c);
  });
  const table = space <= TABULATE_LIMIT ? tabulate(comparisons, w, weightOffset, space, prior) : null;
  for (let p = 0, i = 0; p < n; p++) {
    let sum = prior;
    let code = 0;
    for (let f = 0; f < F; f++, i++) {
      const s = sims[i] as number;
      let level = 0; // NaN: missing
      if (!Number.isNaN(s)) {
        if (s < 0 || s > 1)
          throw new RangeError(`similarity of pair ${p}, field ${comparisons[f]?.field} is ${s}: outside [0, 1]`);
        level = 1;
        const end = cutOffset[f + 1] as number;
        for (let k = cutOffset[f] as number, l = 2; k < end; k++, l++) {
          if (s >= (cuts[k] as number)) level = l;
          else break;
        }
      }
      if (table) code += level * (strides[f] as number);
      else sum += w[(weightOffset[f] as number) + level] as number;
    }
    if (table) {
      weight[p] = table.weight[code] as number;
      probability[p] = table.probability[code] as number;
    } else {
      weight[p] = sum;
      probability[p] = matchProbability(sum);
    }
  }
  return { weight, probability };
}

/** One field's contribution to a pair's weight. Carries no identifier values, only evidence. */
export interface FieldEvidence {
  readonly field: string;
  /** Level index (0 = missing). */
  readonly level: number;
  readonly label: string;
  /** Dice similarity of the field filters, or null if missing. */
  readonly similarity: number | null;
  readonly m: number;
  readonly u: number;
  /** m/u: how many times likelier this level is among matches than non-matches. */
  readonly bayesFactor: number;
  /** log2(m/u); 0 for missing. */
  readonly weight: number;
}

export interface PairExplanation {
  readonly pairIndex: number;
  /** log2(λ/(1−λ)): the weight every pair starts from. */
  readonly priorWeight: number;
  readonly fields: readonly FieldEvidence[];
  /** priorWeight + Σ fields[i].weight. */
  readonly weight: number;
  readonly probability: number;
}

/** Explains one pair's score as the prior plus one partial weight per field. */
export function explainSimilarities(
  comparisons: readonly FieldComparison[],
  params: FsParameters,
  sims: SimilarityMatrix,
  pairIndex: number,
): PairExplanation {
  const F = comparisons.length;
  const n = pairCount(sims, F);
  if (!(Number.isInteger(pairIndex) && pairIndex >= 0 && pairIndex < n)) {
    throw new RangeError(`explainPair: pair index ${pairIndex} out of range (0..${n - 1})`);
  }
  const prior = priorWeight(params.lambda);
  let total = prior;
  const fields = comparisons.map((c, f): FieldEvidence => {
    const s = sims[pairIndex * F + f] as number;
    const level = levelOf(s, storedCutPoints(c));
    const m = (params.m[f] as readonly number[])[level] as number;
    const u = (params.u[f] as readonly number[])[level] as number;
    const weight = partialWeight(m, u);
    total += weight;
    return {
      field: c.field,
      level,
      label: c.labels[level] as string,
      similarity: Number.isNaN(s) ? null : s,
      m,
      u,
      bayesFactor: m / u,
      weight,
    };
  });
  return { pairIndex, priorWeight: prior, fields, weight: total, probability: matchProbability(total) };
}
