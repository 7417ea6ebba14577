/**
 * Which bit positions of the encodings are worth sampling for LSH. A bit set in nearly every
 * record (or in none) agrees between unrelated records about as often as between matches, so it
 * only makes buckets larger. Agreement between unrelated records at a bit set with frequency f is
 * f² + (1 − f)², lowest at f = ½; we keep the positions closest to ½.
 *
 * Positions are in the FilterSet's word layout: p = 32·w + s is bit s of u32 word w. Frequencies
 * are estimated on an evenly spaced sample of records (exact for small sets).
 */
import type { FilterView } from '../kernel/filter-set.js';

export const FREQUENCY_SAMPLE = 20_000;

/** Serialised bit index (bit 7 − j mod 8 of byte ⌊j/8⌋) of word-layout position p. */
export function serialBitOf(p: number): number {
  const w = p >>> 5;
  const s = p & 31;
  const byte = w * 4 + (s >>> 3);
  return byte * 8 + 7 - (s & 7);
}

/**
 * Per set of filters and stride: how many sampled non-empty records set each position, and how many
 * were sampled. A run's partitions draw their LSH plans from the same sources again and again (each
 * source is in every partition with another), and a source's counts at one stride do not depend on
 * the other source, so they are counted once. Keyed by the filters' words: a FilterSet is filled
 * once and then only read.
 */
const setCounts = new WeakMap<Uint32Array, Map<number, { counts: Float64Array; seen: number }>>();

function countsOf(set: FilterView, stride: number): { counts: Float64Array; seen: number } {
  let byStride = setCounts.get(set.words);
  const kept = byStride?.get(stride);
  if (kept) return kept;
  const words = set.words64 * 2;
  const counts = new Float64Array(words * 32);
  let seen = 0;
  for (let i = 0; i < set.count; i += stride) {
    if (set.pops[i] === 0) continue;
    seen++;
    const base = i * words;
    for (let w = 0; w < words; w++) {
      let x = set.words[base + w] as number;
      while (x !== 0) {
        const low = x & -x;
        (counts[w * 32 + (31 - Math.clz32(low))] as number)++;
        x ^= low;
      }
    }
  }
  if (!byStride) {
    byStride = new Map();
    setCounts.set(set.words, byStride);
  }
  const out = { counts, seen };
  byStride.set(stride, out);
  return out;
}

/** Share of (sampled) non-empty records with each word-layout position set; length words64·64. */
export function bitFrequencies(sets: readonly FilterView[], sample = FREQUENCY_SAMPLE): Float64Array {
  const first = sets[0];
  if (!first) throw new RangeError('bitFrequencies: no filter sets');
  const words = first.words64 * 2;
  const counts = new Float64Array(words * 32);
  let seen = 0;
  const total = sets.reduce((n, s) => n + s.count, 0);
  const stride = Math.max(1, Math.floor(total / sample));
  // Whole counts, so summing each set's is exact: the same frequencies as counting them together.
  for (const set of sets) {
    const c = countsOf(set, stride);
    seen += c.seen;
    for (let p = 0; p < counts.length; p++) counts[p] = (counts[p] as number) + (c.counts[p] as number);
  }
  if (seen > 0) for (let p = 0; p < counts.length; p++) counts[p] = (counts[p] as number) / seen;
  return counts;
}

/**
 * The `share` of usable positions whose frequency is closest to ½, as word-layout positions.
 * Usable: inside the filter length and set in more than 1% and fewer than 99% of records; if that
 * leaves fewer than `atLeast` positions, every position inside the filter length is usable.
 */
export function informativePositions(freq: Float64Array, bits: number, share: number, atLeast: number): Uint32Array {
  if (!(share > 0 && share <= 1)) throw new RangeError(`informative share must be in (0, 1], got ${share}`);
  const inside: number[] = [];
  for (let p = 0; p < freq.length; p++) if (serialBitOf(p) < bits) inside.push(p);
  let usable = inside.filter((p) => {
    const f = freq[p] as number;
    return f > 0.01 && f < 0.99;
  });
  if (usable.length < atLeast) usable = inside;
  const distance = (p: number): number => Math.abs((freq[p] as number) - 0.5);
  usable.sort((x, y) => distance(x) - distance(y) || x - y);
  const keep = Math.min(usable.length, Math.max(atLeast, Math.ceil(share * usable.length)));
  return Uint32Array.from(usable.slice(0, keep)).sort();
}
