/**
 * Unsupervised estimation of the Fellegi–Sunter parameters by expectation–maximisation over a
 * pattern table: λ (share of candidate pairs that are matches), and per field and level
 * m = P(level | match) and u = P(level | non-match), assuming fields are independent given match
 * status. 'Missing' is left out of the likelihood (its m and u are 1 by convention), which treats
 * missingness as uninformative.
 */
import type { PatternTable } from './patterns.js';
import { MISSING_LEVEL } from './comparison.js';

/** Fellegi–Sunter parameters; m[f][l] and u[f][l] indexed by level, level 0 ('missing') = 1. */
export interface FsParameters {
  readonly lambda: number;
  readonly m: readonly (readonly number[])[];
  readonly u: readonly (readonly number[])[];
}

export interface EmOptions {
  /** Stop after this many iterations even if not converged (default 1000). */
  readonly maxIterations?: number;
  /** Converged when no parameter moves by more than this in one iteration (default 1e-6). */
  readonly tolerance?: number;
  /** Added to every level's expected count so no probability reaches 0 or 1 (default 0.5). */
  readonly pseudoCount?: number;
  /** u probabilities estimated elsewhere (e.g. from random pairs), held fixed during EM. */
  readonly fixedU?: FsParameters['u'];
  /** Starting point; by default initialParameters(). */
  readonly initial?: FsParameters;
}

export interface EmResult extends FsParameters {
  readonly iterations: number;
  readonly converged: boolean;
  /** Natural-log likelihood of the pattern table at the start of each iteration, then at the end. */
  readonly logLikelihood: readonly number[];
  /** True if EM settled with the classes the wrong way round and they were swapped back. */
  readonly labelSwapped: boolean;
  readonly initial: FsParameters;
}

export const DEFAULT_MAX_ITERATIONS = 1000;
export const DEFAULT_TOLERANCE = 1e-6;
export const DEFAULT_PSEUDO_COUNT = 0.5;
/** λ is kept inside [LAMBDA_FLOOR, 1 − LAMBDA_FLOOR] so the prior weight stays finite. */
const LAMBDA_FLOOR = 1e-9;

const clampLambda = (x: number): number => Math.min(1 - LAMBDA_FLOOR, Math.max(LAMBDA_FLOOR, x));

/** Offsets of each field's levels in a flat parameter array. */
function offsetsOf(levelCounts: readonly number[]): { offsets: number[]; size: number } {
  const offsets: number[] = [];
  let size = 0;
  for (const l of levelCounts) {
    offsets.push(size);
    size += l;
  }
  return { offsets, size };
}

function flatten(p: FsParameters['m'], levelCounts: readonly number[], what: string): Float64Array {
  if (p.length !== levelCounts.length) throw new RangeError(`${what}: expected ${levelCounts.length} fields`);
  const { size } = offsetsOf(levelCounts);
  const out = new Float64Array(size);
  let k = 0;
  for (let f = 0; f < p.length; f++) {
    const row = p[f] as readonly number[];
    if (row.length !== levelCounts[f]) throw new RangeError(`${what}: field ${f} needs ${levelCounts[f]} levels`);
    row.forEach((x, l) => {
      if (!(x > 0 && x <= 1)) throw new RangeError(`${what}: probability ${x} is not in (0, 1]`);
      // 'missing' must be neutral, or a missing value would carry a weight.
      if (l === MISSING_LEVEL && x !== 1) throw new RangeError(`${what}: the missing level of field ${f} must be 1`);
      out[k++] = x;
    });
  }
  return out;
}

function unflatten(flat: Float64Array, levelCounts: readonly number[]): number[][] {
  const { offsets } = offsetsOf(levelCounts);
  return levelCounts.map((l, f) => Array.from(flat.subarray(offsets[f] as number, (offsets[f] as number) + l)));
}

/**
 * Normalises expected counts over the non-missing levels of each field, with a pseudo-count per
 * level; the missing level is set to 1.
 */
function normalise(acc: Float64Array, levelCounts: readonly number[], pseudo: number, out: Float64Array): void {
  let o = 0;
  for (const l of levelCounts) {
    let den = 0;
    for (let k = 1; k < l; k++) den += (acc[o + k] as number) + pseudo;
    out[o + MISSING_LEVEL] = 1;
    for (let k = 1; k < l; k++) {
      // den is 0 only if pseudo is 0 and nothing was observed: fall back to uniform.
      out[o + k] = den > 0 ? ((acc[o + k] as number) + pseudo) / den : 1 / (l - 1);
    }
    o += l;
  }
}

