/**
 * Attack (b): q-gram pattern mining (after Christen, Ranbaduge, Vatsalan and Schnell, "Precise and
 * fast cryptanalysis for Bloom filter based privacy-preserving record linkage", IEEE TKDE 2019, and
 * "Efficient cryptanalysis of Bloom filters for PPRL", PAKDD 2017). Needs no repeated filters.
 *
 * 1. Mine: a q-gram hashed to k positions sets all k in every filter whose value holds it, so those
 *    positions are set together far more often than chance. From each position pair with the
 *    largest excess co-occurrence (observed − expected under independence), grow the itemset to a
 *    fixed point: take the records with the itemset set, add every position set in nearly all of
 *    them, repeat. The result is one q-gram's positions and the records that hold it.
 * 2. Map itemsets to q-grams: frequency (support against the background's q-gram frequency) and,
 *    more robustly, how each itemset co-occurs with the others against how q-grams co-occur in the
 *    background (P(j|i) against P(h|g)), refined over a few rounds of greedy one-to-one assignment.
 * 3. Decode every distinct filter: which mapped q-grams it holds (all positions set, one may miss
 *    when there are six or more) and which it lacks, against each background value's q-grams, with
 *    the popcount against the value's length as further evidence. Rank the values.
 */
import { andCount, newBitset, popcount32, popcountWords, setItem } from './bits.js';
import { nameTokens } from './background.js';
import { distinctFilters, spread } from './columns.js';
import { mapItemsets, type Itemset } from './qgram-mapping.js';
import { Rng } from './stats.js';
import type { AttackResult, BackgroundValue, FieldColumn } from './types.js';

export interface MiningOptions {
  seed: string;
  /** Records sampled for mining (decoding covers all); default 20,000. */
  sample?: number;
  maxItemsets?: number;
  /** Positions set in more than this share of records never join an itemset (mineItemsets); default 1. */
  maxShare?: number;
  top?: number;
  /** For diagnosis: the mined itemsets, their q-grams and the sampled records. */
  debug?: (d: {
    itemsets: { positions: number[]; support: number; records: Uint32Array; gram: string | null }[];
    sample: number[];
  }) => void;
}

export interface MiningResult extends AttackResult {
  itemsets: number;
  /** Bits per q-gram the attacker inferred (the median itemset size). */
  bitsPerToken: number;
}

export function patternMining(
  column: Pick<FieldColumn, 'filters' | 'bits'>,
  background: readonly BackgroundValue[],
  opts: MiningOptions,
): MiningResult {
  const d = distinctFilters(column.filters, column.bits);
  const m = column.bits;
  const none: MiningResult = {
    guesses: spread(d, [], null),
    confident: new Uint8Array(column.filters.length),
    itemsets: 0,
    bitsPerToken: 0,
  };
  if (d.words.length === 0 || background.length === 0 || m > 2048) return none;

  const sample = samplePositionColumns(d, m, opts);
  const itemsets = mineItemsets(sample, m, opts.maxItemsets ?? 160, opts.maxShare ?? 1);
  // One q-gram sets k positions (fewer when two of its hashes collide): the commonest itemset size.
  // Smaller itemsets are fragments of several q-grams, larger ones q-grams that always co-occur.
  const k = mode(itemsets.map((it) => it.positions.length));
  const kept = itemsets.filter((it) => it.positions.length >= k - 1 && it.positions.length <= k + 2);
  if (kept.length === 0) return { ...none, bitsPerToken: k };

  const assignment = mapItemsets(kept, sample.size, background);
  opts.debug?.({
    itemsets: kept.map((it, i) => ({ ...it, gram: assignment[i]! })),
    sample: sample.records,
  });
  const perDistinct = decodeFilters(d, kept, assignment, background, m, k, opts.top ?? 10);
  const guesses = spread(
    d,
    perDistinct.map((h) => h.guesses),
    null,
  );
  const confident = Uint8Array.from(
    spread(
      d,
      perDistinct.map((h) => (h.confident ? 1 : 0)),
      0,
    ),
  );
  return { guesses, confident, itemsets: kept.length, bitsPerToken: k };
}

type Distinct = ReturnType<typeof distinctFilters>;

/** The sampled records as one bit column per filter position (a bitset over the sample). */
export interface PositionColumns {
  /** Records sampled, in sample order. */
  records: number[];
  size: number;
  cols: Uint32Array[];
}

