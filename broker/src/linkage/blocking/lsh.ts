/**
 * Hamming LSH on the Bloom-filter encodings, computed at the broker. Each of `bands` tables keys a
 * record by `rows` bit positions sampled (seeded) from the informative positions; two records are
 * candidates if they agree on every sampled bit of at least one band. If a pair agrees on a share
 * s of the sampled positions, it becomes a candidate with probability 1 − (1 − s^rows)^bands.
 *
 * Defaults, tuned on FEBRL 4 with clkhash's 1024-bit CLKs (about 68% of bits set): matching pairs
 * agree on ~90% of informative bits (median; the worst 1% on under 75%), unrelated pairs on ~52%.
 * With rows = 24, bands = 200: s = 0.90 → 1 − (1 − 0.080)^200 ≈ 1 − 6·10⁻⁸, s = 0.85 → 0.98,
 * s = 0.80 → 0.61, s = 0.75 → 0.18, while s = 0.52 → 200 · 1.5·10⁻⁷ ≈ 3·10⁻⁵ per unrelated pair
 * (measured on FEBRL 4: LSH alone finds 90% of the true pairs with ~8,700 candidates, more than
 * independence predicts as records there are correlated; 120 bands found 88% and left the combined pair
 * completeness at 0.9988–0.9994 depending on the seed, 200 bands 0.9992–0.9998). Matches whose
 * encodings differ more (swapped names, several typos) are what the agencies' blocking tokens are
 * for; the two are combined in `blockPairs`. Unrelated collisions grow with the other side's size
 * N (about bands · ū^rows · N per record, ū the mean agreement of unrelated records on a sampled
 * bit), so by default rows rise above 24 for large inputs to keep that near one per record.
 *
 * Each band takes its positions from two 32-bit words of the filter, so a record's band key is
 * two masked word loads — exact, and a few operations instead of `rows` single-bit extractions.
 * Bloom-filter bit positions are hash-derived, so neighbouring bits are no more related than
 * distant ones and the collision probability above still holds. Per band, a presence bitmap of
 * each side's keys first discards records whose key the other side lacks (most of them); only
 * the rest are sorted and joined.
 *
 * Keys with every sampled bit zero (empty or near-empty encodings) are skipped, as are buckets
 * with more than `maxBucketSize` records on a side.
 */
import type { FilterView } from '../kernel/filter-set.js';
import { bitFrequencies, informativePositions } from './informative-bits.js';
import { EMPTY_PAIRS, PairCollector } from './pair-collector.js';
import type { PairList } from './pair-collector.js';
import { randomIndex, seededRandom } from '../../prng.js';
import { sortKeyed } from './radix-sort.js';
import { checkMarks } from './touching.js';
import type { TouchingMarks } from './touching.js';

export interface LshOptions {
  /** Number of hash tables (default 200). */
  bands?: number;
  /**
   * Bit positions per table, 1..64, or 'auto' (default): 24, raised for large inputs to
   * ⌈ln(bands · N) / ln(1/ū)⌉ (at most 32), N the larger side, ū from the bit frequencies.
   */
  rows?: number | 'auto';
  /** PRNG seed for the sampled positions (default 0x6c5e1d); use the run's seed. */
  seed?: number;
  /** Buckets with more records than this on either side are skipped (default 200). */
  maxBucketSize?: number;
  /** Share of usable bit positions (those nearest 50% set) to sample from (default 0.8). */
  informativeShare?: number;
  /** Only pairs with a marked record (see touching.ts); bucket sizes still count every record. */
  touching?: TouchingMarks;
  /**
   * The sampled positions of an earlier call (its result's rows and positions), instead of sampling
   * from these records' bit frequencies: a pair is then a candidate or not whatever other records
   * came or went (bucket caps aside). `bands`, `rows`, `seed` and `informativeShare` are ignored.
   */
  plan?: LshPlan;
  /**
   * Draw the plan (rows and positions) but join no band: no pairs (the caller proposes every pair LSH
   * could keep some other way, the exact pass).
   */
  planOnly?: boolean;
}

/** What an lshPairs call sampled: `rows` positions per band, band by band (LshResult.positions). */
export interface LshPlan {
  rows: number;
  positions: Uint32Array;
}

