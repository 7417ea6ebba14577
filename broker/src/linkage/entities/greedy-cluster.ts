/**
 * Multi-source entity resolution by greedy best-first union.
 *
 * Why this design: anonlink's greedy solver takes pairs in descending score and accepts a pair when
 * neither record is matched yet, which is the standard, fast answer for one-to-one linkage of two
 * parties. Here there are many sources, some duplicate-free (one row per person: a GP register) and
 * some not (a police extract may hold a person many times). Taking pairs in descending weight and
 * merging *clusters* with union-find generalises it: de-duplication inside a source that is not
 * duplicate-free falls out of the same loop, and a merge is refused when the two clusters already
 * hold records of a common duplicate-free source, or records of one other source that do not link
 * to each other directly (duplicates are near-copies and compare as such; a chain through another
 * source's record is not evidence that two rows of one register are one person), or a record of an
 * adults-only source and one of a children-only source (no person is both), or two records that direct evidence
 * says are two people (`apart`: checked for every pair of members of the two clusters). Because the
 * checks are on whole clusters, transitive chains (A1–B1–A2) cannot smuggle two A records into one
 * entity. For two duplicate-free sources the result is exactly anonlink's greedy one-to-one
 * matching. Cost: one sort of the pairs above the
 * threshold (radix, linear) and near-constant work per pair, all in typed arrays.
 *
 * Ties in weight are broken by (smaller record index, larger record index), so the result depends
 * only on the set of pairs, never on the order the scoring stage emitted them.
 */
import { canonicalClustering } from './clustering.js';
import type { Clustering } from './clustering.js';
import { descendingFloatKeys, radixOrder } from './radix-order.js';
import { assertPairs, pairsAtOrAbove } from './scored-pairs.js';
import type { ScoredPairs } from './scored-pairs.js';
import { ConstrainedUnionFind } from './union-find.js';
import type { Population } from './union-find.js';

export interface EntityInput {
  /** Source index per global record (records are numbered 0..N-1 across all sources). */
  sourceOf: Uint16Array;
  /** Per source index: true when the source is declared duplicate-free. */
  duplicateFree: readonly boolean[];
  /** Per source index: the population the source is declared to hold (undefined or missing: anyone). */
  populations?: readonly (Population | undefined)[];
  /** Scored candidate pairs; only those with weight ≥ threshold can link. */
  pairs: ScoredPairs;
  threshold: number;
  /**
   * Records that are two people on direct evidence (different NHS numbers, dates of birth…): 2 never in one entity,
   * whatever chain joins them; 1 only when they are themselves a linking pair (their own weight outweighs it);
   * 0 no evidence. When given it also judges declared populations, pair by pair, in place of the cluster-wide rule.
   */
  apart?: (x: number, y: number) => 0 | 1 | 2;
}

export interface ClusterStats {
  /** Distinct-record pairs at or above the threshold. */
  pairsAboveThreshold: number;
  /** Pairs that joined two clusters. */
  merges: number;
  /**
   * Pairs refused because the merge would break a source constraint: duplicate-free, unlinked duplicates, or adults
   * with children.
   */
  refused: number;
}

/** The clustering with the inputs that shaped it: sources, their constraints, the threshold and the linking pairs. */
export interface EntityGraph {
  sourceOf: Uint16Array;
  duplicateFree: readonly boolean[];
  /** Per source index (as many as duplicateFree): its declared population, undefined for anyone. */
  populations: readonly (Population | undefined)[];
  threshold: number;
  /** Pairs at or above the threshold, smaller index first, no self-pairs. */
  pairs: ScoredPairs;
  /** Entity index per record, canonical numbering (by smallest record); the same array as entities.clusterOf. */
  entityOf: Uint32Array;
  /** The entity clustering with member lists. */
  entities: Clustering;
  stats: ClusterStats;
}

export function assertSources(sourceOf: Uint16Array, duplicateFree: readonly boolean[]): void {
  for (let i = 0; i < sourceOf.length; i++) {
    if ((sourceOf[i] as number) >= duplicateFree.length) {
      throw new RangeError(
        `record ${i} names source ${sourceOf[i]}; only ${duplicateFree.length} sources are declared`,
      );
    }
  }
}

/** One population entry per source (undefined for anyone); more entries than sources is an error. */
export function sourcePopulations(
  populations: readonly (Population | undefined)[] | undefined,
  sources: number,
): (Population | undefined)[] {
  if (populations && populations.length > sources)
    throw new RangeError(`populations are given for ${populations.length} sources; only ${sources} are declared`);
  return Array.from({ length: sources }, (_, s) => populations?.[s]);
}

/** Pair indices in processing order: weight descending, then (a, b) ascending. */
export function pairOrder(pairs: ScoredPairs): Uint32Array {
  return radixOrder(pairs.a.length, [pairs.b, pairs.a, descendingFloatKeys(pairs.weight)]);
}

/**
 * Run the greedy constrained union over `pairs` (already filtered: ≥ threshold, a < b) in `order`,
 * on a union-find that may already hold clusters. Returns merge and refusal counts.
 */
export function greedyUnion(
  uf: ConstrainedUnionFind,
  pairs: ScoredPairs,
  order: Uint32Array,
): { merges: number; refused: number } {
  let merges = 0;
  let refused = 0;
  const a = pairs.a;
  const b = pairs.b;
  for (let k = 0; k < order.length; k++) {
    const p = order[k] as number;
    const r = uf.tryUnion(a[p] as number, b[p] as number);
    if (r === 1) merges++;
    else if (r === -1) refused++;
  }
  return { merges, refused };
}

/** Strong evidence always keeps two records apart; weak evidence unless they are a linking pair themselves. */
function keptApart(apart: (x: number, y: number) => 0 | 1 | 2, pairs: ScoredPairs, n: number) {
  let direct: Set<number> | null = null;
  return (x: number, y: number): boolean => {
    const s = apart(x, y);
    if (s !== 1) return s === 2;
    if (!direct) {
      direct = new Set<number>();
      for (let k = 0; k < pairs.a.length; k++) direct.add((pairs.a[k] as number) * n + (pairs.b[k] as number));
    }
    return !direct.has(x < y ? x * n + y : y * n + x);
  };
}

/** Resolve all records into entities from scratch. */
export function clusterEntities(input: EntityInput): EntityGraph {
  const n = input.sourceOf.length;
  if (typeof input.threshold !== 'number' || Number.isNaN(input.threshold))
    throw new RangeError('threshold must be a number');
  assertSources(input.sourceOf, input.duplicateFree);
  assertPairs(input.pairs, n);
  const pairs = pairsAtOrAbove(input.pairs, input.threshold);
  const populations = sourcePopulations(input.populations, input.duplicateFree.length);
  const uf = new ConstrainedUnionFind(
    input.sourceOf,
    input.duplicateFree,
    pairs,
    input.apart ? undefined : populations,
    input.apart ? keptApart(input.apart, pairs, n) : undefined,
  );
  const { merges, refused } = greedyUnion(uf, pairs, pairOrder(pairs));
  const roots = new Uint32Array(n);
  for (let i = 0; i < n; i++) roots[i] = uf.find(i);
  const entities = canonicalClustering(roots, n);
  return {
    sourceOf: input.sourceOf,
    duplicateFree: [...input.duplicateFree],
    populations,
    threshold: input.threshold,
    pairs,
    entityOf: entities.clusterOf,
    entities,
    stats: { pairsAboveThreshold: pairs.a.length, merges, refused },
  };
}
