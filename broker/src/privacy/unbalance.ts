/**
 * Undoing balancing. A balanced filter is the original bits and their complements under one fixed
 * (keyed) permutation, so every original position has a partner that is set exactly when it is not.
 * The attacker finds those pairs from the filters alone (two positions that are complementary in
 * every filter) and keeps the sparser one of each: the original filter, its bits permuted, which
 * the attacks handle like any other. Balancing hides popcounts, not bit patterns.
 */
import { createHash } from 'node:crypto';
import { distinctFilters } from './columns.js';

/** The unbalanced view of a field column, or null when its filters are not balanced. */
export function unbalance(
  filters: readonly (string | null)[],
  bits: number,
): { filters: (string | null)[]; bits: number } | null {
  const d = distinctFilters(filters, bits);
  const D = d.words.length;
  if (D < 20 || bits % 16 !== 0) return null;
  const words = Math.ceil(D / 32);
  const cols = Array.from({ length: bits }, () => new Uint32Array(words));
  d.words.forEach((w, f) => {
    for (let p = 0; p < bits; p++) if (w[p >>> 5]! & (0x80000000 >>> (p & 31))) cols[p]![f >>> 5]! |= 1 << (f & 31);
  });
  const tail = D % 32 === 0 ? 0xffffffff : (1 << (D % 32)) - 1;
  const digest = (c: Uint32Array, invert: boolean): string => {
    const x = Uint32Array.from(c, (v, i) => (invert ? ~v : v) & (i === words - 1 ? tail : 0xffffffff));
    return createHash('sha256').update(Buffer.from(x.buffer)).digest('base64');
  };
  const byDigest = new Map<string, number>();
  cols.forEach((c, p) => {
    byDigest.set(digest(c, false), p);
  });
  const keep: number[] = [];
  const paired = new Uint8Array(bits);
  for (let p = 0; p < bits; p++) {
    if (paired[p]) continue;
    const q = byDigest.get(digest(cols[p]!, true));
    if (q === undefined || paired[q] || q === p) return null;
    paired[p] = paired[q] = 1;
    keep.push(d.pops.length && popcount(cols[p]!) <= popcount(cols[q]!) ? p : q);
  }
  if (keep.length * 2 !== bits) return null;
  const outBits = keep.length;
  const perDistinct = d.words.map((w) => {
    const out = Buffer.alloc(outBits / 8);
    keep.forEach((p, i) => {
      if (w[p >>> 5]! & (0x80000000 >>> (p & 31))) out[i >>> 3]! |= 0x80 >>> (i & 7);
    });
    return out.toString('base64');
  });
  return { filters: Array.from(d.ofRecord, (i) => (i < 0 ? null : perDistinct[i]!)), bits: outBits };
}

function popcount(c: Uint32Array): number {
  let n = 0;
  for (const v of c) {
    let x = v - ((v >>> 1) & 0x55555555);
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
    n += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
  }
  return n;
}
