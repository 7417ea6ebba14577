/**
 * Households: entities grouped by shared current address, so family questions (Troubled Families,
 * Supporting Families) can be asked of people who live together.
 *
 * Two entities share a household when their address tokens are equal or their address encodings are
 * similar enough, and only ever within one postcode block: the postcode is the cheap, reliable part
 * of an address, while free-text similarity alone would join neighbouring flats. Linking is
 * single-linkage taken in descending similarity (exact tokens first) with an optional size cap, so a
 * chain of near-identical flat addresses in a large block cannot grow one household without bound.
 */
import { canonicalClustering } from '../entities/clustering.js';
import type { Clustering } from '../entities/clustering.js';
import { pairOrder } from '../entities/greedy-cluster.js';
import { radixOrder } from '../entities/radix-order.js';
import { assertPairs, NONE, pairsAtOrAbove } from '../entities/scored-pairs.js';
import type { ScoredPairs } from '../entities/scored-pairs.js';
import type { EntityAddresses } from './entity-address.js';

export interface HouseholdInput {
  /** Per entity: postcode block (EntityAddresses.block); NONE → a household of its own. */
  block: Uint32Array;
  /** Per entity: exact-address token (EntityAddresses.token); equal tokens in one block link. */
  token?: Uint32Array;
  /**
   * Address similarity between entities (entity indices), e.g. Dice of address field filters of representative records.
   */
  pairs?: ScoredPairs;
  /** Similarity at or above which two entities share an address. Required with pairs. */
  threshold?: number;
  /** Largest household allowed; a link that would exceed it is refused. Default: no cap. */
  maxSize?: number;
}

export interface Households {
  /** Households over entities: clusterOf[entity] = household index, canonical numbering. */
  households: Clustering;
  /** Links refused by the size cap, and links ignored because the two entities are in different postcode blocks. */
  refusedBySize: number;
  crossBlock: number;
}

export function groupHouseholds(input: HouseholdInput): Households {
  const n = input.block.length;
  const maxSize = input.maxSize ?? Infinity;
  if (!(maxSize >= 1)) throw new RangeError('maxSize must be at least 1');
  const parent = new Uint32Array(n);
  const size = new Uint32Array(n).fill(1);
  for (let i = 0; i < n; i++) parent[i] = i;
  const find = (x: number): number => {
    while (parent[x] !== x) {
      const up = parent[parent[x] as number] as number;
      parent[x] = up;
      x = up;
    }
    return x;
  };
  let refusedBySize = 0;
  const link = (x: number, y: number): void => {
    let rx = find(x);
    let ry = find(y);
    if (rx === ry) return;
    if ((size[rx] as number) + (size[ry] as number) > maxSize) {
      refusedBySize++;
      return;
    }
    if ((size[rx] as number) < (size[ry] as number)) [rx, ry] = [ry, rx];
    parent[ry] = rx;
    size[rx] = (size[rx] as number) + (size[ry] as number);
  };

  // Exact tokens first: sort entities by (block, token) and link runs of equal, known values.
  if (input.token) {
    const token = input.token;
    if (token.length !== n) throw new RangeError(`token holds ${token.length} values; block holds ${n}`);
    const order = radixOrder(n, [token, input.block]);
    for (let k = 1; k < n; k++) {
      const i = order[k - 1] as number;
      const j = order[k] as number;
      if (input.block[i] === NONE || token[i] === NONE) continue;
      if (input.block[i] === input.block[j] && token[i] === token[j]) link(i, j);
    }
  }

  let crossBlock = 0;
  if (input.pairs) {
    if (input.threshold === undefined || Number.isNaN(input.threshold))
      throw new RangeError('threshold is required with pairs');
    assertPairs(input.pairs, n, 'household pairs');
    const pairs = pairsAtOrAbove(input.pairs, input.threshold);
    const order = pairOrder(pairs);
    for (let k = 0; k < order.length; k++) {
      const p = order[k] as number;
      const a = pairs.a[p] as number;
      const b = pairs.b[p] as number;
      const ba = input.block[a] as number;
      if (ba === NONE || ba !== input.block[b]) {
        crossBlock++;
        continue;
      }
      link(a, b);
    }
  }
  const roots = new Uint32Array(n);
  for (let i = 0; i < n; i++) roots[i] = find(i);
  return { households: canonicalClustering(roots, n), refusedBySize, crossBlock };
}

/**
 * Record-level address similarity pairs (e.g. from the Dice kernel on address field filters within
 * postcode blocks) lifted to entities: only pairs between two entities' representative records count.
 */
export function representativePairs(
  recordPairs: ScoredPairs,
  addresses: EntityAddresses,
  recordCount: number,
): ScoredPairs {
  assertPairs(recordPairs, recordCount, 'address pairs');
  const entityOfRep = new Uint32Array(recordCount).fill(NONE);
  for (let e = 0; e < addresses.record.length; e++) {
    const r = addresses.record[e] as number;
    if (r !== NONE) entityOfRep[r] = e;
  }
  let kept = 0;
  for (let k = 0; k < recordPairs.a.length; k++) {
    const ea = entityOfRep[recordPairs.a[k] as number] as number;
    const eb = entityOfRep[recordPairs.b[k] as number] as number;
    if (ea !== NONE && eb !== NONE && ea !== eb) kept++;
  }
  const out: ScoredPairs = { a: new Uint32Array(kept), b: new Uint32Array(kept), weight: new Float32Array(kept) };
  let j = 0;
  for (let k = 0; k < recordPairs.a.length; k++) {
    const ea = entityOfRep[recordPairs.a[k] as number] as number;
    const eb = entityOfRep[recordPairs.b[k] as number] as number;
    if (ea === NONE || eb === NONE || ea === eb) continue;
    out.a[j] = ea;
    out.b[j] = eb;
    out.weight[j] = recordPairs.weight[k] as number;
    j++;
  }
  return out;
}

/**
 * Entities with any record at one exact address of their current postcode block: one system writes
 * "Flat 2, 10 High St" and another "10 High Street, Flat 2", so two co-residents whose chosen
 * records come from different systems would otherwise be two households (on the synthetic agencies,
 * over half of the household pairs missed). Only records at the entity's current postcode count: an
 * old address elsewhere never joins a former flatmate.
 */
export function sharedAddressPairs(
  entities: Clustering,
  entityBlock: Uint32Array,
  postcodeBlock: Uint32Array,
  addressToken: Uint32Array,
): ScoredPairs {
  const at = new Map<string, number>();
  const a: number[] = [];
  const b: number[] = [];
  for (let e = 0; e < entities.count; e++) {
    const block = entityBlock[e]!;
    if (block === NONE) continue;
    for (let k = entities.memberStart[e]!; k < entities.memberStart[e + 1]!; k++) {
      const r = entities.members[k]!;
      if (postcodeBlock[r] !== block || addressToken[r] === NONE) continue;
      const key = `${block}:${addressToken[r]}`;
      const first = at.get(key);
      if (first === undefined) at.set(key, e);
      else if (first !== e) {
        a.push(first);
        b.push(e);
      }
    }
  }
  return { a: Uint32Array.from(a), b: Uint32Array.from(b), weight: new Float32Array(a.length).fill(1) };
}
