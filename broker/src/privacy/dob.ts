/**
 * Attack (d): dates of birth, by mining and a dictionary. A date's token set is small and public
 * (eight positional digits of YYYYMMDD, year, month, day, year-month, month-day, decade and the
 * unordered day/month pair: docs/encoding.md), and every plausible date can be listed (about 37,000
 * from the background's years). So:
 *
 * 1. Mine itemsets from the filters (mining.ts), never adding positions set nearly everywhere, and label
 *    them as date tokens by how they contain one another against the dictionary (mapDateItemsets), or,
 *    given a few records of known date, by the known records they hold (labelByKnown).
 * 2. Decode every filter against the whole dictionary, naive-Bayes style: a token whose bits are all
 *    set is evidence for every date holding it, each unset bit evidence against (weighted by the flip
 *    probability the header declares and the bit's base rate). The score of a date splits into year,
 *    month and day terms plus year-month and month-day pair terms, so the best dates are found by
 *    month, not by scoring 37,000 dates per filter.
 * 3. Learn each token's bits afresh from the decoded sample (positions set far more often among the
 *    records decoded as holding it than overall), now for every token, and decode again; a few rounds.
 *
 * Given correct labels the rounds recover nearly every date of deterministic filters. Statistics alone
 * cannot give them when birthdays are uniform: months 3, 5, 7, 8 (and 4, 6) relabelled together with
 * the day digits change no frequency. On flipped filters the itemsets barely form.
 */
import { andCount, popcountWords } from './bits.js';
import { distinctFilters, spread } from './columns.js';
import { derivedFrom } from './derived.js';
import { mineItemsets, samplePositionColumns } from './mining.js';
import type { Itemset } from './qgram-mapping.js';
import type { AttackResult, BackgroundValue, FieldColumn } from './types.js';

export interface DobAttackOptions {
  seed: string;
  /** Probability with which the encoder flipped each bit (from the header); 0 when deterministic. */
  flip?: number;
  /** Records sampled for mining and learning (decoding covers all); default 20,000. */
  sample?: number;
  /** Rounds of learning token bits from decoded records; default 2. */
  rounds?: number;
  top?: number;
  /**
   * Records whose date the attacker knows (record index → ISO date): itemsets are then labelled by
   * the known records they hold instead of by statistics (a known-plaintext attack).
   */
  known?: ReadonlyMap<number, string>;
}

export interface DobAttackResult extends AttackResult {
  itemsets: number;
  /** Tokens whose bits the last round learned (of all the dictionary's). */
  tokensLearned: number;
}

/** The dictionary: every valid date in the background's years, its year's weight spread over its days. */
export interface DateDictionary {
  years: number[];
  /** log(weight of a day) per year. */
  logPrior: Float64Array;
  tokens: string[];
  /** Token ids per year (4 digits, y, dec), month (2 digits, m), day (2 digits, d). */
  yearTok: number[][];
  monthTok: number[][];
  dayTok: number[][];
  /** ym token id per (year index * 12 + month - 1); md + dm token ids per ((month - 1) * 31 + day - 1). */
  ymTok: Int32Array;
  mdTok: Int32Array;
  dmTok: Int32Array;
}

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const leap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const daysIn = (y: number, m: number): number => (m === 2 && !leap(y) ? 28 : DAYS[m - 1]!);
const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/** The public date tokens of an ISO date (agency-client/src/encode/tokens.ts, which the attacker reads). */
export function dateTokens(iso: string): string[] {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  const digits = iso.replace(/-/g, '');
  const out = [...digits].map((c, i) => `${i}:${c}`);
  out.push(`y:${y}`, `m:${m}`, `d:${d}`, `ym:${y}-${m}`, `md:${m}-${d}`, `dec:${Math.floor(y / 10)}`);
  out.push(`dm:${Math.min(d, m)}/${Math.max(d, m)}`);
  return out;
}

/** The date tokens of every plausible date of the background's years; computed once per table. */
export const dateDictionary = derivedFrom(buildDateDictionary);

