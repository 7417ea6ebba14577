/**
 * Quality of a blocking: pair completeness (share of true pairs among the candidates) and
 * reduction ratio (share of all possible pairs that blocking removed). Both from sorted lists by a
 * merge, so they scale to millions of pairs without hash sets.
 */
import { pairListOf } from './candidates.js';
import type { PairList } from './pair-collector.js';

/** All pairs a comparison without blocking would make: nA·nB, or nA(nA − 1)/2 within one source. */
export function totalPairs(nA: number, nB: number | null): number {
  return nB === null ? (nA * (nA - 1)) / 2 : nA * nB;
}

/** 1 − candidates / all pairs (1 when there are no pairs at all). */
export function reductionRatio(candidates: number, nA: number, nB: number | null): number {
  const total = totalPairs(nA, nB);
  return total === 0 ? 1 : 1 - candidates / total;
}

/** How many pairs of sorted, duplicate-free `truth` are also in sorted `found`. */
export function countCommon(found: PairList, truth: PairList): number {
  let p = 0;
  let q = 0;
  let hits = 0;
  while (p < found.length && q < truth.length) {
    const fa = found.a[p] as number;
    const fb = found.b[p] as number;
    const ta = truth.a[q] as number;
    const tb = truth.b[q] as number;
    if (fa === ta && fb === tb) {
      hits++;
      p++;
      q++;
    } else if (fa < ta || (fa === ta && fb < tb)) p++;
    else q++;
  }
  return hits;
}

export interface BlockingQuality {
  /** Distinct candidate pairs. */
  candidates: number;
  /** Distinct true pairs, and how many of them are candidates. */
  truePairs: number;
  trueFound: number;
  pairCompleteness: number;
  reductionRatio: number;
  /** Share of candidates that are true pairs. */
  pairsQuality: number;
}

/**
 * Blocking quality of interleaved candidate pairs against interleaved true pairs (any order;
 * within one source — nB null — (i, j) and (j, i) are the same pair).
 */
export function blockingQuality(
  candidates: Uint32Array,
  truth: Uint32Array,
  nA: number,
  nB: number | null,
): BlockingQuality {
  const dedup = nB === null;
  const found = pairListOf(candidates, dedup);
  const real = pairListOf(truth, dedup);
  const trueFound = countCommon(found, real);
  return {
    candidates: found.length,
    truePairs: real.length,
    trueFound,
    pairCompleteness: real.length === 0 ? 1 : trueFound / real.length,
    reductionRatio: reductionRatio(found.length, nA, nB),
    pairsQuality: found.length === 0 ? 0 : trueFound / found.length,
  };
}
