import { createHash } from 'node:crypto';

/**
 * Seeded pseudo-random generator (sfc32, PractRand-clean, 32-bit ops only).
 * Math.random is never used: the same seed must give byte-identical output on every machine.
 *
 * Separate from the project's seededRandom (@blindlink/broker/prng, mulberry32) on purpose: the
 * generator draws from independent streams derived from a seed string and a label (one per agency,
 * so a subset of agencies writes the same files), and every synthetic dataset, test expectation and
 * measured figure depends on this exact sequence; another algorithm would change them all.
 */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  private constructor(a: number, b: number, c: number, d: number) {
    this.a = a >>> 0;
    this.b = b >>> 0;
    this.c = c >>> 0;
    this.d = d >>> 0;
    // Discard the first outputs so that similar seeds diverge fully.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** A stream derived from a seed string and a label; distinct labels give independent streams. */
  static fromSeed(seed: string, label = ''): Prng {
    const h = createHash('sha256').update('blindlink-synth\0').update(seed).update('\0').update(label).digest();
    return new Prng(h.readUInt32LE(0), h.readUInt32LE(4), h.readUInt32LE(8), h.readUInt32LE(12));
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [lo, hi] inclusive. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)] as T;
  }

  /** Standard normal (Box-Muller). */
  normal(mean = 0, sd = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Index chosen with probability proportional to weights. */
  weightedIndex(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i] as number;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }
}

/** A list sampled with precomputed cumulative weights (binary search), for hot paths. */
export class WeightedList<T> {
  readonly items: readonly T[];
  private readonly cum: Float64Array;

  constructor(items: readonly T[], weights: readonly number[]) {
    if (items.length === 0 || items.length !== weights.length)
      throw new Error('WeightedList needs one weight per item');
    this.items = items;
    this.cum = new Float64Array(items.length);
    let acc = 0;
    for (let i = 0; i < items.length; i++) {
      acc += weights[i] as number;
      this.cum[i] = acc;
    }
  }

  /** Popularity falls with rank (Zipf-like), as real name frequencies do. */
  static zipf<T>(items: readonly T[], exponent = 0.9, offset = 2): WeightedList<T> {
    return new WeightedList(
      items,
      items.map((_, i) => 1 / (i + offset) ** exponent),
    );
  }

  pick(rng: Prng): T {
    const total = this.cum[this.cum.length - 1] as number;
    const r = rng.next() * total;
    let lo = 0;
    let hi = this.cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.cum[mid] as number) > r) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo] as T;
  }
}
