/**
 * Incremental entity resolution: a daily extract from one source updates the entity graph without
 * re-clustering everything.
 *
 * Why not simply seed union-find with the previous entities and merge the new pairs: that is fast but
 * not what a full run would give. A new record can outbid an old, weaker link (old A1–B1 at 0.90, new
 * B2 with A1 at 0.95: the full greedy run pairs A1–B2, the seeded one keeps A1–B1 and refuses B2), and
 * a removed record can unblock merges it used to prevent. Instead we use locality: the greedy result
 * on one connected component of the candidate graph depends only on that component's pairs. So only
 * components that gained a record or lost one are re-clustered, with the same greedy rule; every
 * other component keeps its previous entities verbatim. The result equals a full run on the new data
 * (given the same tie order: survivors must keep their relative record order).
 */
import { canonicalClustering } from './clustering.js';
import { assertSources, greedyUnion, pairOrder, sourcePopulations } from './greedy-cluster.js';
import type { EntityGraph } from './greedy-cluster.js';
import { assertPairs, concatPairs, NONE, pairsAtOrAbove } from './scored-pairs.js';
import type { ScoredPairs } from './scored-pairs.js';
import { ConstrainedUnionFind, connectedRoots } from './union-find.js';
import type { Population } from './union-find.js';

export interface EntityUpdate {
  /** Source index per record of the new run. */
  sourceOf: Uint16Array;
  /**
   * Per record of the new run: its record index in the previous graph, or NONE (0xFFFFFFFF) for a
   * new or changed record. Previous records no index points at are removed. Surviving records must
   * keep their relative order (strictly increasing previous indices), so that ties in weight are
   * broken as a full run on the new numbering would break them. The caller decides which new record
   * continues which old one (e.g. byte-identical encoding from the same source).
   */
  previousIndex: Uint32Array;
  /** Scored pairs, new numbering, each with at least one new record. Pairs among survivors are carried over. */
  pairs: ScoredPairs;
  /**
   * Duplicate-free flags per source, when sources were added; must agree with the previous flags on
   * the previous sources (changing a flag changes every entity of the source: cluster from scratch).
   */
  duplicateFree?: readonly boolean[];
  /**
   * Populations per source (undefined: anyone); must agree with the previous ones on the previous
   * sources, as the duplicate-free flags must. Omitted: the previous sources keep theirs, new ones hold anyone.
   */
  populations?: readonly (Population | undefined)[];
}

export function updateEntities(prev: EntityGraph, update: EntityUpdate): EntityGraph {
  const oldN = prev.sourceOf.length;
  const n = update.sourceOf.length;
  const duplicateFree = checkFlags(prev.duplicateFree, update.duplicateFree);
  const populations = checkPopulations(prev.populations, update.populations ?? prev.populations, duplicateFree.length);
  if (update.previousIndex.length !== n) {
    throw new RangeError(`previousIndex holds ${update.previousIndex.length} entries; sourceOf holds ${n}`);
  }
  assertSources(update.sourceOf, duplicateFree);
  assertPairs(update.pairs, n);

  // Survivors: old → new index, checking order and source.
  const newOfOld = new Uint32Array(oldN).fill(NONE);
  let last = -1;
  for (let i = 0; i < n; i++) {
    const p = update.previousIndex[i] as number;
    if (p === NONE) continue;
    if (p >= oldN) throw new RangeError(`record ${i} continues previous record ${p}; there were ${oldN}`);
    if (p <= last) throw new RangeError(`surviving records must keep their previous order (record ${i} continues ${p} after ${last})`);
    if (update.sourceOf[i] !== prev.sourceOf[p]) throw new RangeError(`record ${i} continues previous record ${p} of another source`);
    newOfOld[p] = i;
    last = p;
  }

  // Which records to re-cluster. Component labels: a survivor carries its old component's label
  // (the old root index), a new record its own label oldN + i. Old components that lost a record are
  // dirty, as is every new record; added pairs join labels. Work here is O(records + added pairs):
  // the previous pairs are never traversed as a graph again.
  const carried = carryPairs(prev.pairs, newOfOld);
  const added = pairsAtOrAbove(update.pairs, prev.threshold);
  for (let k = 0; k < added.a.length; k++) {
    if (update.previousIndex[added.a[k] as number] !== NONE && update.previousIndex[added.b[k] as number] !== NONE) {
      throw new RangeError(`pair (${added.a[k]}, ${added.b[k]}) joins two surviving records; their pairs are carried over from the previous run`);
    }
  }
  const labels = oldN + n;
  const labelOf = new Uint32Array(n);
  const dirtyLabel = new Uint8Array(labels);
  for (let r = 0; r < oldN; r++) if (newOfOld[r] === NONE) dirtyLabel[prev.componentOf[r] as number] = 1;
  for (let i = 0; i < n; i++) {
    const p = update.previousIndex[i] as number;
    if (p === NONE) {
      labelOf[i] = oldN + i;
      dirtyLabel[oldN + i] = 1;
    } else {
      labelOf[i] = prev.componentOf[p] as number;
    }
  }
  const labelA = new Uint32Array(added.a.length);
  const labelB = new Uint32Array(added.a.length);
  for (let k = 0; k < added.a.length; k++) {
    labelA[k] = labelOf[added.a[k] as number] as number;
    labelB[k] = labelOf[added.b[k] as number] as number;
  }
  const labelRoot = connectedRoots(labels, labelA, labelB);
  const dirtyRoot = new Uint8Array(labels);
  for (let l = 0; l < labels; l++) if (dirtyLabel[l] === 1) dirtyRoot[labelRoot[l] as number] = 1;
  const dirty = new Uint8Array(n);
  for (let i = 0; i < n; i++) dirty[i] = dirtyRoot[labelRoot[labelOf[i] as number] as number] as number;
  const pairs = concatPairs([carried, added]);

  const uf = new ConstrainedUnionFind(update.sourceOf, duplicateFree, pairs, populations);
  // Clean records keep their previous entities: re-join each to the first record of its old entity.
  const firstOf = new Uint32Array(prev.entities.count).fill(NONE);
  let recomputedRecords = 0;
  for (let i = 0; i < n; i++) {
    if (dirty[i] === 1) {
      recomputedRecords++;
      continue;
    }
    const e = prev.entityOf[update.previousIndex[i] as number] as number;
    const first = firstOf[e] as number;
    if (first === NONE) firstOf[e] = i;
    else if (uf.tryUnion(first, i) === -1) throw new Error(`previous entity ${e} breaks a source constraint (two records of a duplicate-free source, two unlinked records of one source, or an adults-only record with a children-only one)`);
  }

  const inDirty = new Uint8Array(pairs.a.length);
  for (let k = 0; k < pairs.a.length; k++) inDirty[k] = dirty[pairs.a[k] as number] as number;
  const redo = selectPairs(pairs, inDirty);
  const { refused } = greedyUnion(uf, redo, pairOrder(redo));
  const roots = new Uint32Array(n);
  for (let i = 0; i < n; i++) roots[i] = uf.find(i);
  const entities = canonicalClustering(roots, n);
  // Components: clean ones are unchanged (their root survives and keeps its rank in the order);
  // dirty ones are recomputed from their own pairs.
  const dirtyRoots = connectedRoots(n, redo.a, redo.b);
  const componentOf = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    componentOf[i] = dirty[i] === 1 ? (dirtyRoots[i] as number) : (newOfOld[prev.componentOf[update.previousIndex[i] as number] as number] as number);
  }
  return {
    sourceOf: update.sourceOf,
    duplicateFree,
    populations,
    threshold: prev.threshold,
    pairs,
    componentOf,
    entityOf: entities.clusterOf,
    entities,
    stats: {
      pairsAboveThreshold: pairs.a.length,
      merges: n - entities.count,
      refused,
      recomputedRecords,
      recomputedPairs: redo.a.length,
    },
  };
}