export const LSH_DEFAULTS = Object.freeze({
  bands: 200,
  rows: 24,
  maxAutoRows: 32,
  seed: 0x6c5e1d,
  maxBucketSize: 200,
  informativeShare: 0.8,
});

export interface LshResult {
  pairs: PairList;
  /** Rows per band actually used (resolves 'auto'). */
  rows: number;
  /** Pairs reported over all bands before removing repeats. */
  rawPairs: number;
  skippedBuckets: number;
  skippedPairs: number;
  /** Record keys skipped because every sampled bit was zero (summed over bands). */
  emptyKeys: number;
  /** The sampled word-layout positions (32·word + bit), bands · rows, band by band. */
  positions: Uint32Array;
}

/** Band t samples word[2t] under mask[2t] and word[2t+1] under mask[2t+1]. */
export interface BandPlan {
  bands: number;
  word: Int32Array;
  mask: Uint32Array;
}

/**
 * Sample the bands: for each, two distinct words at random among those with enough informative
 * positions, and ⌈rows/2⌉ and ⌊rows/2⌋ of their informative positions (partial Fisher–Yates).
 */
export function sampleBands(pool: Uint32Array, bands: number, rows: number, seed: number): BandPlan {
  const quota = [Math.ceil(rows / 2), Math.floor(rows / 2)];
  const byWord = new Map<number, number[]>();
  for (const p of pool) {
    const list = byWord.get(p >>> 5) ?? [];
    list.push(p & 31);
    byWord.set(p >>> 5, list);
  }
  const eligible = [...byWord.keys()]
    .filter((w) => (byWord.get(w) as number[]).length >= (quota[0] as number))
    .sort((x, y) => x - y);
  if (eligible.length < 2) {
    throw new RangeError(
      `LSH: ${rows} rows need two filter words with ${quota[0]} informative bits each; the filters have ` +
        `${eligible.length}`,
    );
  }
  const rand = seededRandom(seed);
  const plan: BandPlan = { bands, word: new Int32Array(bands * 2), mask: new Uint32Array(bands * 2) };
  const words = eligible.slice();
  for (let t = 0; t < bands; t++) {
    for (let k = 0; k < 2; k++) {
      const x = k + randomIndex(rand, words.length - k);
      const w = words[x] as number;
      words[x] = words[k] as number;
      words[k] = w;
      const bits = (byWord.get(w) as number[]).slice();
      let mask = 0;
      for (let q = 0; q < (quota[k] as number); q++) {
        const y = q + randomIndex(rand, bits.length - q);
        const b = bits[y] as number;
        bits[y] = bits[q] as number;
        bits[q] = b;
        mask |= 1 << b;
      }
      plan.word[2 * t + k] = w;
      plan.mask[2 * t + k] = mask >>> 0;
    }
  }
  return plan;
}

/** The plan back from its positions (planPositions' inverse, up to the order of a band's two words). */
export function planFromPositions(plan: LshPlan): BandPlan {
  const { rows, positions } = plan;
  if (!Number.isInteger(rows) || rows < 1 || rows > 64 || positions.length % rows !== 0) {
    throw new RangeError(`LSH plan: ${positions.length} positions are not whole bands of ${rows} rows`);
  }
  const bands = positions.length / rows;
  const out: BandPlan = { bands, word: new Int32Array(bands * 2), mask: new Uint32Array(bands * 2) };
  for (let t = 0; t < bands; t++) {
    let used = 0;
    for (let k = t * rows; k < (t + 1) * rows; k++) {
      const w = (positions[k] as number) >>> 5;
      let slot = used > 0 && out.word[2 * t] === w ? 0 : used > 1 && out.word[2 * t + 1] === w ? 1 : -1;
      if (slot < 0) {
        if (used === 2) throw new RangeError(`LSH plan: band ${t} samples more than two filter words`);
        slot = used++;
        out.word[2 * t + slot] = w;
      }
      out.mask[2 * t + slot] = ((out.mask[2 * t + slot] as number) | (1 << ((positions[k] as number) & 31))) >>> 0;
    }
  }
  return out;
}

/** The plan's positions as word-layout bit positions, band by band (ascending within a band). */
export function planPositions(plan: BandPlan): Uint32Array {
  const out: number[] = [];
  for (let t = 0; t < plan.bands; t++) {
    const band: number[] = [];
    for (let k = 2 * t; k < 2 * t + 2; k++) {
      const w = plan.word[k] as number;
      const m = plan.mask[k] as number;
      for (let b = 0; b < 32; b++) if ((m >>> b) & 1) band.push(w * 32 + b);
    }
    out.push(...band.sort((x, y) => x - y));
  }
  return Uint32Array.from(out) as Uint32Array;
}

