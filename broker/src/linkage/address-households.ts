import { NONE, type EntityGraph, type IdEvent } from './entities/index.js';
import { assignHouseholdIds, entityAddresses, groupHouseholds, sharedAddressPairs } from './households/index.js';
import type { PreparedSources } from './prepare.js';
import type { EngineOptions } from './types.js';

/**
 * The engine's household stage: entities grouped by exact postcode filter, then by exact address (any
 * of their records there) within it, with household ids kept stable against the previous run.
 */
export function groupByAddress(
  prep: PreparedSources,
  graph: Pick<EntityGraph, 'entityOf' | 'entities'>,
  entityIds: string[],
  opts: Pick<EngineOptions, 'maxHouseholdSize' | 'previousHouseholds' | 'runId'>,
): { householdIds: string[]; households: number; events: IdEvent[] } {
  if (!prep.fieldNames.includes('postcode'))
    return { householdIds: new Array(prep.total).fill(''), households: 0, events: [] };
  // A keyed encoding is deterministic: the same normalised postcode gives the same filter bytes, so
  // the bytes themselves are a postcode block the broker can form without learning the postcode.
  const { postcodeBlock, addressToken } = prep;
  const addresses = entityAddresses({ entities: graph.entities, postcodeBlock, addressToken });

  // Exact address within a postcode only: "1 Tyne Gardens" and "2 Tyne Gardens" differ by one
  // bigram, so a fuzzy address link chains a whole street into one household. Systems lay one
  // address out differently, so any of an entity's records at its current postcode may match.
  const grouped = groupHouseholds({
    block: addresses.block,
    token: addresses.token,
    pairs: sharedAddressPairs(graph.entities, addresses.block, postcodeBlock, addressToken),
    threshold: 1,
    maxSize: opts.maxHouseholdSize ?? 20,
  });
  const hh = assignHouseholdIds({
    households: grouped.households,
    entityIds,
    previous: opts.previousHouseholds ?? new Map(),
    runId: opts.runId,
  });
  const householdOfEntity = (e: number) =>
    addresses.block[e] === NONE ? '' : hh.ids[grouped.households.clusterOf[e]!]!;
  return { householdIds: Array.from(graph.entityOf, householdOfEntity), households: hh.ids.length, events: hh.events };
}
