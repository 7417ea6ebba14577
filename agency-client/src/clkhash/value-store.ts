/**
 * Cache of values' filter bits. A hit costs about two memory accesses that miss the CPU caches:
 * a slot of an open-addressing table (hash and offset side by side), then the entry, which holds
 * the value's code units next to its bits. A Map of strings to arrays costs four or five (bucket,
 * entry, stored key string, array object, array data); with thousands of distinct values read in
 * random order, those misses were most of the cost of a cached value. No object is allocated
 * per value.
 *
 * Two generations bound it: new entries go to the current one; when it holds ceil(limit/2)
 * entries it becomes the previous one, and the old previous one is emptied to become current.
 * A hit in the previous generation is copied into the current one, so frequently used values
 * survive (an approximate LRU). limit 0 disables caching.
 *
 * Bits of an entry, at the offset `find` and `add` return: a length n then n words, the
 * filter's nw words when n = nw (dense), else [word index, mask] pairs of its non-zero words
 * (sparse, n < nw), whichever is shorter. Bit p of the filter is 1 << 31 - p % 32 of word p / 32.
 */

/**
 * One generation: slots [hash, entry offset + 1 (0: empty)], entries [key length, key code units two per word, n,
 * bits...].
 */
class Generation {
  slots = new Int32Array(2 * 256);
  data: Int32Array;
  used = 0;
  count = 0;
  /** 32 - log2(slot count). */
  private shift = 32 - 8;

  constructor(dataWords: number) {
    this.data = new Int32Array(dataWords);
  }

  /** Offset of the entry's bits, or -1. */
  find(value: string, hash: number): number {
    const slots = this.slots;
    const mask = slots.length / 2 - 1;
    for (let i = Math.imul(hash, 0x9e3779b1) >>> this.shift; ; i = (i + 1) & mask) {
      const entry = slots[2 * i + 1]! - 1;
      if (entry < 0) return -1;
      if (slots[2 * i] === hash && keyEquals(this.data, entry, value)) return entry + 1 + ((value.length + 1) >> 1);
    }
  }

  /** Appends an entry for the value with room for n + 1 words of bits; returns the bits' offset. */
  insert(value: string, hash: number, n: number): number {
    const len = value.length;
    const keyWords = (len + 1) >> 1;
    const entry = this.reserve(2 + keyWords + n);
    const data = this.data;
    data[entry] = len;
    for (let j = 0; j < keyWords; j++) {
      const lo = value.charCodeAt(2 * j);
      data[entry + 1 + j] = 2 * j + 1 < len ? lo | (value.charCodeAt(2 * j + 1) << 16) : lo;
    }
    this.place(hash, entry);
    if (++this.count * 2 > this.slots.length / 2) this.grow();
    return entry + 1 + keyWords;
  }

  clear(): void {
    if (this.count > 0) this.slots.fill(0);
    this.count = 0;
    this.used = 0;
  }

  reserve(words: number): number {
    const at = this.used;
    if (at + words > this.data.length) {
      const bigger = new Int32Array(Math.max(at + words, 2 * this.data.length));
      bigger.set(this.data.subarray(0, at));
      this.data = bigger;
    }
    this.used = at + words;
    return at;
  }

  private place(hash: number, entry: number): void {
    const slots = this.slots;
    const mask = slots.length / 2 - 1;
    let i = Math.imul(hash, 0x9e3779b1) >>> this.shift;
    while (slots[2 * i + 1] !== 0) i = (i + 1) & mask;
    slots[2 * i] = hash;
    slots[2 * i + 1] = entry + 1;
  }

  /** Doubles the slots (kept at most half full, so probe runs stay short). */
  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(2 * old.length);
    this.shift--;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== 0) this.place(old[i]!, old[i + 1]! - 1);
  }
}

function keyEquals(data: Int32Array, entry: number, value: string): boolean {
  const len = value.length;
  if (data[entry] !== len) return false;
  for (let j = 0, w = entry + 1; j < len; j += 2, w++) {
    const lo = value.charCodeAt(j);
    if (data[w] !== (j + 1 < len ? lo | (value.charCodeAt(j + 1) << 16) : lo)) return false;
  }
  return true;
}

/** FNV-1a over the code units, from a per-process seed (no fixed collisions to aim at). */
const SEED = (Math.random() * 0x100000000) | 0;
function seededStringHash(value: string): number {
  let h = SEED ^ 0x811c9dc5;
  for (let i = 0; i < value.length; i++) h = Math.imul(h ^ value.charCodeAt(i), 0x01000193);
  return h;
}

export class ValueStore {
  private current: Generation;
  private previous: Generation | null = null;
  /** The previous generation's memory after `clear`, for the next rotation. */
  private spare: Generation | null = null;
  private readonly generationLimit: number;

  /** `hash`: any string → int32 function; tests pass a constant one to force collisions. */
  constructor(
    limit: number,
    private readonly wordCount: number,
    private readonly hash: (value: string) => number = seededStringHash,
  ) {
    this.generationLimit = Math.ceil(limit / 2);
    this.current = new Generation(16 * 1024);
  }

  /** Words of the entries `find` and `add` point into (replaced as it grows). */
  get data(): Int32Array {
    return this.current.data;
  }

  /** Offset of the value's bits in `data`, or -1. Valid until the next `find` or `add`. */
  find(value: string): number {
    if (this.generationLimit === 0) return -1;
    const hash = this.hash(value);
    const at = this.current.find(value, hash);
    if (at >= 0 || this.previous === null) return at;
    const old = this.previous.find(value, hash);
    if (old < 0) return -1;
    // A full current generation would rotate and recycle the one holding the value: recompute.
    if (this.current.count >= this.generationLimit) return -1;
    const src = this.previous.data;
    const n = src[old]!;
    const bits = this.current.insert(value, hash, n);
    this.current.data.set(src.subarray(old, old + n + 1), bits);
    return bits;
  }

  /**
   * Stores the bits of `words` (the filter's nw words) for the value and zeroes `words`.
   * Returns the offset of the bits in `data`, valid until the next `find` or `add`.
   */
  add(value: string, words: Int32Array): number {
    const nw = this.wordCount;
    let nonZero = 0;
    for (let w = 0; w < nw; w++) if (words[w] !== 0) nonZero++;
    const n = Math.min(2 * nonZero, nw);
    let at: number;
    if (this.generationLimit === 0) {
      this.current.used = 0;
      at = this.current.reserve(n + 1);
    } else {
      this.rotateIfFull();
      at = this.current.insert(value, this.hash(value), n);
    }
    const data = this.current.data;
    data[at] = n;
    if (n === nw) {
      for (let w = 0; w < nw; w++) {
        data[at + 1 + w] = words[w]!;
        words[w] = 0;
      }
    } else {
      for (let w = 0, i = at + 1; i <= at + n; w++) {
        const m = words[w]!;
        if (m === 0) continue;
        data[i++] = w;
        data[i++] = m;
        words[w] = 0;
      }
    }
    return at;
  }

  clear(): void {
    this.current.clear();
    if (this.previous !== null) this.spare = this.previous;
    this.previous = null;
  }

  /** Starts a new current generation when it is full, reusing the dropped one's memory. */
  private rotateIfFull(): void {
    if (this.current.count < this.generationLimit) return;
    const next = this.previous ?? this.spare ?? new Generation(this.current.data.length);
    next.clear();
    this.spare = null;
    this.previous = this.current;
    this.current = next;
  }
}