function buildDateDictionary(yearsBg: readonly BackgroundValue[]): DateDictionary {
  const ids = new Map<string, number>();
  const tokens: string[] = [];
  const id = (t: string): number => {
    let i = ids.get(t);
    if (i === undefined) {
      i = tokens.length;
      ids.set(t, i);
      tokens.push(t);
    }
    return i;
  };
  const bg = yearsBg.filter((v) => /^\d{4}$/.test(v.value) && Number(v.value) >= 1000);
  const years = bg.map((v) => Number(v.value));
  const total = bg.reduce((a, v) => a + v.count, 0);
  const logPrior = Float64Array.from(bg, (v) => Math.log(v.count / total / (leap(Number(v.value)) ? 366 : 365)));
  const yearTok = years.map((y) => {
    const s = pad(y, 4);
    return [...s].map((c, i) => id(`${i}:${c}`)).concat(id(`y:${y}`), id(`dec:${Math.floor(y / 10)}`));
  });
  const monthTok = Array.from({ length: 12 }, (_, i) => {
    const s = pad(i + 1, 2);
    return [id(`4:${s[0]}`), id(`5:${s[1]}`), id(`m:${i + 1}`)];
  });
  const dayTok = Array.from({ length: 31 }, (_, i) => {
    const s = pad(i + 1, 2);
    return [id(`6:${s[0]}`), id(`7:${s[1]}`), id(`d:${i + 1}`)];
  });
  const ymTok = new Int32Array(years.length * 12);
  years.forEach((y, yi) => {
    for (let m = 1; m <= 12; m++) ymTok[yi * 12 + m - 1] = id(`ym:${y}-${m}`);
  });
  const mdTok = new Int32Array(12 * 31);
  const dmTok = new Int32Array(12 * 31);
  for (let m = 1; m <= 12; m++)
    for (let d = 1; d <= 31; d++) {
      mdTok[(m - 1) * 31 + d - 1] = id(`md:${m}-${d}`);
      dmTok[(m - 1) * 31 + d - 1] = id(`dm:${Math.min(d, m)}/${Math.max(d, m)}`);
    }
  return { years, logPrior, tokens, yearTok, monthTok, dayTok, ymTok, mdTok, dmTok };
}

/**
 * Itemset → date token, by sequential graph matching on containment. For itemsets i and j the
 * observed P(j | i) (records holding both over those holding i) must equal P(u | t) of their tokens
 * under the dictionary. Itemsets are labelled most frequent first, each with the token whose
 * support and containments with the tokens already given best agree; then every label is revisited
 * against all the others (a few sweeps). Some labels cannot be told apart by any statistic (months
 * 3, 5, 7 and 8 with day digits 3, 5, 7 and 8 can be permuted together and every frequency stays
 * the same); those come out right only by chance, which the measured rate shows.
 */
function mapDateItemsets(itemsets: readonly Itemset[], S: number, dict: DateDictionary, minShare: number): number[] {
  const T = dict.tokens.length;
  const support = new Float64Array(T);
  const dates: { toks: number[]; w: number }[] = [];
  dict.years.forEach((y, yi) => {
    const w = Math.exp(dict.logPrior[yi]!);
    for (let mo = 1; mo <= 12; mo++)
      for (let d = 1; d <= daysIn(y, mo); d++) {
        const toks = [...new Set(tokensOfDate(dict, yi, mo, d))];
        for (const t of toks) support[t]! += w;
        dates.push({ toks, w });
      }
  });
  const total = dates.reduce((a, x) => a + x.w, 0);
  for (let t = 0; t < T; t++) support[t]! /= total;
  const cands = [...Array(T).keys()].filter((t) => support[t]! >= minShare && support[t]! <= 0.6);
  const C = cands.length;
  const ci = new Int32Array(T).fill(-1);
  cands.forEach((t, i) => {
    ci[t] = i;
  });
  const joint = new Float64Array(C * C);
  for (const { toks, w } of dates) {
    const xs = toks.map((t) => ci[t]!).filter((x) => x >= 0);
    for (const a of xs) for (const b of xs) joint[a * C + b]! += w / total;
  }
  const I = itemsets.length;
  const sup = itemsets.map((it) => it.support);
  const cond = new Float64Array(I * I); // P(j | i)
  for (let i = 0; i < I; i++)
    for (let j = 0; j < I; j++)
      cond[i * I + j] = i === j ? 1 : andCount(itemsets[i]!.records, itemsets[j]!.records) / S / sup[i]!;
  const label = new Int32Array(I).fill(-1);
  const score = (i: number, c: number): number => {
    const t = cands[c]!;
    let s = -4 * Math.abs(Math.log(sup[i]! / support[t]!));
    for (let j = 0; j < I; j++) {
      const u = label[j]!;
      if (j === i || u < 0) continue;
      const pj = joint[c * C + u]!;
      s -= Math.abs(cond[i * I + j]! - pj / support[t]!) + Math.abs(cond[j * I + i]! - pj / support[cands[u]!]!);
    }
    return s;
  };
  const order = [...Array(I).keys()].sort((a, b) => sup[b]! - sup[a]!);
  for (let sweep = 0; sweep < 4; sweep++) {
    let changed = 0;
    for (const i of order) {
      let best = -1;
      let bs = -Infinity;
      for (let c = 0; c < C; c++) {
        const s = score(i, c);
        if (s > bs) [bs, best] = [s, c];
      }
      if (best !== label[i]) changed++;
      label[i] = best;
    }
    if (sweep > 0 && changed === 0) break;
  }
  return Array.from(label, (c) => (c < 0 ? -1 : cands[c]!));
}

