/**
 * Households of the linkage engine: each entity's current address from its records, entities grouped
 * by shared address within a postcode block, and household ids stable across runs. Pure: no I/O.
 */
export { entityAddresses } from './entity-address.js';
export type { EntityAddressInput, EntityAddresses } from './entity-address.js';
export { groupHouseholds, representativePairs, sharedAddressPairs } from './group.js';
export type { HouseholdInput, Households } from './group.js';
export { assignHouseholdIds } from './stable-households.js';
export type { HouseholdIdInput } from './stable-households.js';