/** u from level counts of random (mostly non-matching) pairs, Splink's approach. */
export function estimateU(randomPairs: PatternTable, pseudoCount = DEFAULT_PSEUDO_COUNT): number[][] {
  const { levelCounts, patterns, counts, fieldCount: F } = randomPairs;
  const { offsets, size } = offsetsOf(levelCounts);
  const acc = new Float64Array(size);
  for (let j = 0; j < counts.length; j++) {
    const n = counts[j] as number;
    for (let f = 0; f < F; f++) acc[(offsets[f] as number) + (patterns[j * F + f] as number)]! += n;
  }
  const out = new Float64Array(size);
  normalise(acc, levelCounts, pseudoCount, out);
  return unflatten(out, levelCounts);
}

/**
 * Data-driven starting point: a pair whose fields mostly sit in their top level is provisionally a
 * match, one whose fields mostly sit in 'else' a non-match; m and u start from the level shares of
 * the two groups, blended with a fixed top-heavy (m) or bottom-heavy (u) shape. The blend matters:
 * if m and u started equal, every posterior would equal λ and EM would never leave that point.
 */
export function initialParameters(
  table: PatternTable,
  pseudoCount = DEFAULT_PSEUDO_COUNT,
  fixedU?: FsParameters['u'],
): FsParameters {
  const { levelCounts, patterns, counts, fieldCount: F } = table;
  const { offsets, size } = offsetsOf(levelCounts);
  const accM = new Float64Array(size);
  const accU = new Float64Array(size);
  let matches = 0;
  let total = 0;
  for (let j = 0; j < counts.length; j++) {
    const n = counts[j] as number;
    let vote = 0;
    for (let f = 0; f < F; f++) {
      const l = patterns[j * F + f] as number;
      const top = (levelCounts[f] as number) - 1;
      if (top < 2) continue; // a field with a single non-missing level carries no vote
      if (l === top) vote++;
      else if (l === 1) vote--;
    }
    const acc = vote > 0 ? accM : accU;
    if (vote > 0) matches += n;
    total += n;
    for (let f = 0; f < F; f++) acc[(offsets[f] as number) + (patterns[j * F + f] as number)]! += n;
  }
  const mEmp = new Float64Array(size);
  const uEmp = new Float64Array(size);
  normalise(accM, levelCounts, Math.max(pseudoCount, 1e-3), mEmp);
  normalise(accU, levelCounts, Math.max(pseudoCount, 1e-3), uEmp);
  const mShape = new Float64Array(size);
  const uShape = new Float64Array(size);
  const shapeM = new Float64Array(size);
  const shapeU = new Float64Array(size);
  levelCounts.forEach((l, f) => {
    const o = offsets[f] as number;
    for (let k = 1; k < l; k++) {
      shapeM[o + k] = 2 ** k;
      shapeU[o + k] = 2 ** (l - k);
    }
  });
  normalise(shapeM, levelCounts, 0, mShape);
  normalise(shapeU, levelCounts, 0, uShape);
  const m = mEmp.map((x, i) => 0.5 * x + 0.5 * (mShape[i] as number));
  const u = uEmp.map((x, i) => 0.5 * x + 0.5 * (uShape[i] as number));
  return {
    lambda: Math.min(0.99, Math.max(0.01, total > 0 ? matches / total : 0.1)),
    m: unflatten(m, levelCounts),
    u: fixedU ? fixedU.map((r) => [...r]) : unflatten(u, levelCounts),
  };
}

/** Log-likelihood of the pattern table and per-pattern posterior match probabilities. */
function eStep(
  table: PatternTable,
  offsets: readonly number[],
  lambda: number,
  logM: Float64Array,
  logU: Float64Array,
  posterior: Float64Array | null,
): number {
  const { patterns, counts, fieldCount: F } = table;
  const lm0 = Math.log(lambda);
  const lu0 = Math.log1p(-lambda);
  let ll = 0;
  for (let j = 0, i = 0; j < counts.length; j++) {
    let a = lm0;
    let b = lu0;
    for (let f = 0; f < F; f++, i++) {
      const k = (offsets[f] as number) + (patterns[i] as number);
      a += logM[k] as number;
      b += logU[k] as number;
    }
    // biome-ignore lint/complexity/useMathMinMax: Math.max differs on NaN; the comparison keeps the figures bit for bit
    const hi = a > b ? a : b;
    const lse = hi + Math.log(Math.exp(a - hi) + Math.exp(b - hi));
    ll += (counts[j] as number) * lse;
    if (posterior) posterior[j] = Math.exp(a - lse);
  }
  return ll;
}

