/**
 * Stable ids across runs, for entities (members = records) and households (members = entities).
 *
 * Each cluster of the new run takes the previous id that most of its members carried, by
 * maximum-overlap matching: candidate (cluster, previous id) pairs are taken in descending overlap
 * and each previous id is given to at most one cluster (greedy, like the entity solver; ties go to
 * the lower cluster index, then to the id first seen). Clusters left without an id get a freshly
 * minted random one. Unchanged data therefore keeps every id, a cluster that grew keeps its id, and
 * only clusters that really changed shape emit events. Members are named by caller-chosen stable
 * keys: row tokens are random per encoding run, so the caller maps a new record that continues an
 * old one (e.g. byte-identical encoding from the same source) to the old record's key.
 */
import { randomBytes } from 'node:crypto';
import { withMembers } from './clustering.js';
import { NONE } from './scored-pairs.js';

/** A fresh 128-bit random id, base64url (22 characters). Carries no information about its members. */
export function newOpaqueId(): string {
  return randomBytes(16).toString('base64url');
}

export type IdEvent =
  /** A cluster none of whose members carried a previous id. */
  | { kind: 'created'; runId: string; entityIds: string[]; id: string }
  /** A cluster holding members of two or more previous clusters; `id` may be one of `from`. */
  | { kind: 'merged'; runId: string; entityIds: string[]; id: string; from: string[] }
  /** A previous cluster whose members went to two or more clusters; `into` may contain `from`. */
  | { kind: 'split'; runId: string; entityIds: string[]; from: string; into: string[] }
  /** A previous id no cluster carries any more; `into` lists where its members went (empty: all removed). */
  | { kind: 'retired'; runId: string; entityIds: string[]; id: string; into: string[] };

export interface StableIdInput {
  /** Cluster index per member of this run, 0..clusterCount-1. */
  clusterOf: Uint32Array;
  clusterCount: number;
  /** Stable key per member (e.g. "source:row" for records, the entity id for households). */
  memberKeys: readonly string[];
  /** Previous run's assignment: member key → cluster id. Empty on the first run. */
  previous: ReadonlyMap<string, string>;
  /** Recorded on every event, so merges and splits can be traced to the run that caused them. */
  runId: string;
  /** Id factory; defaults to newOpaqueId. Injected by tests for reproducible ids. */
  mint?: () => string;
}

/**
 * The same assignment without string keys, for a caller that holds the previous clustering (an
 * incremental run, which already knows which record continues which).
 */
export interface IndexedStableIdInput {
  clusterOf: Uint32Array;
  clusterCount: number;
  /** Per member: its cluster index in the previous run, or NONE (0xFFFFFFFF) for a new member. */
  previousClusterOf: Uint32Array;
  /** Id per previous cluster. */
  previousIds: readonly string[];
  runId: string;
  mint?: () => string;
}

export interface StableIdResult {
  /** Id per cluster. */
  ids: string[];
  events: IdEvent[];
  /** Clusters that kept a previous id, and clusters given a fresh one. */
  kept: number;
  minted: number;
}

/** Stable ids from a key → previous id map (see the module comment). */
export function assignStableIds(input: StableIdInput): StableIdResult {
  const { clusterOf, memberKeys, previous } = input;
  const n = clusterOf.length;
  if (memberKeys.length !== n) throw new RangeError(`memberKeys holds ${memberKeys.length} keys; clusterOf holds ${n}`);
  // Previous ids, densely numbered in order of first appearance among this run's members.
  const oldIndex = new Map<string, number>();
  const oldIds: string[] = [];
  const oldOf = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const id = previous.get(memberKeys[i] as string);
    if (id === undefined) continue;
    let o = oldIndex.get(id);
    if (o === undefined) {
      o = oldIds.length;
      oldIndex.set(id, o);
      oldIds.push(id);
    }
    oldOf[i] = o;
  }
  const gone = new Set<string>();
  for (const id of previous.values()) if (!oldIndex.has(id)) gone.add(id);
  return matchIds(
    input.clusterOf,
    input.clusterCount,
    oldOf,
    oldIds,
    [...gone],
    input.runId,
    input.mint ?? newOpaqueId,
  );
}

