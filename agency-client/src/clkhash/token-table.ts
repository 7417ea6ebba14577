/**
 * Bit positions of tokens keyed by small non-negative integers (< 2^30), stored back to back in
 * one Int32Array: open addressing with linear probing over an Int32Array of keys, a few
 * nanoseconds a lookup where a Map costs tens, and no object per token. Bounded to `limit`
 * entries by starting over when full, which suits token caches (a few thousand distinct tokens
 * against a default limit of 100,000). limit 0 disables caching.
 */
const EMPTY = -1;
const INITIAL_SLOTS = 64;

export class TokenTable {
  /** Entry at offset o: positions[o] = n, then n positions. */
  positions = new Int32Array(4096);
  private used = 0;
  private keys = new Int32Array(INITIAL_SLOTS).fill(EMPTY);
  private offsets = new Int32Array(INITIAL_SLOTS);
  /** 32 - log2(slots): a key's first slot is the top bits of its Fibonacci hash. */
  private shift = 32 - Math.log2(INITIAL_SLOTS);
  private count = 0;

  constructor(readonly limit: number) {}

  /** Offset of the key's entry in `positions`, or -1. */
  find(key: number): number {
    const keys = this.keys;
    const mask = keys.length - 1;
    for (let i = slot(key, this.shift); ; i = (i + 1) & mask) {
      const k = keys[i]!;
      if (k === key) return this.offsets[i]!;
      if (k === EMPTY) return -1;
    }
  }

  /**
   * Stores (or replaces) the key's positions and returns the entry's offset, valid until the
   * next insert. With caching disabled the entry is only kept until then.
   */
  insert(key: number, values: Int32Array): number {
    if (this.limit <= 0) {
      this.used = 0;
      return this.append(values);
    }
    let i = this.findSlot(key);
    if (this.keys[i] === EMPTY) {
      if (this.count >= this.limit) {
        this.clear();
        i = this.findSlot(key);
      }
      this.keys[i] = key;
      this.count++;
    }
    const offset = this.append(values);
    this.offsets[i] = offset;
    // Keep the table at most half full so that probe runs stay short.
    if (this.count * 2 > this.keys.length) this.grow();
    return offset;
  }

  clear(): void {
    if (this.count > 0) this.keys.fill(EMPTY);
    this.count = 0;
    this.used = 0;
  }

  get size(): number {
    return this.count;
  }

  private findSlot(key: number): number {
    const keys = this.keys;
    const mask = keys.length - 1;
    let i = slot(key, this.shift);
    while (keys[i] !== EMPTY && keys[i] !== key) i = (i + 1) & mask;
    return i;
  }

  private append(values: Int32Array): number {
    const need = this.used + 1 + values.length;
    if (need > this.positions.length) {
      const bigger = new Int32Array(Math.max(need, 2 * this.positions.length));
      bigger.set(this.positions.subarray(0, this.used));
      this.positions = bigger;
    }
    const offset = this.used;
    this.positions[offset] = values.length;
    this.positions.set(values, offset + 1);
    this.used = need;
    return offset;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldOffsets = this.offsets;
    this.keys = new Int32Array(oldKeys.length * 2).fill(EMPTY);
    this.offsets = new Int32Array(oldKeys.length * 2);
    this.shift--;
    for (let j = 0; j < oldKeys.length; j++) {
      const k = oldKeys[j]!;
      if (k === EMPTY) continue;
      const i = this.findSlot(k);
      this.keys[i] = k;
      this.offsets[i] = oldOffsets[j]!;
    }
  }
}

/** Fibonacci hashing: the top bits of key · 2^32/φ depend on all of the key's bits. */
function slot(key: number, shift: number): number {
  return Math.imul(key, 0x9e3779b1) >>> shift;
}
