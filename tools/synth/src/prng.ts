import { createHash } from 'node:crypto';
import { sfc32 } from '@blindlink/broker/prng';

/**
 * Seeded pseudo-random generator: sfc32 steps (from @blindlink/broker/prng), seeded here.
 * Math.random is never used: the same seed must give byte-identical output on every machine.
 *
 * sfc32 rather than the project's default seededRandom (mulberry32) on purpose: the generator draws
 * from independent streams derived from a seed string and a label (one per agency, so a subset of
 * agencies writes the same files), and every synthetic dataset, test expectation and measured figure
 * depends on this exact sequence; another algorithm would change them all.
 */
export class Prng {
  private readonly step: () => number;

  private constructor(a: number, b: number, c: number, d: number) {
    this.step = sfc32(a, b, c, d);
    // Discard the first outputs so that similar seeds diverge fully.
    for (let i = 0; i < 12; i++) this.step();
  }

  /** A stream derived from a seed string and a label; distinct labels give independent streams. */
  static fromSeed(seed: string, label = ''): Prng {
    const h = createHash('sha256').update('blindlink-synth\0').update(seed).update('\0').update(label).digest();
    return new Prng(h.readUInt32LE(0), h.readUInt32LE(4), h.readUInt32LE(8), h.readUInt32LE(12));
  }

  nextUint32(): number {
    return this.step();
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
