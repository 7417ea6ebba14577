/**
 * A bounded cache with two generations: lookups check the young map, then the old one (promoting a
 * hit); when the young map is full the old one is dropped whole and the young one becomes old.
 * Every operation is O(1). (Evicting one oldest key at a time from a JS Map is not: after many
 * deletions V8's Map iterator walks the deleted slots, which made a FIFO cache the hot spot.)
 * Keeps at most 2 × limit entries; limit 0 disables caching.
 *
 * It also stands aside where it does not pay: a column whose values are nearly all distinct (NHS
 * numbers, a date of birth with a given initial) misses every time, and each miss cost two Map
 * lookups and an insert that evicted useful entries. After each window of lookups with almost no
 * hits, lookups and inserts are skipped for a longer stretch, then measured again. What is cached
 * never changes a result, only how fast it comes.
 *
 * Both encoders use it: blindlink's per-field value, position and token caches, and the clkhash
 * encoder's string-token cache (which was a FIFO Map of its own).
 */
const WINDOW = 4096;
/** Lookups skipped before measuring again. */
const BYPASS = 16 * WINDOW;

/** The stand-aside rule, shared with the blocking-token cache (block-token-cache.ts). */
export class HitGate {
  private lookups = 0;
  private hits = 0;
  private bypassLeft = 0;

  /** Fewer hits than 1 in `minHitRatio` lookups in a window: stand aside. */
  constructor(private readonly minHitRatio = 32) {}

  /** False while standing aside (the lookup is then skipped, and so is the insert after it). */
  lookup(): boolean {
    if (this.bypassLeft > 0) {
      this.bypassLeft--;
      return false;
    }
    if (++this.lookups === WINDOW) {
      if (this.hits * this.minHitRatio < this.lookups) this.bypassLeft = BYPASS;
      this.lookups = 0;
      this.hits = 0;
    }
    return true;
  }

  hit(): void {
    this.hits++;
  }

  get standingAside(): boolean {
    return this.bypassLeft > 0;
  }

  reset(): void {
    this.lookups = 0;
    this.hits = 0;
    this.bypassLeft = 0;
  }
}

export class ValueCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  private readonly gate = new HitGate();
  constructor(readonly limit: number) {}

  get(key: string): V | undefined {
    if (!this.gate.lookup()) return undefined;
    let v = this.young.get(key);
    if (v === undefined) {
      v = this.old.get(key);
      if (v !== undefined) this.set(key, v);
    }
    if (v !== undefined) this.gate.hit();
    return v;
  }

  set(key: string, value: V): void {
    if (this.limit <= 0 || this.gate.standingAside) return;
    if (this.young.size >= this.limit) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
    this.gate.reset();
  }
}