/** Stable ids from the previous cluster index per member; same result as assignStableIds on equivalent input. */
export function assignStableIdsIndexed(input: IndexedStableIdInput): StableIdResult {
  const { clusterOf, previousClusterOf, previousIds } = input;
  const n = clusterOf.length;
  if (previousClusterOf.length !== n)
    throw new RangeError(`previousClusterOf holds ${previousClusterOf.length} values; clusterOf holds ${n}`);
  const dense = new Int32Array(previousIds.length).fill(-1);
  const oldIds: string[] = [];
  const oldOf = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const p = previousClusterOf[i] as number;
    if (p === NONE) continue;
    if (p >= previousIds.length)
      throw new RangeError(`member ${i} names previous cluster ${p}; there were ${previousIds.length}`);
    let o = dense[p] as number;
    if (o < 0) {
      o = oldIds.length;
      dense[p] = o;
      oldIds.push(previousIds[p] as string);
    }
    oldOf[i] = o;
  }
  const gone: string[] = [];
  for (let p = 0; p < previousIds.length; p++) if (dense[p] === -1) gone.push(previousIds[p] as string);
  return matchIds(clusterOf, input.clusterCount, oldOf, oldIds, gone, input.runId, input.mint ?? newOpaqueId);
}

/**
 * The matching itself. oldOf: dense previous-id index per member (-1: none), numbered by first
 * appearance; gone: previous ids no member carries any more.
 */
function matchIds(
  clusterOf: Uint32Array,
  clusterCount: number,
  oldOf: Int32Array,
  oldIds: readonly string[],
  gone: readonly string[],
  runId: string,
  mint: () => string,
): StableIdResult {
  const triples = overlapTriples(clusterOf, clusterCount, oldOf, oldIds.length);
  const { ids, keptBy, kept } = keepIds(triples, clusterCount, oldIds, mint);
  const events = [
    ...clusterEvents(triples, clusterCount, ids, oldIds, runId),
    ...previousIdEvents(triples, keptBy, ids, oldIds, runId),
  ];
  for (const id of gone) events.push({ kind: 'retired', runId, entityIds: [id], id, into: [] });
  return { ids, events, kept, minted: clusterCount - kept };
}

/** How many members each cluster shares with each previous id: triples grouped by cluster, in cluster order. */
interface Overlaps {
  cluster: Uint32Array;
  old: Uint32Array;
  count: Uint32Array;
  /** Triples number: clusterStart[c] up to clusterStart[c + 1] belong to cluster c. */
  clusterStart: Uint32Array;
  length: number;
  maxCount: number;
}

/** Overlap triples (cluster, old, count), within a cluster by first appearance. At most one per member. */
function overlapTriples(clusterOf: Uint32Array, clusterCount: number, oldOf: Int32Array, oldCount: number): Overlaps {
  const n = clusterOf.length;
  const { memberStart, members } = withMembers(clusterOf, clusterCount);
  const tCluster = new Uint32Array(n);
  const tOld = new Uint32Array(n);
  const tCount = new Uint32Array(n);
  const clusterStart = new Uint32Array(clusterCount + 1);
  const stamp = new Int32Array(oldCount).fill(-1);
  const slot = new Uint32Array(oldCount);
  let t = 0;
  let maxCount = 0;
  for (let c = 0; c < clusterCount; c++) {
    clusterStart[c] = t;
    for (let k = memberStart[c] as number; k < (memberStart[c + 1] as number); k++) {
      const o = oldOf[members[k] as number] as number;
      if (o < 0) continue;
      if (stamp[o] !== c) {
        stamp[o] = c;
        slot[o] = t;
        tCluster[t] = c;
        tOld[t] = o;
        tCount[t] = 0;
        t++;
      }
      const s = slot[o] as number;
      const v = (tCount[s] as number) + 1;
      tCount[s] = v;
      if (v > maxCount) maxCount = v;
    }
  }
  clusterStart[clusterCount] = t;
  return { cluster: tCluster, old: tOld, count: tCount, clusterStart, length: t, maxCount };
}

/** Triple indices by overlap, descending; a counting sort, stable (cluster order, then first appearance). */
function byOverlapDescending(tr: Overlaps): Uint32Array {
  const { maxCount, length: t, count } = tr;
  const start = new Uint32Array(maxCount + 2);
  for (let k = 0; k < t; k++) {
    const d = maxCount - (count[k] as number) + 1;
    start[d] = (start[d] as number) + 1;
  }
  for (let d = 1; d < start.length; d++) start[d] = (start[d] as number) + (start[d - 1] as number);
  const order = new Uint32Array(t);
  for (let k = 0; k < t; k++) {
    const d = maxCount - (count[k] as number);
    const at = start[d] as number;
    start[d] = at + 1;
    order[at] = k;
  }
  return order;
}

