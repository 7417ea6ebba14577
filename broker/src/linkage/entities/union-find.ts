/**
 * Who a source can hold: only people aged 18 or over ('adults', e.g. council-tax liable persons), or
 * only people under 18 ('children', e.g. school pupils); undefined when it may hold anyone.
 */
export type Population = 'adults' | 'children';

/** Population bits of a cluster: it holds a record of an adults-only source, of a children-only one. */
const ADULTS = 1;
const CHILDREN = 2;

/**
 * Union-find over records with, per cluster, the set of duplicate-free sources it already holds, as a
 * bitmask (one 32-bit word per 32 duplicate-free sources). The one-record-per-duplicate-free-source
 * rule is then a word-wise AND at merge time: no per-cluster source lists, no allocation per merge.
 *
 * A source that may hold duplicates gets a weaker rule when the linking pairs are given: two of its
 * records share a cluster only if they link to each other directly. Duplicates inside a source are
 * near-copies of one person and compare as such; without the rule, one record that cannot tell two
 * people apart (a council-tax row without a date of birth, "John Smith" at an address where father
 * and son both live) would chain them into one entity through another source.
 *
 * Sources may also declare a population (adults only, children only): a cluster never holds records
 * of both, since no person is both. That settles the same father-and-son tie from the other side:
 * once the son's GP record has joined his school record, the council-tax row can only join the father.
 *
 * Parent, rank and masks of a record sit next to each other in one array: pairs arrive in weight
 * order, i.e. at random records, so each record touched should cost one cache miss, not three.
 */
export class ConstrainedUnionFind {
  readonly size: number;
  /**
   * node[x * stride]: parent; node[x * stride + 1]: rank; then `words` duplicate-free mask words and,
   * when some source declares a population, one population word (ADULTS | CHILDREN); masks valid at roots.
   */
  private readonly node: Uint32Array;
  private readonly stride: number;
  private readonly words: number;
  /** Mask words ORed together at a merge: the duplicate-free words and the population word if any. */
  private readonly maskWords: number;
  /** Offset of the population word in a node, or -1 when no source declares a population. */
  private readonly populationAt: number;
  /** Circular member list per cluster (next member), and the directly linked pairs; only with `linked`. */
  private readonly next: Uint32Array | null;
  private readonly linked: Set<number> | null;
  private readonly sourceOf: Uint16Array;
  private readonly duplicateFree: readonly boolean[];
  private readonly apart: ((x: number, y: number) => boolean) | null;

  /**
   * @param sourceOf source index per record
   * @param duplicateFree per source index: true when the source holds at most one record per person
   * @param linked the pairs that may link (a < b): records of one source that may hold duplicates
   *   then share a cluster only when they are such a pair themselves
   * @param populations per source index: who the source can hold (undefined or missing: anyone)
   * @param apart records that are two people on direct evidence: no cluster holds both, whatever chain joins them
   */
  constructor(
    sourceOf: Uint16Array,
    duplicateFree: readonly boolean[],
    linked?: { a: Uint32Array; b: Uint32Array },
    populations?: readonly (Population | undefined)[],
    apart?: (x: number, y: number) => boolean,
  ) {
    const n = sourceOf.length;
    this.size = n;
    this.sourceOf = sourceOf;
    this.duplicateFree = duplicateFree;
    this.apart = apart ?? null;
    this.linked = null;
    this.next = null;
    // The rule concerns sources that may hold duplicates; with none, nothing is kept for it.
    if (linked && duplicateFree.some((d) => !d)) {
      // Only pairs inside one source are ever looked up.
      const set = new Set<number>();
      for (let k = 0; k < linked.a.length; k++) {
        const a = linked.a[k] as number;
        const b = linked.b[k] as number;
        if (sourceOf[a] === sourceOf[b] && !duplicateFree[sourceOf[a] as number])
          set.add(a < b ? a * n + b : b * n + a);
      }
      this.linked = set;
    }
    // Member lists serve both member walks: unlinked duplicates and records kept apart.
    if (this.linked || this.apart) {
      this.next = new Uint32Array(n);
      for (let i = 0; i < n; i++) this.next[i] = i;
    }
    const bitOf = new Int32Array(duplicateFree.length).fill(-1);
    let bits = 0;
    for (let s = 0; s < duplicateFree.length; s++) if (duplicateFree[s]) bitOf[s] = bits++;
    const populationBit = populationBits(populations ?? [], duplicateFree.length);
    const words = Math.ceil(bits / 32);
    // Like the linked set, the population word is kept only when some source declares one.
    const hasPopulations = populationBit.some((b) => b !== 0);
    const stride = 2 + words + (hasPopulations ? 1 : 0);
    this.words = words;
    this.maskWords = stride - 2;
    this.populationAt = hasPopulations ? 2 + words : -1;
    this.stride = stride;
    const node = new Uint32Array(n * stride);
    this.node = node;
    for (let i = 0; i < n; i++) {
      node[i * stride] = i;
      const s = sourceOf[i] as number;
      if (s >= bitOf.length)
        throw new RangeError(`record ${i} names source ${s}; only ${bitOf.length} sources are declared`);
      const bit = bitOf[s] as number;
      if (bit >= 0) node[i * stride + 2 + (bit >>> 5)] = 1 << (bit & 31);
      if (hasPopulations) node[i * stride + 2 + words] = populationBit[s] as number;
    }
  }