/**
 * The M step's sufficient statistics: expected counts of each field level among matches (accM) and
 * non-matches (accU) under the posteriors; returns the expected number of matches.
 */
function expectedLevelCounts(
  table: PatternTable,
  offsets: readonly number[],
  posterior: Float64Array,
  accM: Float64Array,
  accU: Float64Array,
): number {
  const { patterns, counts, fieldCount: F } = table;
  accM.fill(0);
  accU.fill(0);
  let matchMass = 0;
  for (let j = 0, i = 0; j < counts.length; j++) {
    const n = counts[j] as number;
    const gm = n * (posterior[j] as number);
    const gu = n - gm;
    matchMass += gm;
    for (let f = 0; f < F; f++, i++) {
      const k = (offsets[f] as number) + (patterns[i] as number);
      accM[k]! += gm;
      accU[k]! += gu;
    }
  }
  return matchMass;
}

/** The largest move of any parameter in one iteration (u left out when it is held fixed). */
function largestChange(
  lambdaChange: number,
  m: Float64Array,
  nextM: Float64Array,
  free: { u: Float64Array; nextU: Float64Array } | null,
): number {
  let change = lambdaChange;
  for (let k = 0; k < m.length; k++) {
    change = Math.max(change, Math.abs((nextM[k] as number) - (m[k] as number)));
    if (free) change = Math.max(change, Math.abs((free.nextU[k] as number) - (free.u[k] as number)));
  }
  return change;
}

/**
 * Without fixed u the likelihood is symmetric in the two classes; the match class is the one whose
 * top levels are more likely than its bottom ('else') levels. Negative: the classes came out swapped.
 */
function topLevelEvidence(
  levelCounts: readonly number[],
  offsets: readonly number[],
  logM: Float64Array,
  logU: Float64Array,
): number {
  let evidence = 0;
  levelCounts.forEach((l, f) => {
    if (l < 3) return;
    const o = offsets[f] as number;
    const top = o + l - 1;
    evidence += (logM[top] as number) - (logU[top] as number) - ((logM[o + 1] as number) - (logU[o + 1] as number));
  });
  return evidence;
}

/** Runs EM on a pattern table. Pure; deterministic for a given table and options. */
export function runEm(table: PatternTable, opts: EmOptions = {}): EmResult {
  const maxIterations = opts.maxIterations ?? DEFAULT_MAX_ITERATIONS;
  const tolerance = opts.tolerance ?? DEFAULT_TOLERANCE;
  const pseudo = opts.pseudoCount ?? DEFAULT_PSEUDO_COUNT;
  if (!(pseudo >= 0)) throw new RangeError('runEm: pseudoCount must be ≥ 0');
  if (!(Number.isInteger(maxIterations) && maxIterations >= 0)) throw new RangeError('runEm: bad maxIterations');
  const { levelCounts, counts } = table;
  const { offsets, size } = offsetsOf(levelCounts);
  const fixedU = opts.fixedU ? flatten(opts.fixedU, levelCounts, 'fixedU') : null;
  const initial = opts.initial ?? initialParameters(table, pseudo, opts.fixedU);

  let lambda = clampLambda(initial.lambda);
  const m = flatten(initial.m, levelCounts, 'initial m');
  const u = fixedU ? fixedU.slice() : flatten(initial.u, levelCounts, 'initial u');
  const logM = m.map(Math.log);
  const logU = u.map(Math.log);
  const posterior = new Float64Array(counts.length);
  const accM = new Float64Array(size);
  const accU = new Float64Array(size);
  const nextM = new Float64Array(size);
  const nextU = new Float64Array(size);
  const trace: number[] = [];
  let iterations = 0;
  let converged = false;
  let total = 0;
  for (let j = 0; j < counts.length; j++) total += counts[j] as number;

  while (iterations < maxIterations) {
    trace.push(eStep(table, offsets, lambda, logM, logU, posterior));
    iterations++;
    const matchMass = expectedLevelCounts(table, offsets, posterior, accM, accU);
    const nextLambda = clampLambda((matchMass + pseudo) / (total + 2 * pseudo));
    normalise(accM, levelCounts, pseudo, nextM);
    if (!fixedU) normalise(accU, levelCounts, pseudo, nextU);
    const change = largestChange(Math.abs(nextLambda - lambda), m, nextM, fixedU ? null : { u, nextU });
    lambda = nextLambda;
    m.set(nextM);
    if (!fixedU) u.set(nextU);
    for (let k = 0; k < size; k++) {
      logM[k] = Math.log(m[k] as number);
      logU[k] = Math.log(u[k] as number);
    }
    if (change < tolerance) {
      converged = true;
      break;
    }
  }
  trace.push(eStep(table, offsets, lambda, logM, logU, null));

  // Label switching (see topLevelEvidence).
  const labelSwapped = !fixedU && topLevelEvidence(levelCounts, offsets, logM, logU) < 0;
  if (labelSwapped) {
    const tmp = m.slice();
    m.set(u);
    u.set(tmp);
    lambda = clampLambda(1 - lambda);
  }

  return {
    lambda,
    m: unflatten(m, levelCounts),
    u: unflatten(u, levelCounts),
    iterations,
    converged,
    logLikelihood: trace,
    labelSwapped,
    initial,
  };
}

