/**
 * Growable list of candidate pairs (i, j) that removes repeats as it goes. LSH reports a close
 * pair once per band it agrees in (often dozens of times), so the raw stream can be many times
 * the distinct pairs: when the buffer fills it is sorted and de-duplicated in place, and grows
 * only if that did not free at least half of it.
 */
import { sortPairs } from './radix-sort.js';

/** A sorted, duplicate-free pair list: a[k] ascending, then b[k] ascending. */
export interface PairList {
  a: Uint32Array;
  b: Uint32Array;
  length: number;
}

export const EMPTY_PAIRS: PairList = Object.freeze({
  a: new Uint32Array(0),
  b: new Uint32Array(0),
  length: 0,
}) as PairList;

/** Remove adjacent repeats of a sorted list in place; returns the new length. */
function uniqueSorted(a: Uint32Array, b: Uint32Array, n: number): number {
  if (n === 0) return 0;
  let w = 1;
  let pa = a[0] as number;
  let pb = b[0] as number;
  for (let r = 1; r < n; r++) {
    const x = a[r] as number;
    const y = b[r] as number;
    if (x !== pa || y !== pb) {
      a[w] = x;
      b[w] = y;
      w++;
      pa = x;
      pb = y;
    }
  }
  return w;
}

export class PairCollector {
  private a: Uint32Array;
  private b: Uint32Array;
  private tmpA: Uint32Array;
  private tmpB: Uint32Array;
  length = 0;
  /** Pairs pushed, repeats included. */
  pushed = 0;

  constructor(initialCapacity = 1 << 16) {
    const cap = Math.max(16, initialCapacity);
    this.a = new Uint32Array(cap);
    this.b = new Uint32Array(cap);
    this.tmpA = new Uint32Array(cap);
    this.tmpB = new Uint32Array(cap);
  }

  push(i: number, j: number): void {
    if (this.length === this.a.length) this.makeRoom();
    this.a[this.length] = i;
    this.b[this.length] = j;
    this.length++;
    this.pushed++;
  }

  private compact(): void {
    const s = sortPairs(this.a, this.b, this.length, this.tmpA, this.tmpB);
    if (s.a !== this.a) {
      [this.a, this.tmpA] = [s.a, this.a];
      [this.b, this.tmpB] = [s.b, this.b];
    }
    this.length = uniqueSorted(this.a, this.b, this.length);
  }

  private makeRoom(): void {
    this.compact();
    if (this.length <= this.a.length / 2) return;
    const cap = this.a.length * 2;
    const grow = (old: Uint32Array, keep: number): Uint32Array => {
      const next = new Uint32Array(cap);
      next.set(old.subarray(0, keep));
      return next;
    };
    this.a = grow(this.a, this.length);
    this.b = grow(this.b, this.length);
    this.tmpA = new Uint32Array(cap);
    this.tmpB = new Uint32Array(cap);
  }

  /** The distinct pairs, sorted. The collector must not be used afterwards. */
  finish(): PairList {
    this.compact();
    const n = this.length;
    // Copy out so the (possibly much larger) working buffers can be collected.
    const out: PairList = { a: this.a.slice(0, n), b: this.b.slice(0, n), length: n };
    this.a = this.b = this.tmpA = this.tmpB = new Uint32Array(0);
    return out;
  }
}