function checkFlags(previous: readonly boolean[], next: readonly boolean[] | undefined): readonly boolean[] {
  if (!next) return previous;
  for (let s = 0; s < previous.length; s++) {
    if (next[s] !== previous[s]) throw new RangeError(`source ${s} changed its duplicate-free flag; cluster from scratch`);
  }
  return [...next];
}

function checkPopulations(previous: readonly (Population | undefined)[], next: readonly (Population | undefined)[], sources: number): (Population | undefined)[] {
  const out = sourcePopulations(next, sources);
  // A changed population changes which merges every entity of the source may take: cluster from scratch.
  for (let s = 0; s < previous.length; s++) {
    if (out[s] !== previous[s]) throw new RangeError(`source ${s} changed its population (${previous[s] ?? 'anyone'} → ${out[s] ?? 'anyone'}); cluster from scratch`);
  }
  return out;
}

/** Previous pairs whose two records both survive, in the new numbering (order is kept, so a < b holds). */
function carryPairs(pairs: ScoredPairs, newOfOld: Uint32Array): ScoredPairs {
  let kept = 0;
  for (let k = 0; k < pairs.a.length; k++) {
    if (newOfOld[pairs.a[k] as number] !== NONE && newOfOld[pairs.b[k] as number] !== NONE) kept++;
  }
  const out: ScoredPairs = { a: new Uint32Array(kept), b: new Uint32Array(kept), weight: new Float32Array(kept) };
  let j = 0;
  for (let k = 0; k < pairs.a.length; k++) {
    const a = newOfOld[pairs.a[k] as number] as number;
    const b = newOfOld[pairs.b[k] as number] as number;
    if (a === NONE || b === NONE) continue;
    out.a[j] = a;
    out.b[j] = b;
    out.weight[j] = pairs.weight[k] as number;
    j++;
  }
  return out;
}

function selectPairs(pairs: ScoredPairs, keep: Uint8Array): ScoredPairs {
  let kept = 0;
  for (let k = 0; k < keep.length; k++) kept += keep[k] as number;
  const out: ScoredPairs = { a: new Uint32Array(kept), b: new Uint32Array(kept), weight: new Float32Array(kept) };
  let j = 0;
  for (let k = 0; k < keep.length; k++) {
    if (keep[k] === 0) continue;
    out.a[j] = pairs.a[k] as number;
    out.b[j] = pairs.b[k] as number;
    out.weight[j] = pairs.weight[k] as number;
    j++;
  }
  return out;
}