/** Mean chance that two unrelated records agree on a sampled position: f² + (1 − f)² over the pool. */
export function unrelatedAgreement(freq: Float64Array, pool: Uint32Array): number {
  let sum = 0;
  for (const p of pool) {
    const f = freq[p] as number;
    sum += f * f + (1 - f) * (1 - f);
  }
  return pool.length === 0 ? 1 : sum / pool.length;
}

/** The 'auto' rows: 24, or more when bands · ū^rows · N would exceed one unrelated candidate per record. */
export function autoRows(bands: number, n: number, agreement: number): number {
  if (!(agreement > 0 && agreement < 1) || bands * n <= 1) return LSH_DEFAULTS.rows;
  const need = Math.ceil(Math.log(bands * n) / Math.log(1 / agreement));
  return Math.min(LSH_DEFAULTS.maxAutoRows, Math.max(LSH_DEFAULTS.rows, need));
}

/** Bands whose keys are computed in one pass over the filters: each filter is read once per chunk. */
const MAX_CHUNK_BANDS = 16;
/** Cap on the key scratch of one chunk (u32 entries), 128 MB: 8 bands per pass at 1M × 1M. */
const CHUNK_KEY_BUDGET = 32 << 20;

/**
 * Keys of bands [t0, t0 + k) for every record of `set`: the two masked words of band t0 + u go to
 * out[2·(u·stride + offset + i)] and the next entry; (0, 0) is no key (empty encoding, or every
 * sampled bit zero). Record-major, so each filter's words come from memory once for all k bands.
 * Returns how many keys were (0, 0).
 */
function chunkKeys(
  set: FilterView,
  plan: BandPlan,
  t0: number,
  k: number,
  out: Uint32Array,
  stride: number,
  offset: number,
): number {
  const W = set.words64 * 2;
  const words = set.words;
  const pops = set.pops;
  const planWord = plan.word;
  const planMask = plan.mask;
  let empty = 0;
  for (let i = 0; i < set.count; i++) {
    const base = i * W;
    const live = pops[i] !== 0;
    for (let u = 0; u < k; u++) {
      const q = 2 * (t0 + u);
      const at = 2 * (u * stride + offset + i);
      const x = live ? ((words[base + (planWord[q] as number)] as number) & (planMask[q] as number)) >>> 0 : 0;
      const y = live ? ((words[base + (planWord[q + 1] as number)] as number) & (planMask[q + 1] as number)) >>> 0 : 0;
      if ((x | y) === 0) empty++;
      out[at] = x;
      out[at + 1] = y;
    }
  }
  return empty;
}

/** Bitmap slot of a key (murmur3 finaliser over both words). */
function slot(x: number, y: number, shift: number): number {
  let h = (x ^ Math.imul(y, 0x9e3779b1)) | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) >>> shift;
}

interface BandScratch {
  /** Presence bitmaps over key slots (A and B; or seen once and seen twice within A). */
  seen1: Int32Array;
  seen2: Int32Array;
  /**
   * Restricted joins only (empty otherwise): key slots of marked records, and the records sharing one with their slots.
   */
  seenMarked: Int32Array;
  touched: Uint32Array;
  touchedSlot: Uint32Array;
  /** Unrestricted joins only: each record's key slot in the band at hand (NO_SLOT: no key). */
  slots: Uint32Array;
  shift: number;
  /** Survivors of the bitmap test: key words and record ids (A as i, B as nA + j). */
  k1: Uint32Array;
  k2: Uint32Array;
  ids: Uint32Array;
  /** Sort scratch. */
  perm: Uint32Array;
  sortKey: Uint32Array;
  tmpK: Uint32Array;
  tmpV: Uint32Array;
}

