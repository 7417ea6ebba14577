/**
 * The project's seeded generators, each in one place. None is for anything secret; they exist so a
 * run, a report, a dataset or a failing test replays from its seed. Several algorithms remain because
 * published figures, fitted models and synthetic datasets were made with each exact sequence; a
 * generator is kept only while a stream depends on it. Seeding (from strings, hashes, labels) stays
 * with each user; only the steps live here. All arithmetic is 32-bit, so every machine agrees.
 */

/**
 * mulberry32 in [0, 1): the default for new code. Broker LSH bit sampling (a run seed gives the same
 * bands, so a run can be audited), test and bench data (`@blindlink/broker/prng`).
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

/**
 * sfc32 from four 32-bit words, giving unsigned 32-bit words: the synthetic datasets
 * (tools/synth Prng) and the privacy report's simulations (privacy/stats.ts Rng) draw from it.
 */
export function sfc32(a: number, b: number, c: number, d: number): () => number {
  a |= 0;
  b |= 0;
  c |= 0;
  d |= 0;
  return () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
}

/** xorshift32 (13, 17, 5), unsigned 32-bit words: the random pairs that fit-scoring's u estimates come from. */
export function xorshift32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** xorshift128 from four 32-bit words, unsigned words: bench-blocking's synthetic million (published figures). */
export function xorshift128(x: number, y: number, z: number, w: number): () => number {
  return () => {
    const t = x ^ (x << 11);
    x = y;
    y = z;
    z = w;
    w = (w ^ (w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    return w;
  };
}

/** LCG s' = 1103515245 s + 12345 mod 2^32, unsigned words: fixed test inputs (perturbed background, fuzzed text). */
export function lcg32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s;
  };
}

/**
 * The same LCG computed in doubles, so the product rounds before the wrap and the sequence departs
 * from lcg32 after the first step: the test uploads' random CLKs (tests/helpers/in-process.ts).
 */
export function lcg32Rounded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s;
  };
}
