/**
 * Combining candidate sources into one sorted, duplicate-free pair list, and converting between
 * the internal (a[], b[]) lists and the interleaved Uint32Array [i0, j0, i1, j1, ...] that the
 * Dice kernel takes as `pairs`.
 */
import { EMPTY_PAIRS, PairCollector } from './pair-collector.js';
import type { PairList } from './pair-collector.js';

/** Union of sorted, duplicate-free lists (a linear k-way merge by repeated two-way merges). */
export function unionPairs(...lists: readonly PairList[]): PairList {
  let acc: PairList = EMPTY_PAIRS;
  for (const l of lists) acc = mergeTwo(acc, l);
  return acc;
}

function mergeTwo(x: PairList, y: PairList): PairList {
  if (x.length === 0) return y;
  if (y.length === 0) return x;
  const a = new Uint32Array(x.length + y.length);
  const b = new Uint32Array(x.length + y.length);
  let p = 0;
  let q = 0;
  let n = 0;
  while (p < x.length && q < y.length) {
    const xa = x.a[p] as number;
    const xb = x.b[p] as number;
    const ya = y.a[q] as number;
    const yb = y.b[q] as number;
    if (xa < ya || (xa === ya && xb < yb)) {
      a[n] = xa;
      b[n++] = xb;
      p++;
    } else if (xa === ya && xb === yb) {
      a[n] = xa;
      b[n++] = xb;
      p++;
      q++;
    } else {
      a[n] = ya;
      b[n++] = yb;
      q++;
    }
  }
  for (; p < x.length; p++, n++) {
    a[n] = x.a[p] as number;
    b[n] = x.b[p] as number;
  }
  for (; q < y.length; q++, n++) {
    a[n] = y.a[q] as number;
    b[n] = y.b[q] as number;
  }
  return { a: a.subarray(0, n), b: b.subarray(0, n), length: n };
}

/** Interleave a pair list: [i0, j0, i1, j1, ...]. */
export function interleave(list: PairList): Uint32Array {
  const out = new Uint32Array(list.length * 2);
  for (let k = 0; k < list.length; k++) {
    out[2 * k] = list.a[k] as number;
    out[2 * k + 1] = list.b[k] as number;
  }
  return out;
}

/**
 * Sorted, duplicate-free list from interleaved pairs in any order. With `dedup` (pairs within one
 * source), each pair is put as (min, max) and (i, i) is dropped.
 */
export function pairListOf(interleaved: Uint32Array, dedup = false): PairList {
  if (interleaved.length % 2 !== 0) throw new RangeError('pairs must hold (i, j) interleaved: even length');
  const out = new PairCollector(Math.max(16, interleaved.length / 2));
  for (let k = 0; k < interleaved.length; k += 2) {
    const i = interleaved[k] as number;
    const j = interleaved[k + 1] as number;
    if (!dedup) out.push(i, j);
    else if (i < j) out.push(i, j);
    else if (j < i) out.push(j, i);
  }
  return out.finish();
}

/** Sort and de-duplicate interleaved pairs (see `pairListOf`), interleaved again. */
export function sortUniquePairs(interleaved: Uint32Array, dedup = false): Uint32Array {
  return interleave(pairListOf(interleaved, dedup));
}
