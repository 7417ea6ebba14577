/**
 * The distribution of a fitted model's match weights over its candidate pairs: the patterns it was
 * fitted on carry every candidate pair's comparison levels with counts, so the histogram is exact
 * for the main model (before the household test and the residual pass) and holds counts only.
 */
import type { ScoringModel } from './model.js';
import { patternWeights } from './threshold.js';

export interface WeightBin {
  /** Match weights (log2 odds) in [from, to). */
  from: number;
  to: number;
  pairs: number;
}

export interface WeightHistogram {
  binWidth: number;
  bins: WeightBin[];
  totalPairs: number;
}

/** Bins one log2 unit wide (wider when the range would need more than `maxBins`), edges on whole numbers. */
export function weightHistogram(model: ScoringModel, maxBins = 60): WeightHistogram {
  const w = patternWeights(model);
  const counts = model.patterns.counts;
  // A loop, not Math.min(...): a model may hold more distinct patterns than a call takes arguments.
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const x of w)
    if (Number.isFinite(x)) {
      min = Math.min(min, x);
      max = Math.max(max, x);
    }
  if (min > max) return { binWidth: 1, bins: [], totalPairs: 0 };
  const lo = Math.floor(min);
  const hi = Math.floor(max) + 1;
  const binWidth = Math.max(1, Math.ceil((hi - lo) / maxBins));
  const n = Math.ceil((hi - lo) / binWidth);
  const bins = Array.from({ length: n }, (_, k) => ({
    from: lo + k * binWidth,
    to: lo + (k + 1) * binWidth,
    pairs: 0,
  }));
  let totalPairs = 0;
  for (let j = 0; j < w.length; j++) {
    if (!Number.isFinite(w[j]!)) continue;
    bins[Math.min(n - 1, Math.floor((w[j]! - lo) / binWidth))]!.pairs += counts[j]!;
    totalPairs += counts[j]!;
  }
  return { binWidth, bins, totalPairs };
}
