/** Scored candidate pairs as the scoring stage hands them over, and the checks every stage applies. */

/**
 * Parallel arrays: pair k links global records a[k] and b[k] with match weight weight[k] (higher = more likely one
 * person).
 */
export interface ScoredPairs {
  a: Uint32Array;
  b: Uint32Array;
  weight: Float32Array;
}

/** Marks "no value" in Uint32 per-record or per-entity arrays. */
export const NONE = 0xffffffff;

export function assertPairs(pairs: ScoredPairs, recordCount: number, what = 'pairs'): void {
  const n = pairs.a.length;
  if (pairs.b.length !== n || pairs.weight.length !== n) {
    throw new RangeError(
      `${what}: a, b and weight must have one length; got ${n}, ${pairs.b.length}, ${pairs.weight.length}`,
    );
  }
  for (let k = 0; k < n; k++) {
    const a = pairs.a[k] as number;
    const b = pairs.b[k] as number;
    if (a >= recordCount || b >= recordCount) {
      throw new RangeError(`${what}: pair ${k} (${a}, ${b}) is out of range for ${recordCount} records`);
    }
  }
}

/**
 * The pairs that can link: weight at or above the threshold (NaN never is), no self-pairs, with the
 * smaller record index first so that the tie order later depends only on the pair, not on how the
 * scoring stage oriented it. Weights are float32, so the threshold is compared after the same
 * rounding: a score the kernel accepted in f64 (≥ t) stays accepted once rounded (rounding is monotone).
 */
export function pairsAtOrAbove(pairs: ScoredPairs, threshold: number): ScoredPairs {
  threshold = Math.fround(threshold);
  const n = pairs.a.length;
  let kept = 0;
  for (let k = 0; k < n; k++) {
    if ((pairs.weight[k] as number) >= threshold && pairs.a[k] !== pairs.b[k]) kept++;
  }
  const a = new Uint32Array(kept);
  const b = new Uint32Array(kept);
  const weight = new Float32Array(kept);
  let j = 0;
  for (let k = 0; k < n; k++) {
    const w = pairs.weight[k] as number;
    const x = pairs.a[k] as number;
    const y = pairs.b[k] as number;
    if (!(w >= threshold) || x === y) continue;
    a[j] = Math.min(x, y);
    b[j] = Math.max(x, y);
    weight[j] = w;
    j++;
  }
  return { a, b, weight };
}

export function concatPairs(parts: readonly ScoredPairs[]): ScoredPairs {
  let n = 0;
  for (const p of parts) n += p.a.length;
  const out: ScoredPairs = { a: new Uint32Array(n), b: new Uint32Array(n), weight: new Float32Array(n) };
  let at = 0;
  for (const p of parts) {
    out.a.set(p.a, at);
    out.b.set(p.b, at);
    out.weight.set(p.weight, at);
    at += p.a.length;
  }
  return out;
}
