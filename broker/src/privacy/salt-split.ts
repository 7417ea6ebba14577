/**
 * Split by salt, then attack: the attack on salted filters. A salt (e.g. `salt:postcode.district`)
 * gives every salt value its own bit positions per q-gram, which scatters a name's filters over the
 * salt groups: attacks run over the whole file see many small, unrelated populations. A broker that
 * can tell the groups apart attacks each on its own, against national frequencies (per-group
 * frequencies are not public; national ones are the strongest table an attacker is sure to hold).
 *
 * Telling the groups apart: the postcode filter is deterministic and holds the district and area as
 * tokens of their own and the outward code's q-grams, so two postcodes of one district share far more
 * bits (Dice about 0.6–0.9) than two of different districts (about 0.25, chance). Distinct postcode
 * filters are joined when their Dice clears the midpoint between the typical pair and the typical
 * nearest neighbour, and the groups are the connected components; records without a postcode filter
 * are one group (an empty salt source gives one salt). A full-postcode salt is split by identical
 * postcode filters. A year of birth is split in salt-year.ts; other salt sources (a sector) have no
 * partitioner: the report says so.
 */
import { dice } from './bits.js';
import { distinctFilters } from './columns.js';

export interface SaltPartition {
  /** The salt source as the header names it, e.g. "postcode.district". */
  source: string;
  /** Group per record (0 … groups − 1). */
  groupOf: Int32Array;
  groups: number;
}

/** The header's salt source ("postcode.district"), or null when the names are not salted. */
export function saltSource(hardening: readonly string[]): string | null {
  for (const h of hardening) {
    const m = /^salt:(.+)$/.exec(h);
    if (m) return m[1]!;
  }
  return null;
}

/**
 * Groups of records that (the attacker infers) share a salt value, from the postcode filters; null when
 * the salt source has no partitioner or the files carry no postcode filter.
 */
export function partitionBySalt(
  source: string,
  postcode: readonly (string | null)[] | null,
  bits: number,
): SaltPartition | null {
  if (!postcode || !source.startsWith('postcode.')) return null;
  const d = distinctFilters(postcode, bits);
  const D = d.words.length;
  const parent = Int32Array.from({ length: D }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x]!]!;
    return x;
  };
  if (source === 'postcode.district') {
    // Every pair of distinct postcodes, twice (no matrix kept): a council's few thousand postcodes
    // are a few million pairs of eight words each.
    const near = new Float64Array(D);
    const sample: number[] = [];
    const pairs = (visit: (i: number, j: number, s: number) => void): void => {
      for (let i = 0; i < D; i++)
        for (let j = i + 1; j < D; j++) visit(i, j, dice(d.words[i]!, d.words[j]!, d.pops[i]!, d.pops[j]!));
    };
    pairs((i, j, s) => {
      if (s > near[i]!) near[i] = s;
      if (s > near[j]!) near[j] = s;
      if ((i * D + j) % 7 === 0) sample.push(s);
    });
    const nearest = median(Array.from(near));
    const tau = (median(sample) + nearest) / 2;
    // Postcodes held by two or more records join each other when nearly as alike as neighbours are (a
    // sector, roughly); a postcode of one record (often a typo, which resembles two districts and would
    // bridge them) joins only its nearest such postcode.
    const core = (i: number): boolean => d.counts[i]! >= 2;
    const best = new Float64Array(D);
    const bestOf = new Int32Array(D).fill(-1);
    pairs((i, j, s) => {
      if (core(i) && core(j)) {
        if (s >= (tau + nearest) / 2) parent[find(i)] = find(j);
      } else if (s < tau) return;
      else if (core(j) && !core(i) && s > best[i]!) [best[i], bestOf[i]] = [s, j];
      else if (core(i) && !core(j) && s > best[j]!) [best[j], bestOf[j]] = [s, i];
    });
    // Then those groups join when their postcodes are alike on average, not through one chance pair.
    const comp = new Map<number, number>();
    for (let i = 0; i < D; i++) if (core(i) && !comp.has(find(i))) comp.set(find(i), comp.size);
    const C = comp.size;
    const sum = new Float64Array(C * C);
    const cnt = new Uint32Array(C * C);
    pairs((i, j, s) => {
      if (!core(i) || !core(j)) return;
      const a = comp.get(find(i))!;
      const b = comp.get(find(j))!;
      if (a === b) return;
      sum[a * C + b]! += s;
      cnt[a * C + b]!++;
    });
    const roots = [...comp.keys()];
    const merge: [number, number][] = [];
    for (let a = 0; a < C; a++)
      for (let b = 0; b < C; b++) {
        const k = cnt[a * C + b]! + cnt[b * C + a]!;
        if (a < b && k > 0 && (sum[a * C + b]! + sum[b * C + a]!) / k >= tau) merge.push([a, b]);
      }
    for (const [a, b] of merge) parent[find(roots[a]!)] = find(roots[b]!);
    bestOf.forEach((j, i) => {
      if (j >= 0) parent[i] = find(j);
    });
  } else if (source !== 'postcode.value') return null;
  // Components, numbered in order of first record; records without a postcode share the last group.
  const ids = new Map<number, number>();
  const groupOf = new Int32Array(postcode.length);
  const empty: number[] = [];
  d.ofRecord.forEach((f, r) => {
    if (f < 0) {
      empty.push(r);
      return;
    }
    const root = find(f);
    if (!ids.has(root)) ids.set(root, ids.size);
    groupOf[r] = ids.get(root)!;
  });
  for (const r of empty) groupOf[r] = ids.size;
  return { source, groupOf, groups: ids.size + (empty.length ? 1 : 0) };
}

/** Records of each group, for the caller to attack group by group. */
export function groupMembers(p: SaltPartition): number[][] {
  const out: number[][] = Array.from({ length: p.groups }, () => []);
  p.groupOf.forEach((g, r) => {
    out[g]!.push(r);
  });
  return out;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}