function bandScratch(total: number, marked: boolean): BandScratch {
  // ≥ 16 bits per record: a key absent from the other side passes the bitmap test ≤ 1/16 of the time.
  let logBits = 16;
  while (logBits < 30 && 2 ** logBits < 16 * total) logBits++;
  const arr = (): Uint32Array => new Uint32Array(total);
  return {
    seen1: new Int32Array(2 ** (logBits - 5)),
    seen2: new Int32Array(2 ** (logBits - 5)),
    seenMarked: new Int32Array(marked ? 2 ** (logBits - 5) : 0),
    touched: new Uint32Array(marked ? total : 0),
    touchedSlot: new Uint32Array(marked ? total : 0),
    slots: new Uint32Array(marked ? 0 : total),
    shift: 32 - logBits,
    k1: arr(),
    k2: arr(),
    ids: arr(),
    perm: arr(),
    sortKey: arr(),
    tmpK: arr(),
    tmpV: arr(),
  };
}

interface Tally {
  rawPairs: number;
  skippedBuckets: number;
  skippedPairs: number;
}

/** Note a key slot in the presence bitmaps: per side (A × B), or seen once and seen twice (within A). */
function markSeen(seen1: Int32Array, seen2: Int32Array, h: number, r: number, nA: number, dedup: boolean): void {
  const w = h >>> 5;
  const bit = 1 << (h & 31);
  if (dedup) {
    if ((seen1[w] as number) & bit) seen2[w] = (seen2[w] as number) | bit;
    else seen1[w] = (seen1[w] as number) | bit;
  } else if (r < nA) seen1[w] = (seen1[w] as number) | bit;
  else seen2[w] = (seen2[w] as number) | bit;
}

/** Whether the other side holds the slot too (within A: seen at least twice). */
function otherHas(seen1: Int32Array, seen2: Int32Array, h: number, r: number, nA: number, dedup: boolean): boolean {
  const other = dedup || r < nA ? seen2 : seen1;
  return ((other[h >>> 5] as number) & (1 << (h & 31))) !== 0;
}

/** No key slot: the record's key is (0, 0). Slots are below 2^30. */
const NO_SLOT = 0xffffffff;

/** Survivors of one band: records whose key the other side holds too (into k1, k2, ids). */
function selectAll(row: Uint32Array, nA: number, nB: number, dedup: boolean, sc: BandScratch): number {
  const { seen1, seen2, shift, k1, k2, ids, slots } = sc;
  seen1.fill(0);
  seen2.fill(0);
  const total = nA + nB;
  // Each key's slot is hashed once and kept for the second pass.
  for (let r = 0; r < total; r++) {
    const x = row[2 * r] as number;
    const y = row[2 * r + 1] as number;
    if ((x | y) === 0) {
      slots[r] = NO_SLOT;
      continue;
    }
    const h = slot(x, y, shift);
    slots[r] = h;
    markSeen(seen1, seen2, h, r, nA, dedup);
  }
  let n = 0;
  for (let r = 0; r < total; r++) {
    const h = slots[r] as number;
    if (h === NO_SLOT || !otherHas(seen1, seen2, h, r, nA, dedup)) continue;
    k1[n] = row[2 * r] as number;
    k2[n] = row[2 * r + 1] as number;
    ids[n++] = r;
  }
  return n;
}

/**
 * Survivors of one band of a restricted join: as selectAll, among the records that share a key slot
 * with a marked record. Every record of a bucket that holds a marked one shares its slot (one key,
 * one slot), so bucket sizes stay those of the unrestricted join. One hash per record, and the
 * bitmaps are cleared word by word afterwards, not filled whole.
 */
function selectTouching(
  row: Uint32Array,
  nA: number,
  nB: number,
  dedup: boolean,
  sc: BandScratch,
  marked: Uint32Array,
): number {
  const { seen1, seen2, seenMarked, shift, k1, k2, ids, touched, touchedSlot } = sc;
  for (let m = 0; m < marked.length; m++) {
    const r = marked[m] as number;
    const x = row[2 * r] as number;
    const y = row[2 * r + 1] as number;
    if ((x | y) === 0) continue;
    const h = slot(x, y, shift);
    seenMarked[h >>> 5] = (seenMarked[h >>> 5] as number) | (1 << (h & 31));
  }
  const total = nA + nB;
  let t = 0;
  for (let r = 0; r < total; r++) {
    const x = row[2 * r] as number;
    const y = row[2 * r + 1] as number;
    if ((x | y) === 0) continue;
    const h = slot(x, y, shift);
    if (((seenMarked[h >>> 5] as number) & (1 << (h & 31))) === 0) continue;
    touched[t] = r;
    touchedSlot[t++] = h;
    markSeen(seen1, seen2, h, r, nA, dedup);
  }
  let n = 0;
  for (let k = 0; k < t; k++) {
    const r = touched[k] as number;
    if (!otherHas(seen1, seen2, touchedSlot[k] as number, r, nA, dedup)) continue;
    k1[n] = row[2 * r] as number;
    k2[n] = row[2 * r + 1] as number;
    ids[n++] = r;
  }
  // Every slot set above is a touched record's slot (a marked record with a key touches itself).
  for (let k = 0; k < t; k++) {
    const w = (touchedSlot[k] as number) >>> 5;
    seen1[w] = 0;
    seen2[w] = 0;
    seenMarked[w] = 0;
  }
  return n;
}