  find(x: number): number {
    const node = this.node;
    const stride = this.stride;
    // Path halving: every other node on the path points to its grandparent.
    let p = node[x * stride] as number;
    while (p !== x) {
      const up = node[p * stride] as number;
      node[x * stride] = up;
      x = up;
      p = node[x * stride] as number;
    }
    return x;
  }

  /** True when the two clusters (given by roots) hold records of a common duplicate-free source. */
  conflicts(ra: number, rb: number): boolean {
    const node = this.node;
    const oa = ra * this.stride + 2;
    const ob = rb * this.stride + 2;
    for (let k = 0; k < this.words; k++) if (((node[oa + k] as number) & (node[ob + k] as number)) !== 0) return true;
    return false;
  }

  /**
   * True when one of the two clusters (given by roots) holds an adults-only record and the other a children-only one.
   */
  mixesPopulations(ra: number, rb: number): boolean {
    const at = this.populationAt;
    if (at < 0) return false;
    const node = this.node;
    return ((node[ra * this.stride + at] as number) | (node[rb * this.stride + at] as number)) === (ADULTS | CHILDREN);
  }

  /**
   * True when a record of A and a record of B come from one source that may hold duplicates, yet are not linked
   * directly.
   */
  private unconfirmed(ra: number, rb: number): boolean {
    const next = this.next;
    const linked = this.linked;
    if (!next || !linked) return false;
    const n = this.size;
    let x = ra;
    do {
      const s = this.sourceOf[x] as number;
      if (!this.duplicateFree[s]) {
        let y = rb;
        do {
          if (this.sourceOf[y] === s && !linked.has(x < y ? x * n + y : y * n + x)) return true;
          y = next[y] as number;
        } while (y !== rb);
      }
      x = next[x] as number;
    } while (x !== ra);
    return false;
  }

  /** True when a record of A and a record of B are two people on direct evidence. */
  private separated(ra: number, rb: number): boolean {
    const next = this.next;
    const apart = this.apart;
    if (!next || !apart) return false;
    let x = ra;
    do {
      let y = rb;
      do {
        if (apart(x, y)) return true;
        y = next[y] as number;
      } while (y !== rb);
      x = next[x] as number;
    } while (x !== ra);
    return false;
  }

  /** Merge two distinct roots unconditionally; returns the new root. */
  unionRoots(ra: number, rb: number): number {
    const node = this.node;
    const stride = this.stride;
    const rka = node[ra * stride + 1] as number;
    const rkb = node[rb * stride + 1] as number;
    let root = ra;
    let child = rb;
    if (rka < rkb) {
      root = rb;
      child = ra;
    } else if (rka === rkb) {
      node[ra * stride + 1] = rka + 1;
    }
    node[child * stride] = root;
    const or = root * stride + 2;
    const oc = child * stride + 2;
    for (let k = 0; k < this.maskWords; k++) node[or + k] = (node[or + k] as number) | (node[oc + k] as number);
    const next = this.next;
    if (next) {
      // Splice the two circular member lists.
      const t = next[ra] as number;
      next[ra] = next[rb] as number;
      next[rb] = t;
    }
    return root;
  }

  /**
   * Merge the clusters of x and y unless that would put two records of one duplicate-free source in
   * one cluster, an adults-only record with a children-only one, or two records of another source
   * that do not link directly, or two records that direct evidence keeps apart. Returns 1 when merged,
   * 0 when already together, -1 when refused.
   */
  tryUnion(x: number, y: number): 1 | 0 | -1 {
    const ra = this.find(x);
    const rb = this.find(y);
    if (ra === rb) return 0;
    // The mask checks are a few word operations; the member walk of unconfirmed() goes last.
    if (this.conflicts(ra, rb) || this.mixesPopulations(ra, rb) || this.unconfirmed(ra, rb) || this.separated(ra, rb))
      return -1;
    this.unionRoots(ra, rb);
    return 1;
  }
}

/**
 * Population bit per source index (0: anyone); refuses a value that is not a population, or a source beyond `sources`.
 */
function populationBits(populations: readonly (Population | undefined)[], sources: number): Uint32Array {
  if (populations.length > sources)
    throw new RangeError(`populations are given for ${populations.length} sources; only ${sources} are declared`);
  const out = new Uint32Array(sources);
  for (let s = 0; s < populations.length; s++) {
    const p = populations[s];
    if (p === undefined) continue;
    if (p === 'adults') out[s] = ADULTS;
    else if (p === 'children') out[s] = CHILDREN;
    else
      throw new RangeError(
        `source ${s} declares population ${JSON.stringify(p)}; it must be 'adults', 'children' or left out`,
      );
  }
  return out;
}
