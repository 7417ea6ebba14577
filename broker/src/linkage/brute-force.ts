/**
 * All-pairs Dice matching for the foundation path: correct and simple, O(n·m). The linkage engine
 * replaces it for large inputs; this stays as the reference the engine is tested against.
 */

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

function words(bytes: Uint8Array): Uint32Array {
  const out = new Uint32Array(Math.ceil(bytes.length / 4));
  for (let i = 0; i < bytes.length; i++) out[i >>> 2]! |= bytes[i]! << ((i & 3) * 8);
  return out;
}

function count(w: Uint32Array): number {
  let c = 0;
  for (let i = 0; i < w.length; i++) c += popcount32(w[i]!);
  return c;
}

/** Dice coefficient 2|A∧B| / (|A|+|B|); two empty filters score 0 (nothing links on no evidence). */
export function dice(a: Uint8Array, b: Uint8Array): number {
  const wa = words(a);
  const wb = words(b);
  const pa = count(wa);
  const pb = count(wb);
  if (pa + pb === 0) return 0;
  let both = 0;
  for (let i = 0; i < wa.length; i++) both += popcount32(wa[i]! & (wb[i] ?? 0));
  return (2 * both) / (pa + pb);
}

export interface Match {
  left: number;
  right: number;
  score: number;
}

/** Every pair (i, j) with Dice(left[i], right[j]) ≥ threshold. */
export function matchAllPairs(left: Uint8Array[], right: Uint8Array[], threshold: number): Match[] {
  const lw = left.map(words);
  const rw = right.map(words);
  const lc = lw.map(count);
  const rc = rw.map(count);
  const out: Match[] = [];
  for (let i = 0; i < lw.length; i++) {
    const a = lw[i]!;
    for (let j = 0; j < rw.length; j++) {
      const total = lc[i]! + rc[j]!;
      // Popcount bound: even full overlap of the smaller filter cannot reach the threshold.
      if (total === 0 || (2 * Math.min(lc[i]!, rc[j]!)) / total < threshold) continue;
      const b = rw[j]!;
      let both = 0;
      for (let k = 0; k < a.length; k++) both += popcount32(a[k]! & b[k]!);
      const score = (2 * both) / total;
      if (score >= threshold) out.push({ left: i, right: j, score });
    }
  }
  return out;
}