/** Sample records (a seeded partial shuffle of those with a filter) and build one bit column per position. */
export function samplePositionColumns(
  d: Distinct,
  m: number,
  opts: Pick<MiningOptions, 'seed' | 'sample'>,
): PositionColumns {
  const present: number[] = [];
  d.ofRecord.forEach((x, r) => {
    if (x >= 0) present.push(r);
  });
  const rng = new Rng(`${opts.seed}:mining`);
  const S = Math.min(present.length, opts.sample ?? 20_000);
  for (let i = 0; i < S; i++) {
    const j = i + rng.int(present.length - i);
    [present[i], present[j]] = [present[j]!, present[i]!];
  }
  const sampleFilters = present.slice(0, S).map((r) => d.ofRecord[r]!);
  const cols: Uint32Array[] = Array.from({ length: m }, () => newBitset(S));
  sampleFilters.forEach((f, j) => {
    const w = d.words[f]!;
    for (let p = 0; p < m; p++) if (w[p >>> 5]! & (0x80000000 >>> (p & 31))) setItem(cols[p]!, j);
  });
  return { records: present.slice(0, S), size: S, cols };
}

/**
 * Grow itemsets to a fixed point from the most over-represented position pairs, in rounds. Positions
 * set in more than `maxShare` of the records are never added: set nearly everywhere, they say nothing
 * (a date's leading "1" and "9"), and would glue every itemset to them.
 */
export function mineItemsets(
  { size: S, cols }: PositionColumns,
  m: number,
  maxItemsets: number,
  maxShare = 1,
): Itemset[] {
  const minSupport = Math.max(5, Math.ceil(0.002 * S));
  const common = cols.map((c) => popcountWords(c) > maxShare * S);
  const explained = new Uint8Array(m * m);
  const itemsets: Itemset[] = [];
  const withAll = (positions: number[]): Uint32Array => {
    // Records with all positions set; one may miss when there are six or more (noise tolerance).
    const out = newBitset(S);
    if (positions.length > 255) return withAllCounted(positions, cols, S, out);
    // Word-parallel: `once` has a bit for a record missing one position so far, `twice` for two or more.
    // Bits past S are unset in every column, so they count as missing and never come out.
    const slack = positions.length >= 6;
    for (let w = 0; w < out.length; w++) {
      let once = 0;
      let twice = 0;
      for (const p of positions) {
        const miss = ~cols[p]![w]!;
        twice |= once & miss;
        once |= miss;
      }
      out[w] = slack ? ~twice : ~once;
    }
    return out;
  };
  let sizeLimit = 48;
  // Each round seeds from the bits not yet explained by an itemset the record holds, so that the
  // frequent q-grams found first stop masking the rarer ones (Christen et al.'s partitioning, soft).
  let seedCols = cols;
  for (let round = 0; round < 4 && itemsets.length < maxItemsets; round++) {
    // A round looks at no more than 3 × maxItemsets + 1 seeds (the attempts check below).
    const pairs = seedPairs(seedCols, S, m, 3 * maxItemsets + 1);
    let attempts = 0;
    let sinceLast = 0;
    const before = itemsets.length;
    for (const { p, q } of pairs) {
      // A round ends when seeds stop yielding itemsets: the rest are fragments of known ones.
      if (itemsets.length >= maxItemsets || attempts++ > 3 * maxItemsets || sinceLast > 80) break;
      if (explained[p * m + q]) continue;
      sinceLast++;
      let positions = [p, q];
      let R: Uint32Array = new Uint32Array(seedCols[p]!.length);
      for (let w = 0; w < R.length; w++) R[w] = seedCols[p]![w]! & seedCols[q]![w]!;
      for (let iter = 0; iter < 8; iter++) {
        const n = popcountWords(R);
        if (n < minSupport) break;
        const tau = Math.min(0.9, 0.6 + 0.15 * iter);
        const next: number[] = [];
        for (let r = 0; r < m; r++)
          if (r === p || r === q || (!common[r] && andCount(R, cols[r]!) >= tau * n)) next.push(r);
        const same = next.length === positions.length && next.every((x, i) => x === positions[i]);
        positions = next;
        R = withAll(positions);
        if (same && iter > 1) break;
      }
      // Whatever it grew into, its pairs are accounted for: later seeds look elsewhere.
      explained[p * m + q] = 1;
      for (const a of positions) for (const b of positions) if (a < b) explained[a * m + b] = 1;
      const support = popcountWords(R);
      if (support < minSupport || positions.length < 3 || positions.length > sizeLimit) continue;
      if (itemsets.some((it) => jaccard(it.positions, positions) >= 0.5)) continue;
      itemsets.push({ positions, records: R, support: support / S });
      sinceLast = 0;
      // Once a few itemsets are known, anything far bigger than a q-gram is a whole frequent value.
      if (itemsets.length === 10) sizeLimit = Math.ceil(2 * median(itemsets.map((it) => it.positions.length)));
    }
    if (itemsets.length === before) break;
    seedCols = unexplainedColumns(cols, itemsets, sizeLimit);
  }
  return itemsets;
}

