/**
 * Stable LSD radix ordering of indices by 32-bit unsigned keys. Linear time and no comparator calls:
 * sorting millions of scored pairs with Array.prototype.sort and a closure costs seconds.
 *
 * Each key is gathered once into the current order and then carried along with the permutation, so
 * every pass reads sequentially; 11-bit digits keep the 2048 bucket write cursors cache-resident.
 * Only as many digits as the key's largest value needs are sorted, and constant digits are skipped.
 */

const DIGIT_BITS = 11;
const BUCKETS = 1 << DIGIT_BITS;
const MASK = BUCKETS - 1;

/**
 * Permutation of 0..n-1 ordering the rows ascending by the given keys. `keys` lists the key arrays
 * least significant first (the last one decides first; earlier ones break its ties), each of length
 * at least n. Equal rows keep their index order, so the result is fully determined by the keys.
 */
export function radixOrder(n: number, keys: readonly Uint32Array[]): Uint32Array {
  let perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  let spare = new Uint32Array(n);
  let cur = new Uint32Array(n);
  let next = new Uint32Array(n);
  const counts = new Uint32Array(BUCKETS);
  for (const key of keys) {
    if (key.length < n) throw new RangeError(`sort key holds ${key.length} values; expected ${n}`);
    let max = 0;
    for (let i = 0; i < n; i++) {
      const v = key[perm[i] as number] as number;
      cur[i] = v;
      if (v > max) max = v;
    }
    for (let shift = 0; shift < 32 && max >>> shift !== 0; shift += DIGIT_BITS) {
      counts.fill(0);
      for (let i = 0; i < n; i++) {
        const d = ((cur[i] as number) >>> shift) & MASK;
        counts[d] = (counts[d] as number) + 1;
      }
      if (counts[((cur[0] as number) >>> shift) & MASK] === n) continue; // one bucket: orders nothing
      let sum = 0;
      for (let d = 0; d < BUCKETS; d++) {
        const c = counts[d] as number;
        counts[d] = sum;
        sum += c;
      }
      for (let i = 0; i < n; i++) {
        const v = cur[i] as number;
        const d = (v >>> shift) & MASK;
        const at = counts[d] as number;
        counts[d] = at + 1;
        next[at] = v;
        spare[at] = perm[i] as number;
      }
      let t = perm;
      perm = spare;
      spare = t;
      t = cur;
      cur = next;
      next = t;
    }
  }
  return perm;
}

/**
 * Unsigned keys whose ascending order is the *descending* order of the float32 values (the IEEE-754
 * bit trick: flip all bits of negatives, the sign bit of positives, then complement for descending).
 * NaN must be filtered out by the caller.
 */
export function descendingFloatKeys(values: Float32Array): Uint32Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const u = bits[i] as number;
    const ascending = u & 0x80000000 ? ~u : u | 0x80000000;
    out[i] = ~ascending >>> 0;
  }
  return out;
}
