/** Bit counting helpers shared by the JS kernel, FilterSet and `dice()`. */

/** Population count of a 32-bit integer (SWAR; V8 has no popcount intrinsic for JS). */
export function popcount32(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  v = (v + (v >>> 4)) & 0x0f0f0f0f;
  return Math.imul(v, 0x01010101) >>> 24;
}

const BYTE_POPCOUNT = Uint8Array.from({ length: 256 }, (_, b) => popcount32(b));

/** Number of set bits in a byte string. */
export function popcountBytes(bytes: Uint8Array): number {
  let c = 0;
  for (let k = 0; k < bytes.length; k++) c += BYTE_POPCOUNT[bytes[k] as number] as number;
  return c;
}

/** Number of set bits in a ∧ b (equal lengths assumed). */
export function popcountAndBytes(a: Uint8Array, b: Uint8Array): number {
  let c = 0;
  for (let k = 0; k < a.length; k++) c += BYTE_POPCOUNT[(a[k] as number) & (b[k] as number)] as number;
  return c;
}