/**
 * withAll for more than 255 positions, as first written: a byte counter per record, which wraps (a
 * record holding all 256 counts 0). Kept so that reports stay what they were; the case is a whole
 * frequent value's positions or noise, which the size limit then drops anyway.
 */
function withAllCounted(positions: readonly number[], cols: readonly Uint32Array[], S: number, out: Uint32Array) {
  const slack = positions.length >= 6 ? 1 : 0;
  const counter = new Uint8Array(S);
  for (const p of positions) {
    const c = cols[p]!;
    for (let j = 0; j < S; j++) if (c[j >>> 5]! & (1 << (j & 31))) counter[j]!++;
  }
  for (let j = 0; j < S; j++) if (counter[j]! >= positions.length - slack) setItem(out, j);
  return out;
}

/**
 * The `limit` position pairs set together most often beyond what independence predicts, largest
 * excess first (ties in (p, q) order). On a small sample nearly every pair clears the 0.001 floor
 * (hundreds of thousands of pairs), so they are kept in a bounded heap, not all sorted.
 */
export function seedPairs(seedCols: Uint32Array[], S: number, m: number, limit: number): { p: number; q: number }[] {
  const seedFreq = seedCols.map((c) => popcountWords(c) / S);
  // A min-heap of the best pairs so far: the worst (smallest excess, then latest) at the root.
  const hp = new Uint32Array(limit);
  const hq = new Uint32Array(limit);
  const he = new Float64Array(limit);
  const hi = new Float64Array(limit);
  let n = 0;
  let seen = 0;
  const worse = (a: number, b: number) => he[a]! < he[b]! || (he[a] === he[b] && hi[a]! > hi[b]!);
  const swap = (a: number, b: number) => {
    [hp[a], hp[b]] = [hp[b]!, hp[a]!];
    [hq[a], hq[b]] = [hq[b]!, hq[a]!];
    [he[a], he[b]] = [he[b]!, he[a]!];
    [hi[a], hi[b]] = [hi[b]!, hi[a]!];
  };
  for (let p = 0; p < m && limit > 0; p++) {
    if (seedFreq[p] === 0) continue;
    for (let q = p + 1; q < m; q++) {
      // The excess is at most min(f_p, f_q) − f_p·f_q (computed as below, so in floating point too):
      // a pair that cannot beat the heap's worst is not counted, nor a row whose f_p cannot.
      if (n === limit) {
        if (!(seedFreq[p]! > he[0]!)) break;
        if (!(Math.min(seedFreq[p]!, seedFreq[q]!) - seedFreq[p]! * seedFreq[q]! > he[0]!)) continue;
      }
      const e = andCount(seedCols[p]!, seedCols[q]!) / S - seedFreq[p]! * seedFreq[q]!;
      if (!(e > 0.001)) continue;
      const order = seen++;
      // A later pair with an equal excess ranks after every earlier one: it never displaces the root.
      if (n === limit && !(e > he[0]!)) continue;
      let at: number;
      if (n < limit) {
        at = n++;
        [hp[at], hq[at], he[at], hi[at]] = [p, q, e, order];
        while (at > 0 && worse(at, (at - 1) >> 1)) {
          swap(at, (at - 1) >> 1);
          at = (at - 1) >> 1;
        }
      } else {
        [hp[0], hq[0], he[0], hi[0]] = [p, q, e, order];
        at = 0;
        for (;;) {
          const l = 2 * at + 1;
          if (l >= n) break;
          const c = l + 1 < n && worse(l + 1, l) ? l + 1 : l;
          if (!worse(c, at)) break;
          swap(c, at);
          at = c;
        }
      }
    }
  }
  return Array.from({ length: n }, (_, i) => i)
    .sort((a, b) => he[b]! - he[a]! || hi[a]! - hi[b]!)
    .map((i) => ({ p: hp[i]!, q: hq[i]! }));
}

