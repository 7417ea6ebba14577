/**
 * The project's one seeded PRNG (mulberry32): the broker's LSH bit sampling draws from it, so the
 * same run seed gives the same bands and a run can be repeated and audited; tests and benches draw
 * from it too (`@blindlink/broker/prng`), so a failing generated case replays from its seed. Not for
 * anything secret. The synthetic generator keeps its own sfc32 streams (tools/synth/src/prng.ts).
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
