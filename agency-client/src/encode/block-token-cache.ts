/**
 * Blocking tokens already computed for one blocking key, found by the key's part values without
 * joining them into a message string. The values are the strings a field's cache entry keeps (so
 * each one's hash is computed once, when it is first used as a key), and a lookup walks one Map
 * per part: no string is built or hashed per row, where a joined message was a new string to
 * flatten and hash every time. Bounded as ValueCache: two generations of at most `limit` tokens,
 * and it stands aside unless at least half its lookups hit: a miss costs one BLAKE2b compression,
 * little more than caching the token does, and a key of nearly unique combinations (an NHS number,
 * an initial with a date of birth) would fill the cache with tokens never asked for again.
 * What is cached never changes a token, only how fast it comes.
 */
import { HitGate } from './value-cache.js';

/** A level of the trie: the next part's value → the next level, or the token after the last part. */
type Level = Map<string, Level | string>;

export class BlockTokenCache {
  private young: Level = new Map();
  private old: Level = new Map();
  private size = 0;
  private readonly gate = new HitGate(2);

  constructor(
    /** Parts of the key: the depth of the trie. */
    private readonly parts: number,
    private readonly limit: number,
  ) {}

  /** The token for the part values values[0..parts), or undefined. */
  get(values: readonly string[]): string | undefined {
    if (!this.gate.lookup()) return undefined;
    let t = find(this.young, values, this.parts);
    if (t === undefined) {
      t = find(this.old, values, this.parts);
      if (t !== undefined) this.set(values, t);
    }
    if (t !== undefined) this.gate.hit();
    return t;
  }

  set(values: readonly string[], token: string): void {
    if (this.limit <= 0 || this.gate.standingAside) return;
    if (this.size >= this.limit) {
      this.old = this.young;
      this.young = new Map();
      this.size = 0;
    }
    let level = this.young;
    const last = this.parts - 1;
    for (let i = 0; i < last; i++) {
      let next = level.get(values[i]!) as Level | undefined;
      if (next === undefined) {
        next = new Map();
        level.set(values[i]!, next);
      }
      level = next;
    }
    level.set(values[last]!, token);
    this.size++;
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
    this.size = 0;
    this.gate.reset();
  }
}

function find(root: Level, values: readonly string[], parts: number): string | undefined {
  let level = root;
  const last = parts - 1;
  for (let i = 0; i < last; i++) {
    const next = level.get(values[i]!);
    if (next === undefined) return undefined;
    level = next as Level;
  }
  return level.get(values[last]!) as string | undefined;
}
