/**
 * Attack (a): exact-repeat frequency alignment. A deterministic encoding gives every record with
 * the same value the same filter, so groups of identical filters mirror the value distribution:
 * rank the groups by size, rank the background's values by frequency, and guess that the i-th
 * largest group holds the i-th most frequent value (its neighbours in rank as further guesses).
 * Also what needs no attack at all to see: how large the groups of identical filters are, and how
 * many filters appear identically in two files.
 */
import type { AttackResult, BackgroundValue } from './types.js';
import { percentileInterval, Rng, Sampler } from './stats.js';

/** Records per identical key (filter), keys in first-seen order. */
export function groupKeys(keys: readonly (string | null)[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  keys.forEach((k, i) => {
    if (k === null) return;
    const g = groups.get(k);
    if (g) g.push(i);
    else groups.set(k, [i]);
  });
  return groups;
}

/** Ranks near r, nearest first (r, r+1, r−1, r+2 …), within [0, n): the alignment's top-k guesses. */
function nearRanks(r: number, n: number, k: number): number[] {
  const out: number[] = [];
  for (let d = 0; out.length < k && d < n; d++) {
    if (r + d < n) out.push(r + d);
    if (d > 0 && r - d >= 0 && out.length < k) out.push(r - d);
  }
  return out;
}

/** Groups by size, largest first; equal sizes in key order (any order is as good to the attacker). */
function rankedGroups(groups: Map<string, number[]>): [string, number[]][] {
  return [...groups].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1));
}

export function frequencyAlignment(
  keys: readonly (string | null)[],
  background: readonly BackgroundValue[],
  top = 10,
): AttackResult {
  const guesses: (string[] | null)[] = new Array(keys.length).fill(null);
  const confident = new Uint8Array(keys.length);
  rankedGroups(groupKeys(keys)).forEach(([, members], r) => {
    if (r >= background.length) return;
    const g = nearRanks(r, background.length, top).map((i) => background[i]!.value);
    for (const m of members) {
      guesses[m] = g;
      // A group of one says nothing about frequency; only repeated filters carry the signal.
      confident[m] = members.length >= 2 ? 1 : 0;
    }
  });
  return { guesses, confident };
}

export interface GroupSizes {
  records: number;
  distinct: number;
  largest: number;
  /** Share of records whose filter is shared with at least one other record. */
  repeatedShare: number;
  /** Buckets of group size: how many groups, and how many records they hold. */
  buckets: { size: string; groups: number; records: number }[];
}

const BUCKETS: [string, number, number][] = [
  ['1', 1, 1],
  ['2', 2, 2],
  ['3-9', 3, 9],
  ['10-99', 10, 99],
  ['100-999', 100, 999],
  ['1000+', 1000, Infinity],
];

export function groupSizes(keys: readonly (string | null)[]): GroupSizes {
  const groups = groupKeys(keys);
  let records = 0;
  let repeated = 0;
  let largest = 0;
  const buckets = BUCKETS.map(([size]) => ({ size, groups: 0, records: 0 }));
  for (const members of groups.values()) {
    const n = members.length;
    records += n;
    if (n >= 2) repeated += n;
    largest = Math.max(largest, n);
    const b = BUCKETS.findIndex(([, lo, hi]) => n >= lo && n <= hi);
    buckets[b]!.groups++;
    buckets[b]!.records += n;
  }
  return { records, distinct: groups.size, largest, repeatedShare: records ? repeated / records : 0, buckets };
}

export interface CrossSource {
  /** Distinct filters found identically in two or more files. */
  sharedFilters: number;
  /** Records carrying such a filter. */
  records: number;
  share: number;
}

/** Filters that appear identically in two files: the same value, seen across agencies. */
export function crossSourceEquality(keys: readonly (string | null)[], source: Uint16Array): CrossSource | null {
  const sources = new Set(source);
  if (sources.size < 2) return null;
  const seen = new Map<string, number>(); // key → first source, or −1 once seen in two
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (k === null || k === undefined) continue;
    const s = seen.get(k);
    if (s === undefined) seen.set(k, source[i]!);
    else if (s !== -1 && s !== source[i]) seen.set(k, -1);
  }
  let shared = 0;
  let records = 0;
  let total = 0;
  for (const s of seen.values()) if (s === -1) shared++;
  for (const k of keys) {
    if (k === null) continue;
    total++;
    if (seen.get(k) === -1) records++;
  }
  return { sharedFilters: shared, records, share: total ? records / total : 0 };
}

export interface AlignmentEstimate {
  rate: number;
  lo: number;
  hi: number;
  /** How it was obtained, for the report. */
  method: string;
}

/**
 * Without truth: the top-1 success rank alignment would have on a sample of the same size drawn
 * from the background (repeated, for an interval), scaled by how much of the observed data repeats
 * compared with such a sample. Filters that never repeat (per-record randomness) give exactly 0.
 */
export function estimateAlignment(
  keys: readonly (string | null)[],
  background: readonly BackgroundValue[],
  seed: string,
  reps = 20,
): AlignmentEstimate {
  const observed = groupSizes(keys);
  const method =
    `simulated rank alignment of ${reps} samples of ${observed.records} drawn from the background, scaled ` +
    `by the observed share of repeated filters`;
  if (observed.repeatedShare === 0 || background.length === 0) return { rate: 0, lo: 0, hi: 0, method };
  const rng = new Rng(`${seed}:alignment`);
  const sampler = new Sampler(background.map((v) => v.count));
  const rates: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const counts = new Map<number, number>();
    for (let i = 0; i < observed.records; i++) {
      const v = sampler.draw(rng);
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    // Ties broken at random, as the attacker would have to.
    const groups = [...counts].map(([v, c]) => ({ v, c, t: rng.next() })).sort((a, b) => b.c - a.c || a.t - b.t);
    let hits = 0;
    let repeated = 0;
    groups.forEach((g, r) => {
      if (g.v === r) hits += g.c;
      if (g.c >= 2) repeated += g.c;
    });
    const simulatedShare = repeated / observed.records;
    const scale = simulatedShare > 0 ? Math.min(1, observed.repeatedShare / simulatedShare) : 0;
    rates.push((hits / observed.records) * scale);
  }
  const p = percentileInterval(rates);
  return { rate: p.mean, lo: p.lo, hi: p.hi, method };
}