/**
 * Largest overlap first, each cluster keeps at most one previous id and each previous id goes to at
 * most one cluster; the clusters left over get new ids, minted in cluster order.
 */
function keepIds(
  tr: Overlaps,
  clusterCount: number,
  oldIds: readonly string[],
  mint: () => string,
): { ids: string[]; keptBy: Int32Array; kept: number } {
  const order = byOverlapDescending(tr);
  const ids = new Array<string>(clusterCount);
  const clusterHasId = new Uint8Array(clusterCount);
  const keptBy = new Int32Array(oldIds.length).fill(-1);
  let kept = 0;
  for (let j = 0; j < tr.length; j++) {
    const k = order[j] as number;
    const c = tr.cluster[k] as number;
    const o = tr.old[k] as number;
    if (clusterHasId[c] === 1 || (keptBy[o] as number) >= 0) continue;
    clusterHasId[c] = 1;
    keptBy[o] = c;
    ids[c] = oldIds[o] as string;
    kept++;
  }
  for (let c = 0; c < clusterCount; c++) if (clusterHasId[c] === 0) ids[c] = mint();
  return { ids, keptBy, kept };
}

/** Per cluster, in cluster order: created (no previous id) or merged (two or more). */
function clusterEvents(
  tr: Overlaps,
  clusterCount: number,
  ids: readonly string[],
  oldIds: readonly string[],
  runId: string,
): IdEvent[] {
  const events: IdEvent[] = [];
  for (let c = 0; c < clusterCount; c++) {
    const from = tr.clusterStart[c] as number;
    const to = tr.clusterStart[c + 1] as number;
    const id = ids[c] as string;
    if (from === to) {
      events.push({ kind: 'created', runId, entityIds: [id], id });
    } else if (to - from >= 2) {
      const olds: string[] = [];
      for (let k = from; k < to; k++) olds.push(oldIds[tr.old[k] as number] as string);
      events.push({ kind: 'merged', runId, entityIds: unique([id, ...olds]), id, from: olds });
    }
  }
  return events;
}

/** Per previous id, in its order: split (into two or more clusters) and retired (no cluster kept it). */
function previousIdEvents(
  tr: Overlaps,
  keptBy: Int32Array,
  ids: readonly string[],
  oldIds: readonly string[],
  runId: string,
): IdEvent[] {
  const oldCount = oldIds.length;
  const t = tr.length;
  // Triples grouped by previous id (counting sort).
  const oldStart = new Uint32Array(oldCount + 1);
  for (let k = 0; k < t; k++) oldStart[(tr.old[k] as number) + 1] = (oldStart[(tr.old[k] as number) + 1] as number) + 1;
  for (let o = 0; o < oldCount; o++) oldStart[o + 1] = (oldStart[o + 1] as number) + (oldStart[o] as number);
  const fill = oldStart.slice(0, oldCount);
  const byOld = new Uint32Array(t);
  for (let k = 0; k < t; k++) {
    const o = tr.old[k] as number;
    const at = fill[o] as number;
    fill[o] = at + 1;
    byOld[at] = tr.cluster[k] as number;
  }
  const events: IdEvent[] = [];
  for (let o = 0; o < oldCount; o++) {
    const from = oldStart[o] as number;
    const to = oldStart[o + 1] as number;
    const kept = (keptBy[o] as number) >= 0;
    if (to - from < 2 && kept) continue;
    const old = oldIds[o] as string;
    const into: string[] = [];
    for (let k = from; k < to; k++) into.push(ids[byOld[k] as number] as string);
    if (into.length >= 2) events.push({ kind: 'split', runId, entityIds: unique([old, ...into]), from: old, into });
    if (!kept) events.push({ kind: 'retired', runId, entityIds: [old], id: old, into });
  }
  return events;
}

/** The assignment to hand to the next run as `previous`: member key → id of its cluster. */
export function assignmentOf(
  memberKeys: readonly string[],
  clusterOf: Uint32Array,
  ids: readonly string[],
): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < clusterOf.length; i++) out.set(memberKeys[i] as string, ids[clusterOf[i] as number] as string);
  return out;
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
