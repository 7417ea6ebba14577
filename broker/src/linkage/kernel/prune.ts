/**
 * Popcount-bound pruning. For filters with popcounts pa and pb, |A∧B| ≤ min(pa, pb), so
 * Dice ≤ 2·min(pa, pb) / (pa + pb). For a threshold t in (0, 1] a pair can only qualify when
 *   t·pa / (2 − t) ≤ pb ≤ pa·(2 − t) / t.
 * The bounds are computed in floating point and then widened by one on each side, so rounding can
 * never exclude a qualifying pair (the exact Dice test still decides every pair that is scanned):
 * the Dice bound changes by at least 1/(2·(pa+pb)) per unit of pb, far above f64 rounding.
 */

/** Upper end used when no upper bound applies (fits a u32 slot in the kernel's memory). */
export const NO_UPPER_BOUND = 0xffffffff;

export interface PopcountBounds {
  /** Smallest admissible popcount of the other filter (inclusive). */
  min: number;
  /** Largest admissible popcount of the other filter (inclusive); min > max means none. */
  max: number;
}

/** Range of partner popcounts that can reach Dice ≥ t against a filter of popcount pa. */
export function popcountBounds(pa: number, t: number): PopcountBounds {
  if (t <= 0) return { min: 0, max: NO_UPPER_BOUND }; // every pair qualifies, even two empty filters
  if (t > 1 || pa === 0) return { min: 1, max: 0 }; // Dice never exceeds 1; Dice with an empty filter is 0
  const min = Math.max(0, Math.floor((t * pa) / (2 - t)) - 1);
  const max = Math.min(NO_UPPER_BOUND, Math.ceil((pa * (2 - t)) / t) + 1);
  return { min, max };
}

/** B's filters ordered by popcount (stable), with the popcounts in that order. */
export interface PopcountOrder {
  /** order[k] = original index of the k-th filter by ascending popcount (ties by index). */
  order: Uint32Array;
  /** pops[k] = popcount of filter order[k]; non-decreasing. */
  pops: Uint32Array;
}

/** Counting sort by popcount: O(n + bits), stable, so the order is fully deterministic. */
export function sortByPopcount(pops: Uint32Array, bits: number): PopcountOrder {
  const starts = new Uint32Array(bits + 2);
  for (const p of pops) starts[p + 1] = (starts[p + 1] as number) + 1;
  for (let p = 1; p < starts.length; p++) starts[p] = (starts[p] as number) + (starts[p - 1] as number);
  const order = new Uint32Array(pops.length);
  const sorted = new Uint32Array(pops.length);
  for (let j = 0; j < pops.length; j++) {
    const p = pops[j] as number;
    const k = starts[p] as number;
    starts[p] = k + 1;
    order[k] = j;
    sorted[k] = p;
  }
  return { order, pops: sorted };
}

/** First index k in the non-decreasing `pops` with pops[k] >= value. */
export function lowerBound(pops: Uint32Array, value: number): number {
  let lo = 0;
  let hi = pops.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((pops[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index range [from, to) of sorted partners whose popcount lies within the bounds. */
export function admissibleRange(sortedPops: Uint32Array, bounds: PopcountBounds): { from: number; to: number } {
  if (bounds.min > bounds.max) return { from: 0, to: 0 };
  const from = lowerBound(sortedPops, bounds.min);
  const to = bounds.max >= NO_UPPER_BOUND ? sortedPops.length : lowerBound(sortedPops, bounds.max + 1);
  return { from, to: Math.max(from, to) };
}