/** Unexplained bits: set, and not a position of any (q-gram-sized) itemset the record holds. */
function unexplainedColumns(cols: Uint32Array[], itemsets: readonly Itemset[], sizeLimit: number): Uint32Array[] {
  const seedCols = cols.map((c) => Uint32Array.from(c));
  for (const it of itemsets) {
    if (it.positions.length > sizeLimit) continue;
    for (const p of it.positions) for (let w = 0; w < it.records.length; w++) seedCols[p]![w]! &= ~it.records[w]!;
  }
  return seedCols;
}

/**
 * Decode every distinct filter: which mapped q-grams it holds and lacks against each background
 * value's q-grams, with the popcount against the value's length as further evidence when filters
 * differ in weight. The `top` values, best first, and whether the best stands out.
 */
function decodeFilters(
  d: Distinct,
  kept: readonly Itemset[],
  assignment: readonly (string | null)[],
  background: readonly BackgroundValue[],
  m: number,
  k: number,
  top: number,
): { guesses: string[]; confident: boolean }[] {
  const I = kept.length;
  const words = Math.ceil(I / 32);
  const valueVectors = background.map((v) => {
    const tokens = new Set(nameTokens(v.value));
    const t = new Uint32Array(words);
    assignment.forEach((g, i) => {
      if (g !== null && tokens.has(g)) t[i >>> 5]! |= 1 << (i & 31);
    });
    return { value: v.value, t, tokens: tokens.size, prior: Math.log(v.count) };
  });
  const pops = Array.from(d.pops);
  const meanPop = pops.reduce((a, b) => a + b, 0) / pops.length;
  const popSd = Math.sqrt(pops.reduce((a, b) => a + (b - meanPop) ** 2, 0) / pops.length);
  // Balanced filters all have the same weight: their popcount tells nothing about length.
  const usePop = popSd > 1;
  const cache = new Map<string, { guesses: string[]; confident: boolean }>();
  return d.words.map((w, di) => {
    const c = new Uint32Array(words);
    kept.forEach((it, i) => {
      if (assignment[i] === null) return;
      let set = 0;
      for (const p of it.positions) if (w[p >>> 5]! & (0x80000000 >>> (p & 31))) set++;
      if (set >= it.positions.length - (it.positions.length >= 6 ? 1 : 0)) c[i >>> 5]! |= 1 << (i & 31);
    });
    const pop = d.pops[di]!;
    const key = `${c.join(',')}|${usePop ? pop : 0}`;
    let hit = cache.get(key);
    if (!hit) {
      const scored = valueVectors.map((v) => {
        let agree = 0;
        let missing = 0;
        let extra = 0;
        for (let x = 0; x < words; x++) {
          agree += popcount32(v.t[x]! & c[x]!);
          missing += popcount32(v.t[x]! & ~c[x]!);
          extra += popcount32(c[x]! & ~v.t[x]!);
        }
        let s = 2 * agree - 2 * missing - extra + 0.01 * v.prior;
        if (usePop) {
          const expected = m * (1 - Math.exp((-k * v.tokens) / m));
          s -= (0.5 * Math.abs(pop - expected)) / Math.sqrt(expected);
        }
        return { value: v.value, s };
      });
      const best = topK(scored, top);
      hit = {
        guesses: best.map((b) => b.value),
        confident: best.length > 0 && (best.length === 1 || best[0]!.s - best[1]!.s >= 1),
      };
      cache.set(key, hit);
    }
    return hit;
  });
}

function jaccard(a: readonly number[], b: readonly number[]): number {
  const s = new Set(a);
  let inter = 0;
  for (const x of b) if (s.has(x)) inter++;
  return inter / (a.length + b.length - inter);
}

function mode(xs: number[]): number {
  const c = new Map<number, number>();
  for (const x of xs) c.set(x, (c.get(x) ?? 0) + 1);
  let best = 0;
  let n = 0;
  for (const [x, k] of c) if (k > n || (k === n && x > best)) [best, n] = [x, k];
  return best;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** The k highest scores, best first; equal scores keep the background's order (most frequent first). */
export function topK<T extends { s: number }>(xs: readonly T[], k: number): T[] {
  const best: T[] = [];
  for (const x of xs) {
    if (best.length === k && x.s <= best[k - 1]!.s) continue;
    let i = best.length;
    while (i > 0 && best[i - 1]!.s < x.s) i--;
    best.splice(i, 0, x);
    if (best.length > k) best.pop();
  }
  return best;
}
