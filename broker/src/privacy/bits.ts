/** Bit helpers for the attacks: base64 filters as 32-bit words, bit columns over records. */

/** Population count of a 32-bit integer (SWAR). */
export function popcount32(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  v = (v + (v >>> 4)) & 0x0f0f0f0f;
  return Math.imul(v, 0x01010101) >>> 24;
}

/**
 * A base64 filter as 32-bit words; bit i of the filter (most significant bit of byte 0 first, as
 * the protocol numbers them) is bit (31 − i mod 32) of word i/32. Only set/unset matters here.
 */
export function filterWords(b64: string, bits: number): Uint32Array {
  const bytes = Buffer.from(b64, 'base64');
  const words = new Uint32Array(Math.ceil(bits / 32));
  for (let i = 0; i < bytes.length && i < bits / 8; i++) words[i >>> 2]! |= bytes[i]! << (24 - 8 * (i & 3));
  return words;
}

export function hasBit(words: Uint32Array, i: number): boolean {
  return (words[i >>> 5]! & (0x80000000 >>> (i & 31))) !== 0;
}

export function popcountWords(w: Uint32Array): number {
  let c = 0;
  for (let i = 0; i < w.length; i++) c += popcount32(w[i]!);
  return c;
}

/**
 * Bits set in both. The hottest loop of the attacks (mining compares every pair of bit columns over up
 * to 20,000 records), so the popcount is shared over words (exact integer arithmetic, as in Harley and
 * Seal's carry-save counting): three words' 4-bit partial counts (at most 12) are added before they are
 * folded into bytes, and the bytes of ten such triples (at most 240) before the bytes are summed.
 */
export function andCount(a: Uint32Array, b: Uint32Array): number {
  const n = a.length;
  let c = 0;
  let i = 0;
  while (i + 3 <= n) {
    let bytes = 0;
    for (let g = 0; g < 10 && i + 3 <= n; g++, i += 3) {
      let x = a[i]! & b[i]!;
      let y = a[i + 1]! & b[i + 1]!;
      let z = a[i + 2]! & b[i + 2]!;
      x -= (x >>> 1) & 0x55555555;
      y -= (y >>> 1) & 0x55555555;
      z -= (z >>> 1) & 0x55555555;
      const nib =
        (x & 0x33333333) +
        ((x >>> 2) & 0x33333333) +
        (y & 0x33333333) +
        ((y >>> 2) & 0x33333333) +
        (z & 0x33333333) +
        ((z >>> 2) & 0x33333333);
      bytes += (nib & 0x0f0f0f0f) + ((nib >>> 4) & 0x0f0f0f0f);
    }
    const halves = (bytes & 0x00ff00ff) + ((bytes >>> 8) & 0x00ff00ff);
    c += (halves & 0xffff) + (halves >>> 16);
  }
  for (; i < n; i++) c += popcount32(a[i]! & b[i]!);
  return c;
}

export function dice(a: Uint32Array, b: Uint32Array, popA: number, popB: number): number {
  return popA + popB === 0 ? 0 : (2 * andCount(a, b)) / (popA + popB);
}

/** A bit set over `n` items (records or filters). */
export function newBitset(n: number): Uint32Array {
  return new Uint32Array(Math.ceil(n / 32));
}

export function setItem(s: Uint32Array, i: number): void {
  s[i >>> 5]! |= 1 << (i & 31);
}
