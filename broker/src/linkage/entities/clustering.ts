/** A partition of records (or entities) into clusters, in canonical numbering, with its member lists. */

export interface Clustering {
  /** Cluster index per member, 0..count-1. Clusters are numbered by their smallest member. */
  clusterOf: Uint32Array;
  count: number;
  /** Members of cluster c are members[memberStart[c] .. memberStart[c+1]), ascending. */
  memberStart: Uint32Array;
  members: Uint32Array;
}

/**
 * Canonical clustering from any labelling (e.g. union-find roots): clusters are numbered in order of
 * their smallest member, so two runs that find the same partition produce identical arrays whatever
 * roots the union-find happened to pick.
 */
export function canonicalClustering(labels: ArrayLike<number>, n: number): Clustering {
  const relabel = new Map<number, number>();
  const clusterOf = new Uint32Array(n);
  // Labels from union-find are record indices; a typed table is much faster than a Map for those.
  const dense = new Int32Array(n).fill(-1);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const l = labels[i] as number;
    let c: number;
    if (l < n) {
      c = dense[l] as number;
      if (c < 0) dense[l] = c = count++;
    } else {
      c = relabel.get(l) ?? -1;
      if (c < 0) {
        c = count++;
        relabel.set(l, c);
      }
    }
    clusterOf[i] = c;
  }
  return withMembers(clusterOf, count);
}

/** Member lists of a clustering given cluster index per member (counting sort, ascending members). */
export function withMembers(clusterOf: Uint32Array, count: number): Clustering {
  const n = clusterOf.length;
  const memberStart = new Uint32Array(count + 1);
  for (let i = 0; i < n; i++) {
    const c = clusterOf[i] as number;
    if (c >= count) throw new RangeError(`member ${i} is in cluster ${c}; there are ${count}`);
    memberStart[c + 1] = (memberStart[c + 1] as number) + 1;
  }
  for (let c = 0; c < count; c++) memberStart[c + 1] = (memberStart[c + 1] as number) + (memberStart[c] as number);
  const fill = memberStart.slice(0, count);
  const members = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const c = clusterOf[i] as number;
    const at = fill[c] as number;
    fill[c] = at + 1;
    members[at] = i;
  }
  return { clusterOf, count, memberStart, members };
}

/** Members of one cluster, as a view (no copy). */
export function membersOf(c: Clustering, cluster: number): Uint32Array {
  return c.members.subarray(c.memberStart[cluster] as number, c.memberStart[cluster + 1] as number);
}