/**
 * One band: `row` holds the key words of A's records at [0, nA) and B's at [nA, nA + nB) (two
 * entries each). Only keys present on both sides (within A: at least twice) can pair, so bitmaps
 * discard most records first; the rest are sorted by key and joined. With marks (`marked`: their
 * row indices), only buckets holding a marked record are joined, and only pairs with one emitted.
 */
function joinBand(
  row: Uint32Array,
  nA: number,
  nB: number,
  dedup: boolean,
  maxBucket: number,
  sc: BandScratch,
  out: PairCollector,
  tally: Tally,
  marks: TouchingMarks | undefined,
  marked: Uint32Array,
): void {
  const { k1, k2, ids } = sc;
  const isMarked = (r: number): boolean => (r < nA ? (marks!.a[r] as number) : (marks!.b![r - nA] as number)) === 1;
  const n = marks ? selectTouching(row, nA, nB, dedup, sc, marked) : selectAll(row, nA, nB, dedup, sc);
  if (n < 2) return;
  // Order survivors by (k1, k2), stably: within a bucket A's records (taken first) precede B's.
  const { perm, sortKey } = sc;
  for (let s = 0; s < n; s++) {
    perm[s] = s;
    sortKey[s] = k2[s] as number;
  }
  const byK2 = sortKeyed(sortKey, perm, n, sc.tmpK, sc.tmpV);
  const order1 = byK2.values;
  const keyBuf = byK2.keys; // free now: refill with k1 in k2 order
  for (let s = 0; s < n; s++) keyBuf[s] = k1[order1[s] as number] as number;
  const spareK = keyBuf === sortKey ? sc.tmpK : sortKey;
  const spareV = order1 === perm ? sc.tmpV : perm;
  const order = sortKeyed(keyBuf, order1, n, spareK, spareV).values;

  let start = 0;
  while (start < n) {
    const first = order[start] as number;
    const x = k1[first] as number;
    const y = k2[first] as number;
    let end = start + 1;
    while (end < n && k1[order[end] as number] === x && k2[order[end] as number] === y) end++;
    if (end - start > 1) {
      if (!dedup) {
        let split = start;
        while (split < end && (ids[order[split] as number] as number) < nA) split++;
        const na = split - start;
        const nb = end - split;
        if (na > 0 && nb > 0) {
          if (na > maxBucket || nb > maxBucket) {
            tally.skippedBuckets++;
            tally.skippedPairs += na * nb;
          } else {
            tally.rawPairs += na * nb;
            for (let a = start; a < split; a++) {
              const i = ids[order[a] as number] as number;
              const iMarked = !marks || isMarked(i);
              for (let b = split; b < end; b++) {
                const j = ids[order[b] as number] as number;
                if (iMarked || isMarked(j)) out.push(i, j - nA);
              }
            }
          }
        }
      } else {
        const m = end - start;
        if (m > maxBucket) {
          tally.skippedBuckets++;
          tally.skippedPairs += (m * (m - 1)) / 2;
        } else {
          tally.rawPairs += (m * (m - 1)) / 2;
          for (let a = start; a < end; a++) {
            const i = ids[order[a] as number] as number;
            const iMarked = !marks || isMarked(i);
            for (let b = a + 1; b < end; b++) {
              const j = ids[order[b] as number] as number;
              if (iMarked || isMarked(j)) out.push(i, j);
            }
          }
        }
      }
    }
    start = end;
  }
}

/**
 * Candidate pairs from Hamming LSH. With B: (index in A, index in B); with B null: pairs within A
 * with i < j. Sorted, duplicate-free.
 */
