/**
 * Stable LSD radix sorts on typed arrays, 11-bit digits (three passes for 32-bit keys; 2,048
 * counters stay in L1 cache, where 65,536 would not). Blocking sorts millions of 32-bit keys and
 * (i, j) pairs; a comparison sort would cost several times more. A pass whose digit is the same
 * for every element (e.g. the high digit of indices below 2^22) is skipped.
 */

const DIGIT_BITS = 11;
const RADIX = 1 << DIGIT_BITS;
const MASK = RADIX - 1;
const PASSES = 3;

/** Counts of each digit of `keys[0..n)`, one RADIX-long row per pass; returns which passes can be skipped. */
function histograms(keys: Uint32Array, n: number, h: Uint32Array): boolean[] {
  h.fill(0);
  for (let i = 0; i < n; i++) {
    const k = keys[i] as number;
    (h[k & MASK] as number)++;
    (h[RADIX + ((k >>> DIGIT_BITS) & MASK)] as number)++;
    (h[2 * RADIX + (k >>> (2 * DIGIT_BITS))] as number)++;
  }
  const k0 = keys[0] as number;
  const skip: boolean[] = [];
  for (let p = 0; p < PASSES; p++) skip.push(h[p * RADIX + ((k0 >>> (p * DIGIT_BITS)) & MASK)] === n);
  return skip;
}

/** Counts → starting offsets for the pass at `row`, in place. */
function offsets(h: Uint32Array, row: number): void {
  let sum = 0;
  for (let d = row * RADIX; d < (row + 1) * RADIX; d++) {
    const c = h[d] as number;
    h[d] = sum;
    sum += c;
  }
}

/** One stable scatter pass of (key, value) by the digit at `shift`, positions from h[row]. */
function scatter(
  srcK: Uint32Array,
  srcV: Uint32Array,
  dstK: Uint32Array,
  dstV: Uint32Array,
  n: number,
  h: Uint32Array,
  row: number,
  shift: number,
): void {
  const base = row * RADIX;
  for (let i = 0; i < n; i++) {
    const k = srcK[i] as number;
    const d = base + ((k >>> shift) & MASK);
    const at = h[d] as number;
    h[d] = at + 1;
    dstK[at] = k;
    dstV[at] = srcV[i] as number;
  }
}

export interface KeyedView {
  keys: Uint32Array;
  values: Uint32Array;
}

/**
 * Sort `keys[0..n)` ascending, carrying `values` along (stable: equal keys keep their input order).
 * `tmpKeys`/`tmpValues` are scratch of at least n. Works in place: returns whichever pair of
 * arrays holds the result (the inputs or the scratch; keys and values always move together).
 */
export function sortKeyed(
  keys: Uint32Array,
  values: Uint32Array,
  n: number,
  tmpKeys: Uint32Array,
  tmpValues: Uint32Array,
): KeyedView {
  if (n < 2) return { keys, values };
  const h = new Uint32Array(PASSES * RADIX);
  const skip = histograms(keys, n, h);
  let k = keys;
  let v = values;
  let tk = tmpKeys;
  let tv = tmpValues;
  for (let p = 0; p < PASSES; p++) {
    if (skip[p]) continue;
    offsets(h, p);
    scatter(k, v, tk, tv, n, h, p, p * DIGIT_BITS);
    const sk = k;
    const sv = v;
    k = tk;
    v = tv;
    tk = sk;
    tv = sv;
  }
  return { keys: k, values: v };
}

export interface PairView {
  a: Uint32Array;
  b: Uint32Array;
}

/**
 * Sort pairs (a[i], b[i]) for i < n by a, then b (two keyed sorts: b first, then a, both stable).
 * `tmpA`/`tmpB` are scratch of at least n. Returns whichever arrays hold the result.
 */
export function sortPairs(a: Uint32Array, b: Uint32Array, n: number, tmpA: Uint32Array, tmpB: Uint32Array): PairView {
  const byB = sortKeyed(b, a, n, tmpB, tmpA);
  // byB.keys is b (in b or tmpB), byB.values is a (in a or tmpA); the other two are free.
  const spareB = byB.keys === b ? tmpB : b;
  const spareA = byB.values === a ? tmpA : a;
  const byA = sortKeyed(byB.values, byB.keys, n, spareA, spareB);
  return { a: byA.keys, b: byA.values };
}