/** Posterior match probability of each pattern under given parameters (for threshold maths). */
export function patternPosteriors(table: PatternTable, params: FsParameters): Float64Array {
  const { levelCounts } = table;
  const { offsets } = offsetsOf(levelCounts);
  const logM = flatten(params.m, levelCounts, 'm').map(Math.log);
  const logU = flatten(params.u, levelCounts, 'u').map(Math.log);
  const out = new Float64Array(table.counts.length);
  eStep(table, offsets, clampLambda(params.lambda), logM, logU, out);
  return out;
}

/**
 * λ as the probability that two records drawn at random match (Splink's prior), with m and u held:
 * the candidate pairs contribute their posteriors and every pair blocking did not propose counts as
 * a non-match. Why not λ among candidates: u comes from random pairs, and a posterior is only
 * right when prior and u describe the same population. Blocking selects pairs on the very values
 * compared, so that selection cancels out of the posterior of a candidate; a candidate-level λ
 * with a random-pair u would instead credit every candidate with the evidence that got it proposed.
 */
export function priorOverAllPairs(
  table: PatternTable,
  params: Pick<FsParameters, 'm' | 'u'>,
  totalPairs: number,
  opts: Pick<EmOptions, 'maxIterations' | 'tolerance'> & {
    /** Per pattern, the share of its pairs that can be one person at all (e.g. not co-residents); default 1. */
    readonly eligible?: Float64Array;
  } = {},
): { lambda: number; iterations: number; converged: boolean } {
  if (!(totalPairs >= table.totalPairs && totalPairs > 0)) {
    throw new RangeError(
      `priorOverAllPairs: ${totalPairs} pairs in all, fewer than the ${table.totalPairs} candidates`,
    );
  }
  const { levelCounts, patterns, counts, fieldCount: F } = table;
  const { offsets } = offsetsOf(levelCounts);
  const logRatio = new Float64Array(counts.length);
  const logM = flatten(params.m, levelCounts, 'm').map(Math.log);
  const logU = flatten(params.u, levelCounts, 'u').map(Math.log);
  for (let j = 0, i = 0; j < counts.length; j++) {
    let r = 0;
    for (let f = 0; f < F; f++, i++) {
      const k = (offsets[f] as number) + (patterns[i] as number);
      r += (logM[k] as number) - (logU[k] as number);
    }
    logRatio[j] = r;
  }
  const maxIterations = opts.maxIterations ?? DEFAULT_MAX_ITERATIONS;
  const tolerance = opts.tolerance ?? 1e-9; // relative change of λ
  let lambda = clampLambda(table.totalPairs / totalPairs / 2);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    const priorOdds = Math.log(lambda) - Math.log1p(-lambda);
    let matches = 0;
    for (let j = 0; j < counts.length; j++) {
      matches +=
        ((counts[j] as number) * (opts.eligible ? (opts.eligible[j] as number) : 1)) /
        (1 + Math.exp(-(priorOdds + (logRatio[j] as number))));
    }
    const next = clampLambda(matches / totalPairs);
    const change = Math.abs(next - lambda) / lambda;
    lambda = next;
    if (change < tolerance) {
      converged = true;
      break;
    }
  }
  return { lambda, iterations, converged };
}