export function lshPairs(A: FilterView, B: FilterView | null, opts: LshOptions = {}): LshResult {
  const given = opts.plan ? planFromPositions(opts.plan) : null;
  const bands = given ? given.bands : (opts.bands ?? LSH_DEFAULTS.bands);
  const seed = opts.seed ?? LSH_DEFAULTS.seed;
  const maxBucket = opts.maxBucketSize ?? LSH_DEFAULTS.maxBucketSize;
  const share = opts.informativeShare ?? LSH_DEFAULTS.informativeShare;
  const rowsOpt = opts.rows ?? 'auto';
  if (!Number.isInteger(bands) || bands < 0)
    throw new RangeError(`LSH bands must be a non-negative integer, got ${bands}`);
  if (rowsOpt !== 'auto' && (!Number.isInteger(rowsOpt) || rowsOpt < 1 || rowsOpt > 64)) {
    throw new RangeError(`LSH rows must be an integer in 1..64 or 'auto', got ${rowsOpt}`);
  }
  if (!(maxBucket >= 1)) throw new RangeError(`maxBucketSize must be at least 1, got ${maxBucket}`);
  if (B && B.bits !== A.bits) throw new RangeError(`filter lengths differ: ${A.bits} vs ${B.bits} bits`);
  const nA = A.count;
  const nB = B ? B.count : 0;
  const total = nA + nB;
  if (total > 0x7fffffff) throw new RangeError('too many records for LSH');
  const marks = opts.touching;
  if (marks) checkMarks(marks, nA, B ? nB : null);
  const tally: Tally = { rawPairs: 0, skippedBuckets: 0, skippedPairs: 0 };
  if (nA === 0 || (B && nB === 0) || bands === 0) {
    return {
      pairs: EMPTY_PAIRS,
      rows: opts.plan?.rows ?? (rowsOpt === 'auto' ? LSH_DEFAULTS.rows : rowsOpt),
      ...tally,
      emptyKeys: 0,
      positions: opts.plan?.positions ?? (new Uint32Array(0) as Uint32Array),
    };
  }

  let plan: BandPlan;
  let rows: number;
  if (given && opts.plan) {
    plan = given;
    rows = opts.plan.rows;
    if (plan.word.some((w) => w >= A.words64 * 2))
      throw new RangeError(`LSH plan: positions beyond these ${A.bits}-bit filters`);
  } else {
    const freq = bitFrequencies(B ? [A, B] : [A]);
    const pool = informativePositions(freq, A.bits, share, rowsOpt === 'auto' ? LSH_DEFAULTS.maxAutoRows : rowsOpt);
    rows = rowsOpt === 'auto' ? autoRows(bands, Math.max(nA, nB), unrelatedAgreement(freq, pool)) : rowsOpt;
    plan = sampleBands(pool, bands, rows, seed);
  }
  const positions = opts.plan?.positions ?? planPositions(plan);
  if (opts.planOnly) return { pairs: EMPTY_PAIRS, rows, ...tally, emptyKeys: 0, positions };
  const out = new PairCollector(Math.max(1024, 2 * total));
  const chunk = Math.max(1, Math.min(MAX_CHUNK_BANDS, bands, Math.floor(CHUNK_KEY_BUDGET / (2 * total))));
  const keyRows = new Uint32Array(2 * chunk * total);
  const sc = bandScratch(total, marks !== undefined);
  const marked: number[] = [];
  if (marks) {
    marks.a.forEach((m, r) => {
      m === 1 && marked.push(r);
    });
    marks.b?.forEach((m, r) => {
      m === 1 && marked.push(nA + r);
    });
  }
  const markedRows = Uint32Array.from(marked);
  let emptyKeys = 0;
  for (let t0 = 0; t0 < bands; t0 += chunk) {
    const k = Math.min(chunk, bands - t0);
    emptyKeys += chunkKeys(A, plan, t0, k, keyRows, total, 0);
    if (B) emptyKeys += chunkKeys(B, plan, t0, k, keyRows, total, nA);
    for (let u = 0; u < k; u++) {
      joinBand(
        keyRows.subarray(2 * u * total, 2 * (u + 1) * total),
        nA,
        nB,
        B === null,
        maxBucket,
        sc,
        out,
        tally,
        marks,
        markedRows,
      );
    }
  }
  return { pairs: out.finish(), rows, ...tally, emptyKeys, positions };
}
