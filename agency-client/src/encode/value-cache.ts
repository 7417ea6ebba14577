/**
 * A bounded cache with two generations: lookups check the young map, then the old one (promoting a
 * hit); when the young map is full the old one is dropped whole and the young one becomes old.
 * Every operation is O(1). (Evicting one oldest key at a time from a JS Map is not: after many
 * deletions V8's Map iterator walks the deleted slots, which made a FIFO cache the hot spot.)
 * Keeps at most 2 × limit entries; limit 0 disables caching.
 */
export class ValueCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  constructor(readonly limit: number) {}

  get(key: string): V | undefined {
    const v = this.young.get(key);
    if (v !== undefined) return v;
    const o = this.old.get(key);
    if (o !== undefined) this.set(key, o);
    return o;
  }

  set(key: string, value: V): void {
    if (this.limit <= 0) return;
    if (this.young.size >= this.limit) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }
}
