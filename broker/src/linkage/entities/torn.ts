/**
 * Records torn between two people. Two records of one source, neither with a date of birth, whose two best
 * candidates in another source are the same two records, records that direct evidence says are two people
 * (dates of birth that cannot be one person's, different NHS numbers: apart.ts), with weights within TORN_MARGIN
 * bits of each other: two electoral-roll rows "Claire Walker" at one address where the GP holds a mother and a
 * daughter of that name. Nothing in the encodings says which row is which, and the rows are themselves two people
 * (their source holds both), yet they agree on every field they carry: greedy clustering merged them as duplicates
 * and put the pair beside whichever GP record scored a fraction of a bit higher, one entity holding two people.
 * Such records link to neither of the two and to nothing they are in an entity with, nor to each other
 * (`apart`); their other links stand. The residual pass's links obey the same (entity-resolution.ts).
 *
 * Narrow on purpose, each step measured on both error models (docs/scoring.md): a record torn alone (a
 * council-tax row with no date of birth, where the GP holds a father and son of its name) keeps its link, since
 * taking it away lost more true council tax × GP pairs than wrong ones; a broader rule (a record whose candidates
 * lie in two entities links to none) lost recall on both models and on FEBRL4. Pure: no I/O.
 */
import type { ScoredPairs } from './scored-pairs.js';

/** Bits within which two candidates of a record without a date of birth are a tie. */
export const TORN_MARGIN = 2;

export interface TornInput {
  /** Source index per global record. */
  sourceOf: Uint16Array;
  /** Every scored pair (any orientation); only those at or above threshold − margin are read. */
  pairs: ScoredPairs;
  threshold: number;
  /** True when record x carries no date of birth (the only evidence that would tell the two apart). */
  undated: (x: number) => boolean;
  /** Evidence that x and y are two people (apart.ts): any non-zero value. */
  apart: (x: number, y: number) => number;
  margin?: number;
}

export interface Torn {
  /** Indices into the pairs of the links torn records may not make (to either of the two they are torn between). */
  drop: Set<number>;
  /** True when x is torn between y and another record (or y between x and another), or both between the same two. */
  apart: (x: number, y: number) => boolean;
}

/** Best and second-best candidate of one record in one other source (pair indices, −1: none). */
type Best = [number, number];

export function tornPairs(input: TornInput): Torn {
  const { sourceOf, pairs, threshold, undated, apart } = input;
  const margin = input.margin ?? TORN_MARGIN;
  const n = sourceOf.length;
  const S = sourceOf.reduce((m, s) => Math.max(m, s + 1), 0);
  const floor = Math.fround(threshold - margin);
  const best = new Map<number, Best>();
  const offer = (r: number, other: number, k: number) => {
    if (!undated(r)) return;
    const key = r * S + (sourceOf[other] as number);
    const w = pairs.weight[k] as number;
    const cur = best.get(key);
    if (!cur) best.set(key, [k, -1]);
    else if (w > (pairs.weight[cur[0]] as number)) best.set(key, [k, cur[0]]);
    else if (cur[1] < 0 || w > (pairs.weight[cur[1]] as number)) cur[1] = k;
  };
  for (let k = 0; k < pairs.a.length; k++) {
    if (!((pairs.weight[k] as number) >= floor)) continue;
    const a = pairs.a[k] as number;
    const b = pairs.b[k] as number;
    if (sourceOf[a] === sourceOf[b]) continue;
    offer(a, b, k);
    offer(b, a, k);
  }
  // Each tie: the record, its two pairs, the two records (as lo · n + hi); and how many records of one source hold it.
  const found: { r: number; k1: number; k2: number; tie: number }[] = [];
  const holders = new Map<number, number>();
  const t = Math.fround(threshold);
  const other = (k: number, r: number) => (pairs.a[k] === r ? (pairs.b[k] as number) : (pairs.a[k] as number));
  for (const [key, [k1, k2]] of best) {
    if (k2 < 0) continue;
    const w1 = pairs.weight[k1] as number;
    if (!(w1 >= t) || w1 - (pairs.weight[k2] as number) > margin) continue;
    const r = Math.floor(key / S);
    const x = other(k1, r);
    const y = other(k2, r);
    if (x === y || !apart(x, y)) continue;
    const tie = Math.min(x, y) * n + Math.max(x, y);
    found.push({ r, k1, k2, tie });
    const h = tie * S + (sourceOf[r] as number);
    holders.set(h, (holders.get(h) ?? 0) + 1);
  }
  const drop = new Set<number>();
  const ties = new Map<number, number[]>();
  for (const { r, k1, k2, tie } of found) {
    if ((holders.get(tie * S + (sourceOf[r] as number)) ?? 0) < 2) continue;
    drop.add(k1);
    drop.add(k2);
    const list = ties.get(r);
    if (list) list.push(tie);
    else ties.set(r, [tie]);
  }
  const touches = (list: number[] | undefined, z: number) =>
    list?.some((k) => Math.floor(k / n) === z || k % n === z) === true;
  return {
    drop,
    apart: (x, y) => {
      const tx = ties.get(x);
      const ty = ties.get(y);
      if (!tx && !ty) return false;
      if (touches(tx, y) || touches(ty, x)) return true;
      return tx !== undefined && ty !== undefined && tx.some((k) => ty.includes(k));
    },
  };
}

/** Direct evidence (apart.ts) with torn records kept apart as strongly as two NHS numbers. */
export function withTorn(apart: (x: number, y: number) => 0 | 1 | 2, torn: Torn): (x: number, y: number) => 0 | 1 | 2 {
  if (torn.drop.size === 0) return apart;
  return (x, y) => apart(x, y) || (torn.apart(x, y) ? 2 : 0);
}

/** `pairs` without the indices in `drop`. */
export function withoutPairs(pairs: ScoredPairs, drop: Set<number>): ScoredPairs {
  if (drop.size === 0) return pairs;
  const n = pairs.a.length - drop.size;
  const out: ScoredPairs = { a: new Uint32Array(n), b: new Uint32Array(n), weight: new Float32Array(n) };
  for (let k = 0, j = 0; k < pairs.a.length; k++) {
    if (drop.has(k)) continue;
    out.a[j] = pairs.a[k] as number;
    out.b[j] = pairs.b[k] as number;
    out.weight[j++] = pairs.weight[k] as number;
  }
  return out;
}
