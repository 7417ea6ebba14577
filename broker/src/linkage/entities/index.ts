/**
 * Entity resolution of the linkage engine: scored pairs from any number of sources → entities
 * (greedy constrained union) → stable entity ids with merge/split events.
 * Pure: no I/O (fresh ids come from the CSPRNG unless a factory is injected).
 */
export type { ScoredPairs } from './scored-pairs.js';
export { NONE, pairsAtOrAbove, concatPairs } from './scored-pairs.js';
export type { Clustering } from './clustering.js';
export { canonicalClustering, withMembers, membersOf } from './clustering.js';
export { clusterEntities, greedyUnion, pairOrder } from './greedy-cluster.js';
export type { EntityInput, EntityGraph, ClusterStats } from './greedy-cluster.js';
export { assignStableIds, assignStableIdsIndexed, assignmentOf, newOpaqueId } from './stable-ids.js';
export type { IdEvent, StableIdInput, IndexedStableIdInput, StableIdResult } from './stable-ids.js';
export { ConstrainedUnionFind } from './union-find.js';
export type { Population } from './union-find.js';
export { radixOrder, descendingFloatKeys } from './radix-order.js';
export { TORN_MARGIN, tornPairs, withoutPairs, withTorn } from './torn.js';
export type { Torn, TornInput } from './torn.js';