/**
 * Itemset → token by the records of known date it holds: the token those records share that best
 * matches, over all known records in the sample, which of them hold the itemset (Jaccard at least
 * 0.8, and at least two known records inside).
 */
function labelByKnown(
  itemsets: readonly Itemset[],
  records: readonly number[],
  known: ReadonlyMap<number, string>,
  dict: DateDictionary,
): number[] {
  const ids = new Map(dict.tokens.map((t, i) => [t, i]));
  const inSample = records.flatMap((r, j) => (known.has(r) ? [{ j, toks: new Set(dateTokens(known.get(r)!)) }] : []));
  return itemsets.map((it) => {
    const inside = inSample.filter(({ j }) => it.records[j >>> 5]! & (1 << (j & 31)));
    if (inside.length < 2) return -1;
    let best = -1;
    let bj = 0;
    for (const tok of inside[0]!.toks) {
      const holders = inSample.filter((x) => x.toks.has(tok));
      const both = inside.filter((x) => x.toks.has(tok)).length;
      const j = both / (inside.length + holders.length - both);
      const id = ids.get(tok);
      if (j > bj && id !== undefined) [bj, best] = [j, id];
    }
    return bj >= 0.8 ? best : -1;
  });
}

/** Per token, its bit positions as the attacker currently believes them. */
type TokenBits = (number[] | null)[];

interface Scorer {
  /** Per position: log-likelihood ratio when set and when unset, for a token holding it. */
  onSet: Float64Array;
  onUnset: Float64Array;
  /** Position → tokens holding it, and each token's all-unset baseline. */
  byPosition: number[][];
  base: Float64Array;
}

function scorer(bits: TokenBits, rho: Float64Array, eps: number, m: number): Scorer {
  const onSet = new Float64Array(m);
  const onUnset = new Float64Array(m);
  for (let p = 0; p < m; p++) {
    const r = Math.min(0.99, Math.max(0.01, rho[p]!));
    onSet[p] = Math.log((1 - eps) / r);
    onUnset[p] = Math.log(eps / (1 - r));
  }
  const byPosition: number[][] = Array.from({ length: m }, () => []);
  const base = new Float64Array(bits.length);
  bits.forEach((b, t) => {
    if (!b) return;
    for (const p of b) {
      byPosition[p]!.push(t);
      base[t]! += onUnset[p]!;
    }
  });
  return { onSet, onUnset, byPosition, base };
}

interface Decoded {
  /** Best dates, best first, as [year index, month, day] and score. */
  best: { yi: number; m: number; d: number; s: number }[];
}

