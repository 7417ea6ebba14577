/**
 * Seeded PRNG (SplitMix32 variant of mulberry32) for the broker's LSH bit sampling: the same run
 * seed gives the same bands, so a run can be repeated and audited. Not for anything secret.
 */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Integer in [0, n). */
export function randomIndex(rand: () => number, n: number): number {
  return Math.floor(rand() * n);
}
