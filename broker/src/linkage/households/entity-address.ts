/**
 * Each entity's current address, chosen among its records' address-level evidence: the postcode
 * block (a keyed postcode blocking token, densely numbered by the caller) and optionally a keyed
 * exact-address token. A household is where people live now, so an entity gets one address, not
 * every address any system ever held for it (that would chain former flatmates into one family).
 */
import type { Clustering } from '../entities/clustering.js';
import { NONE } from '../entities/scored-pairs.js';

export interface EntityAddressInput {
  /** Records → entities (EntityGraph.entities). */
  entities: Clustering;
  /** Postcode block per record; NONE when the record has no usable postcode. */
  postcodeBlock: Uint32Array;
  /** Keyed exact-address token per record (NONE unknown), if the schema has one. */
  addressToken?: Uint32Array;
  /** Per record, larger = more recent (e.g. extract date in days). Needed for prefer 'recent'. */
  recency?: ArrayLike<number>;
  /**
   * 'recent': the newest record with a postcode decides (people move; systems update at different
   * speeds). 'majority': the postcode most of the entity's records agree on. Default: 'recent' when
   * recency is given, else 'majority'. Ties: majority, then recency, then lowest record index.
   */
  prefer?: 'recent' | 'majority';
}

export interface EntityAddresses {
  /** Per entity: the record whose address represents it, or NONE when no record has a postcode. */
  record: Uint32Array;
  /** Per entity: postcode block of that record, or NONE. */
  block: Uint32Array;
  /** Per entity: exact-address token of that record, or NONE. */
  token: Uint32Array;
}

export function entityAddresses(input: EntityAddressInput): EntityAddresses {
  const { entities, postcodeBlock, addressToken, recency } = input;
  const n = entities.clusterOf.length;
  if (postcodeBlock.length !== n)
    throw new RangeError(`postcodeBlock holds ${postcodeBlock.length} values; there are ${n} records`);
  if (addressToken && addressToken.length !== n)
    throw new RangeError(`addressToken holds ${addressToken.length} values; there are ${n} records`);
  if (recency && recency.length !== n)
    throw new RangeError(`recency holds ${recency.length} values; there are ${n} records`);
  const prefer = input.prefer ?? (recency ? 'recent' : 'majority');
  if (prefer === 'recent' && !recency) throw new RangeError("prefer 'recent' needs recency per record");
  const rec = (r: number): number => (recency ? (recency[r] as number) : 0);

  const count = entities.count;
  const record = new Uint32Array(count).fill(NONE);
  const block = new Uint32Array(count).fill(NONE);
  const token = new Uint32Array(count).fill(NONE);
  const votes = new Map<number, number>();
  // Members ascend, so "lowest index" is the incumbent on a full tie. `votes` holds the current entity's counts.
  const better = (r: number, incumbent: number): boolean => {
    const vr = votes.get(postcodeBlock[r] as number) as number;
    const vi = votes.get(postcodeBlock[incumbent] as number) as number;
    const dr = rec(r) - rec(incumbent);
    if (prefer === 'recent') return dr > 0 || (dr === 0 && vr > vi);
    return vr > vi || (vr === vi && dr > 0);
  };
  for (let e = 0; e < count; e++) {
    const from = entities.memberStart[e] as number;
    const to = entities.memberStart[e + 1] as number;
    votes.clear();
    for (let k = from; k < to; k++) {
      const b = postcodeBlock[entities.members[k] as number] as number;
      if (b !== NONE) votes.set(b, (votes.get(b) ?? 0) + 1);
    }
    let best = NONE;
    for (let k = from; k < to; k++) {
      const r = entities.members[k] as number;
      const b = postcodeBlock[r] as number;
      if (b === NONE) continue;
      if (best === NONE || better(r, best)) best = r;
    }
    if (best === NONE) continue;
    record[e] = best;
    block[e] = postcodeBlock[best] as number;
    token[e] = addressToken ? (addressToken[best] as number) : NONE;
  }
  return { record, block, token };
}