/** The `top` best dates for one filter: token weights, then the best year and day per month. */
function decodeOne(w: Uint32Array, dict: DateDictionary, sc: Scorer, m: number, top: number): Decoded {
  // Called for every distinct filter, a few times: its scratch tables are the scorer's, not new ones.
  const { weight, A, B, C, ys, ds } = scratchOf(sc, dict);
  weight.set(sc.base);
  // The set bits in ascending order (as a scan of every position would take them), word by word.
  for (let wi = 0; wi < w.length; wi++) {
    let x = w[wi]!;
    while (x !== 0) {
      const z = Math.clz32(x);
      x &= ~(0x80000000 >>> z);
      const p = wi * 32 + z;
      if (p >= m) break;
      const delta = sc.onSet[p]! - sc.onUnset[p]!;
      const ts = sc.byPosition[p]!;
      for (let i = 0; i < ts.length; i++) weight[ts[i]!]! += delta;
    }
  }
  const Y = dict.years.length;
  for (let yi = 0; yi < Y; yi++) A[yi] = sumOf(weight, dict.yearTok[yi]!) + dict.logPrior[yi]!;
  for (let i = 0; i < 12; i++) B[i] = sumOf(weight, dict.monthTok[i]!);
  for (let i = 0; i < 31; i++) C[i] = sumOf(weight, dict.dayTok[i]!);
  const K = Math.min(top, Y);
  const best: Decoded['best'] = [];
  const push = (c: Decoded['best'][number]): void => {
    if (best.length === top && c.s <= best[top - 1]!.s) return;
    let i = best.length;
    while (i > 0 && best[i - 1]!.s < c.s) i--;
    best.splice(i, 0, c);
    if (best.length > top) best.pop();
  };
  for (let mo = 1; mo <= 12; mo++) {
    for (let yi = 0; yi < Y; yi++) ys[yi] = A[yi]! + weight[dict.ymTok[yi * 12 + mo - 1]!]!;
    const nd = DAYS[mo - 1]!;
    for (let i = 0; i < nd; i++) {
      const k = (mo - 1) * 31 + i;
      const md = dict.mdTok[k]!;
      const dm = dict.dmTok[k]!;
      ds[i] = C[i]! + weight[md]! + (dm === md ? 0 : weight[dm]!);
    }
    const topYears = topIndices(ys, Y, K);
    const topDays = topIndices(ds, nd, Math.min(nd, top + 1));
    for (const yi of topYears)
      for (const di of topDays)
        if (di + 1 <= daysIn(dict.years[yi]!, mo)) push({ yi, m: mo, d: di + 1, s: ys[yi]! + ds[di]! + B[mo - 1]! });
  }
  return { best };
}

/** Σ weight[t] over the tokens, left to right from 0 (as reduce adds them). */
function sumOf(weight: Float64Array, ts: readonly number[]): number {
  let a = 0;
  for (let i = 0; i < ts.length; i++) a += weight[ts[i]!]!;
  return a;
}

const scratch = new WeakMap<Scorer, ReturnType<typeof newScratch>>();
function newScratch(sc: Scorer, dict: DateDictionary) {
  const Y = dict.years.length;
  return {
    weight: new Float64Array(sc.base.length),
    A: new Float64Array(Y),
    B: new Float64Array(12),
    C: new Float64Array(31),
    ys: new Float64Array(Y),
    ds: new Float64Array(31),
  };
}
function scratchOf(sc: Scorer, dict: DateDictionary): ReturnType<typeof newScratch> {
  const kept = scratch.get(sc);
  if (kept) return kept;
  const s = newScratch(sc, dict);
  scratch.set(sc, s);
  return s;
}

/** Indices of the k largest of xs[0..n), largest first. */
function topIndices(xs: Float64Array, n: number, k: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    if (out.length === k && xs[i]! <= xs[out[k - 1]!]!) continue;
    let j = out.length;
    while (j > 0 && xs[out[j - 1]!]! < xs[i]!) j--;
    out.splice(j, 0, i);
    if (out.length > k) out.pop();
  }
  return out;
}

/** Token ids of a decoded date. */
function tokensOfDate(dict: DateDictionary, yi: number, mo: number, d: number): number[] {
  const k = (mo - 1) * 31 + d - 1;
  return [
    ...dict.yearTok[yi]!,
    ...dict.monthTok[mo - 1]!,
    ...dict.dayTok[d - 1]!,
    dict.ymTok[yi * 12 + mo - 1]!,
    dict.mdTok[k]!,
    dict.dmTok[k]!,
  ];
}

