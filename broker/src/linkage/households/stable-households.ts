/**
 * Stable household ids: the entity id overlap-matching applied one level up, with entities (named by
 * their stable entity ids) as members. A household that gains a baby or loses a lodger keeps its id.
 */
import { assignStableIds } from '../entities/stable-ids.js';
import type { StableIdResult } from '../entities/stable-ids.js';
import type { Clustering } from '../entities/clustering.js';

export interface HouseholdIdInput {
  households: Clustering;
  /** Stable id per entity (index = entity index of this run). */
  entityIds: readonly string[];
  /** Previous run: entity id → household id. */
  previous: ReadonlyMap<string, string>;
  runId: string;
  mint?: () => string;
}

export function assignHouseholdIds(input: HouseholdIdInput): StableIdResult {
  const args = {
    clusterOf: input.households.clusterOf,
    clusterCount: input.households.count,
    memberKeys: input.entityIds,
    previous: input.previous,
    runId: input.runId,
  };
  return assignStableIds(input.mint ? { ...args, mint: input.mint } : args);
}
