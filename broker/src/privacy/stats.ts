/** Small statistics for the report: Wilson intervals, a seeded PRNG, percentile intervals. */

import { sfc32 } from '../prng.js';

export interface Rate {
  /** Successes and trials: measured on records whose truth is known. */
  k: number;
  n: number;
  rate: number;
  /** 95% interval. */
  lo: number;
  hi: number;
}

/** A proportion with its 95% Wilson score interval (good at rates near 0 and 1, unlike Wald). */
export function wilson(k: number, n: number, z = 1.959963984540054): Rate {
  if (n === 0) return { k, n, rate: 0, lo: 0, hi: 0 };
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return { k, n, rate: p, lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) };
}

/** sfc32 seeded from a string: reproducible samples, so the same inputs give the same report. */
export class Rng {
  private readonly step: () => number;

  constructor(seed: string) {
    let h = 1779033703 ^ seed.length;
    for (let i = 0; i < seed.length; i++) {
      h = Math.imul(h ^ seed.charCodeAt(i), 3432918353);
      h = (h << 13) | (h >>> 19);
    }
    const next = (): number => {
      h = Math.imul(h ^ (h >>> 16), 2246822507);
      h = Math.imul(h ^ (h >>> 13), 3266489909);
      h ^= h >>> 16;
      return h >>> 0;
    };
    const a = next();
    const b = next();
    const c = next();
    this.step = sfc32(a, b, c, 1);
    for (let i = 0; i < 12; i++) this.step();
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.step() / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** Sampling from a discrete distribution in O(log n) per draw. */
export class Sampler {
  private readonly cum: Float64Array;

  constructor(weights: readonly number[]) {
    this.cum = new Float64Array(weights.length);
    let s = 0;
    for (let i = 0; i < weights.length; i++) {
      s += weights[i]!;
      this.cum[i] = s;
    }
  }

  draw(rng: Rng): number {
    const x = rng.next() * this.cum[this.cum.length - 1]!;
    let lo = 0;
    let hi = this.cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cum[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** Mean and 2.5–97.5 percentile interval of repeated simulation outcomes. */
export function percentileInterval(xs: readonly number[]): { mean: number; lo: number; hi: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))] ?? 0;
  return { mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length), lo: at(0.025), hi: at(0.975) };
}
