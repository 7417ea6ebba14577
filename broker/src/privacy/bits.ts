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

export function andCount(a: Uint32Array, b: Uint32Array): number {
  let c = 0;
  for (let i = 0; i < a.length; i++) c += popcount32(a[i]! & b[i]!);
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
