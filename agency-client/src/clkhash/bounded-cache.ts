/**
 * A Map bounded to `limit` entries that evicts the oldest insertion (FIFO). Cheaper than LRU on
 * the hot path (a hit is one Map lookup); holds the token positions of the general (string
 * token) path. limit 0 disables caching.
 */
export class BoundedCache<V> {
  private readonly map = new Map<string, V>();
  constructor(readonly limit: number) {}

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  set(key: string, value: V): void {
    if (this.limit <= 0) return;
    if (this.map.size >= this.limit && !this.map.has(key)) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(key, value);
  }

  clear(): void {
    this.map.clear();
  }

  get size(): number {
    return this.map.size;
  }
}