/**
 * Each token's bits from the decoded sample: positions set among the records decoded as holding it
 * at least `1 − eps − 0.15` of the time and at least 0.25 more often than overall.
 */
function learnBits(
  words: readonly Uint32Array[],
  decoded: readonly Decoded[],
  dict: DateDictionary,
  rho: Float64Array,
  eps: number,
  m: number,
): TokenBits {
  const T = dict.tokens.length;
  const counts = new Uint32Array(T * m);
  const n = new Uint32Array(T);
  const setBits = (w: Uint32Array): number[] => {
    const out: number[] = [];
    for (let p = 0; p < m; p++) if (w[p >>> 5]! & (0x80000000 >>> (p & 31))) out.push(p);
    return out;
  };
  decoded.forEach((dec, i) => {
    const b = dec.best[0];
    if (!b) return;
    const on = setBits(words[i]!);
    for (const t of new Set(tokensOfDate(dict, b.yi, b.m, b.d))) {
      n[t]!++;
      const row = t * m;
      for (const p of on) counts[row + p]!++;
    }
  });
  const floor = Math.max(0.5, 1 - eps - 0.15);
  return Array.from({ length: T }, (_, t) => {
    if (n[t]! < 3) return null;
    const out: number[] = [];
    for (let p = 0; p < m; p++) {
      const r = counts[t * m + p]! / n[t]!;
      if (r >= floor && r - rho[p]! >= 0.25) out.push(p);
    }
    return out.length ? out : null;
  });
}

export function dobAttack(
  column: Pick<FieldColumn, 'filters' | 'bits'>,
  years: readonly BackgroundValue[],
  opts: DobAttackOptions,
): DobAttackResult {
  const m = column.bits;
  const top = opts.top ?? 10;
  const d = distinctFilters(column.filters, m);
  const dict = dateDictionary(years);
  const none: DobAttackResult = {
    guesses: spread(d, [], null),
    confident: new Uint8Array(column.filters.length),
    itemsets: 0,
    tokensLearned: 0,
  };
  if (d.words.length === 0 || dict.years.length === 0 || m > 4096) return none;
  const eps = Math.max(0.01, opts.flip ?? 0);

  const sample = samplePositionColumns(d, m, { seed: `${opts.seed}:dob`, sample: opts.sample ?? 20_000 });
  const S = sample.size;
  const rho = Float64Array.from(sample.cols, (c) => popcountWords(c) / S);
  const itemsets = mineItemsets(sample, m, 200, 0.6);
  if (itemsets.length === 0) return none;
  const assignment = opts.known
    ? labelByKnown(itemsets, sample.records, opts.known, dict)
    : mapDateItemsets(itemsets, S, dict, Math.max(5, Math.ceil(0.002 * S)) / S);
  let bits: TokenBits = dict.tokens.map(() => null);
  assignment.forEach((t, i) => {
    if (t >= 0) bits[t] = itemsets[i]!.positions;
  });

  const sampleWords = sample.records.map((r) => d.words[d.ofRecord[r]!]!);
  const rounds = opts.rounds ?? 2;
  for (let round = 0; round < rounds; round++) {
    const sc = scorer(bits, rho, eps, m);
    const decoded = sampleWords.map((w) => decodeOne(w, dict, sc, m, 1));
    bits = learnBits(sampleWords, decoded, dict, rho, eps, m);
  }
  const sc = scorer(bits, rho, eps, m);
  const perDistinct = d.words.map((w) => {
    const { best } = decodeOne(w, dict, sc, m, top);
    const iso = best.map((b) => `${pad(dict.years[b.yi]!, 4)}-${pad(b.m, 2)}-${pad(b.d, 2)}`);
    // The attacker's own view: the best date leads the next by a clear likelihood margin.
    const confident = best.length > 0 && (best.length === 1 || best[0]!.s - best[1]!.s >= 3);
    return { iso, confident };
  });
  return {
    guesses: spread(
      d,
      perDistinct.map((x) => x.iso),
      null,
    ),
    confident: Uint8Array.from(
      spread(
        d,
        perDistinct.map((x) => (x.confident ? 1 : 0)),
        0,
      ),
    ),
    itemsets: itemsets.length,
    tokensLearned: bits.filter((b) => b !== null).length,
  };
}
