/**
 * BLAKE2b (RFC 7693) in pure TypeScript, tuned for many short keyed messages.
 *
 * Why not node:crypto: it has no keyed/salted BLAKE2b. Why not libsodium: a call into WASM
 * costs more than hashing a 2-byte n-gram. Keyed mode compresses the zero-padded key as the
 * first block; `Blake2bKeyed` caches the state after that block, so each token then costs one
 * compression. 64-bit words are held as (low, high) signed 32-bit halves; the round body is
 * unrolled over local variables (generated) because array-based state is several times slower.
 */

const IV = new Int32Array([
  0xf3bcc908, 0x6a09e667, 0x84caa73b, 0xbb67ae85, 0xfe94f82b, 0x3c6ef372, 0x5f1d36f1, 0xa54ff53a,
  0xade682d1, 0x510e527f, 0x2b3e6c1f, 0x9b05688c, 0xfb41bd6b, 0x1f83d9ab, 0x137e2179, 0x5be0cd19,
]);

const SIGMA_BASE = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
  14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
  11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4,
  7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8,
  9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13,
  2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9,
  12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11,
  13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10,
  6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5,
  10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0,
];
/** Message word offsets (in 32-bit halves) for the 12 rounds; rounds 10 and 11 repeat 0 and 1. */
const SIGMA2 = new Int32Array(12 * 16);
for (let r = 0; r < 12; r++) {
  for (let i = 0; i < 16; i++) SIGMA2[r * 16 + i] = SIGMA_BASE[(r % 10) * 16 + i]! * 2;
}

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  // The message words are read through an Int32Array view, which assumes a little-endian host.
  throw new Error('BLAKE2b implementation requires a little-endian platform');
}

/**
 * One compression. `h` is the 8-word state as 16 int32 halves (updated in place), `m` the
 * 128-byte block as 32 int32 halves, `t` the byte counter (< 2^53), `last` the final-block flag.
 */
export function blake2bCompress(h: Int32Array, m: Int32Array, t: number, last: boolean): void {
  let v0l = h[0]!, v0h = h[1]!, v1l = h[2]!, v1h = h[3]!, v2l = h[4]!, v2h = h[5]!, v3l = h[6]!, v3h = h[7]!;
  let v4l = h[8]!, v4h = h[9]!, v5l = h[10]!, v5h = h[11]!, v6l = h[12]!, v6h = h[13]!, v7l = h[14]!, v7h = h[15]!;
  let v8l = IV[0]!, v8h = IV[1]!, v9l = IV[2]!, v9h = IV[3]!, v10l = IV[4]!, v10h = IV[5]!, v11l = IV[6]!, v11h = IV[7]!;
  let v12l = IV[8]! ^ (t | 0), v12h = IV[9]! ^ ((t / 0x100000000) | 0);
  let v13l = IV[10]!, v13h = IV[11]!;
  let v14l = IV[12]!, v14h = IV[13]!, v15l = IV[14]!, v15h = IV[15]!;
  if (last) {
    v14l = ~v14l;
    v14h = ~v14h;
  }
  let lo = 0;
  for (let r = 0; r < 192; r += 16) {
    const s0 = SIGMA2[r]!, s1 = SIGMA2[r + 1]!, s2 = SIGMA2[r + 2]!, s3 = SIGMA2[r + 3]!;
    const s4 = SIGMA2[r + 4]!, s5 = SIGMA2[r + 5]!, s6 = SIGMA2[r + 6]!, s7 = SIGMA2[r + 7]!;
    const s8 = SIGMA2[r + 8]!, s9 = SIGMA2[r + 9]!, s10 = SIGMA2[r + 10]!, s11 = SIGMA2[r + 11]!;
    const s12 = SIGMA2[r + 12]!, s13 = SIGMA2[r + 13]!, s14 = SIGMA2[r + 14]!, s15 = SIGMA2[r + 15]!;
    lo = (v0l + v4l) | 0; v0h = (v0h + v4h + ((lo >>> 0) < (v0l >>> 0) ? 1 : 0)) | 0; v0l = lo;
    lo = (v0l + m[s0]!) | 0; v0h = (v0h + m[s0 + 1]! + ((lo >>> 0) < (v0l >>> 0) ? 1 : 0)) | 0; v0l = lo;
    v12l ^= v0l; v12h ^= v0h;
    lo = v12l; v12l = v12h; v12h = lo;
    lo = (v8l + v12l) | 0; v8h = (v8h + v12h + ((lo >>> 0) < (v8l >>> 0) ? 1 : 0)) | 0; v8l = lo;
    v4l ^= v8l; v4h ^= v8h;
    lo = v4l; v4l = (lo >>> 24) | (v4h << 8); v4h = (v4h >>> 24) | (lo << 8);
    lo = (v0l + v4l) | 0; v0h = (v0h + v4h + ((lo >>> 0) < (v0l >>> 0) ? 1 : 0)) | 0; v0l = lo;
    lo = (v0l + m[s1]!) | 0; v0h = (v0h + m[s1 + 1]! + ((lo >>> 0) < (v0l >>> 0) ? 1 : 0)) | 0; v0l = lo;
    v12l ^= v0l; v12h ^= v0h;
    lo = v12l; v12l = (lo >>> 16) | (v12h << 16); v12h = (v12h >>> 16) | (lo << 16);
    lo = (v8l + v12l) | 0; v8h = (v8h + v12h + ((lo >>> 0) < (v8l >>> 0) ? 1 : 0)) | 0; v8l = lo;
    v4l ^= v8l; v4h ^= v8h;
    lo = v4l; v4l = (lo << 1) | (v4h >>> 31); v4h = (v4h << 1) | (lo >>> 31);
    lo = (v1l + v5l) | 0; v1h = (v1h + v5h + ((lo >>> 0) < (v1l >>> 0) ? 1 : 0)) | 0; v1l = lo;
    lo = (v1l + m[s2]!) | 0; v1h = (v1h + m[s2 + 1]! + ((lo >>> 0) < (v1l >>> 0) ? 1 : 0)) | 0; v1l = lo;
    v13l ^= v1l; v13h ^= v1h;
    lo = v13l; v13l = v13h; v13h = lo;
    lo = (v9l + v13l) | 0; v9h = (v9h + v13h + ((lo >>> 0) < (v9l >>> 0) ? 1 : 0)) | 0; v9l = lo;
    v5l ^= v9l; v5h ^= v9h;
    lo = v5l; v5l = (lo >>> 24) | (v5h << 8); v5h = (v5h >>> 24) | (lo << 8);
    lo = (v1l + v5l) | 0; v1h = (v1h + v5h + ((lo >>> 0) < (v1l >>> 0) ? 1 : 0)) | 0; v1l = lo;
    lo = (v1l + m[s3]!) | 0; v1h = (v1h + m[s3 + 1]! + ((lo >>> 0) < (v1l >>> 0) ? 1 : 0)) | 0; v1l = lo;
    v13l ^= v1l; v13h ^= v1h;
    lo = v13l; v13l = (lo >>> 16) | (v13h << 16); v13h = (v13h >>> 16) | (lo << 16);
    lo = (v9l + v13l) | 0; v9h = (v9h + v13h + ((lo >>> 0) < (v9l >>> 0) ? 1 : 0)) | 0; v9l = lo;
    v5l ^= v9l; v5h ^= v9h;
    lo = v5l; v5l = (lo << 1) | (v5h >>> 31); v5h = (v5h << 1) | (lo >>> 31);
    lo = (v2l + v6l) | 0; v2h = (v2h + v6h + ((lo >>> 0) < (v2l >>> 0) ? 1 : 0)) | 0; v2l = lo;
    lo = (v2l + m[s4]!) | 0; v2h = (v2h + m[s4 + 1]! + ((lo >>> 0) < (v2l >>> 0) ? 1 : 0)) | 0; v2l = lo;
    v14l ^= v2l; v14h ^= v2h;
    lo = v14l; v14l = v14h; v14h = lo;
    lo = (v10l + v14l) | 0; v10h = (v10h + v14h + ((lo >>> 0) < (v10l >>> 0) ? 1 : 0)) | 0; v10l = lo;
    v6l ^= v10l; v6h ^= v10h;
    lo = v6l; v6l = (lo >>> 24) | (v6h << 8); v6h = (v6h >>> 24) | (lo << 8);
    lo = (v2l + v6l) | 0; v2h = (v2h + v6h + ((lo >>> 0) < (v2l >>> 0) ? 1 : 0)) | 0; v2l = lo;
    lo = (v2l + m[s5]!) | 0; v2h = (v2h + m[s5 + 1]! + ((lo >>> 0) < (v2l >>> 0) ? 1 : 0)) | 0; v2l = lo;
    v14l ^= v2l; v14h ^= v2h;
    lo = v14l; v14l = (lo >>> 16) | (v14h << 16); v14h = (v14h >>> 16) | (lo << 16);
    lo = (v10l + v14l) | 0; v10h = (v10h + v14h + ((lo >>> 0) < (v10l >>> 0) ? 1 : 0)) | 0; v10l = lo;
    v6l ^= v10l; v6h ^= v10h;
    lo = v6l; v6l = (lo << 1) | (v6h >>> 31); v6h = (v6h << 1) | (lo >>> 31);
    lo = (v3l + v7l) | 0; v3h = (v3h + v7h + ((lo >>> 0) < (v3l >>> 0) ? 1 : 0)) | 0; v3l = lo;
    lo = (v3l + m[s6]!) | 0; v3h = (v3h + m[s6 + 1]! + ((lo >>> 0) < (v3l >>> 0) ? 1 : 0)) | 0; v3l = lo;
    v15l ^= v3l; v15h ^= v3h;
    lo = v15l; v15l = v15h; v15h = lo;
    lo = (v11l + v15l) | 0; v11h = (v11h + v15h + ((lo >>> 0) < (v11l >>> 0) ? 1 : 0)) | 0; v11l = lo;
    v7l ^= v11l; v7h ^= v11h;
    lo = v7l; v7l = (lo >>> 24) | (v7h << 8); v7h = (v7h >>> 24) | (lo << 8);
    lo = (v3l + v7l) | 0; v3h = (v3h + v7h + ((lo >>> 0) < (v3l >>> 0) ? 1 : 0)) | 0; v3l = lo;
    lo = (v3l + m[s7]!) | 0; v3h = (v3h + m[s7 + 1]! + ((lo >>> 0) < (v3l >>> 0) ? 1 : 0)) | 0; v3l = lo;
    v15l ^= v3l; v15h ^= v3h;
    lo = v15l; v15l = (lo >>> 16) | (v15h << 16); v15h = (v15h >>> 16) | (lo << 16);
    lo = (v11l + v15l) | 0; v11h = (v11h + v15h + ((lo >>> 0) < (v11l >>> 0) ? 1 : 0)) | 0; v11l = lo;
    v7l ^= v11l; v7h ^= v11h;
    lo = v7l; v7l = (lo << 1) | (v7h >>> 31); v7h = (v7h << 1) | (lo >>> 31);
    lo = (v0l + v5l) | 0; v0h = (v0h + v5h + ((lo >>> 0) < (v0l >>> 0) ? 1 : 0)) | 0; v0l = lo;
    lo = (v0l + m[s8]!) | 0; v0h = (v0h + m[s8 + 1]! + ((lo >>> 0) < (v0l >>> 0) ? 1 : 0)) | 0; v0l = lo;
    v15l ^= v0l; v15h ^= v0h;
    lo = v15l; v15l = v15h; v15h = lo;
    lo = (v10l + v15l) | 0; v10h = (v10h + v15h + ((lo >>> 0) < (v10l >>> 0) ? 1 : 0)) | 0; v10l = lo;
    v5l ^= v10l; v5h ^= v10h;
    lo = v5l; v5l = (lo >>> 24) | (v5h << 8); v5h = (v5h >>> 24) | (lo << 8);
    lo = (v0l + v5l) | 0; v0h = (v0h + v5h + ((lo >>> 0) < (v0l >>> 0) ? 1 : 0)) | 0; v0l = lo;
    lo = (v0l + m[s9]!) | 0; v0h = (v0h + m[s9 + 1]! + ((lo >>> 0) < (v0l >>> 0) ? 1 : 0)) | 0; v0l = lo;
    v15l ^= v0l; v15h ^= v0h;
    lo = v15l; v15l = (lo >>> 16) | (v15h << 16); v15h = (v15h >>> 16) | (lo << 16);
    lo = (v10l + v15l) | 0; v10h = (v10h + v15h + ((lo >>> 0) < (v10l >>> 0) ? 1 : 0)) | 0; v10l = lo;
    v5l ^= v10l; v5h ^= v10h;
    lo = v5l; v5l = (lo << 1) | (v5h >>> 31); v5h = (v5h << 1) | (lo >>> 31);
    lo = (v1l + v6l) | 0; v1h = (v1h + v6h + ((lo >>> 0) < (v1l >>> 0) ? 1 : 0)) | 0; v1l = lo;
    lo = (v1l + m[s10]!) | 0; v1h = (v1h + m[s10 + 1]! + ((lo >>> 0) < (v1l >>> 0) ? 1 : 0)) | 0; v1l = lo;
    v12l ^= v1l; v12h ^= v1h;
    lo = v12l; v12l = v12h; v12h = lo;
    lo = (v11l + v12l) | 0; v11h = (v11h + v12h + ((lo >>> 0) < (v11l >>> 0) ? 1 : 0)) | 0; v11l = lo;
    v6l ^= v11l; v6h ^= v11h;
    lo = v6l; v6l = (lo >>> 24) | (v6h << 8); v6h = (v6h >>> 24) | (lo << 8);
    lo = (v1l + v6l) | 0; v1h = (v1h + v6h + ((lo >>> 0) < (v1l >>> 0) ? 1 : 0)) | 0; v1l = lo;
    lo = (v1l + m[s11]!) | 0; v1h = (v1h + m[s11 + 1]! + ((lo >>> 0) < (v1l >>> 0) ? 1 : 0)) | 0; v1l = lo;
    v12l ^= v1l; v12h ^= v1h;
    lo = v12l; v12l = (lo >>> 16) | (v12h << 16); v12h = (v12h >>> 16) | (lo << 16);
    lo = (v11l + v12l) | 0; v11h = (v11h + v12h + ((lo >>> 0) < (v11l >>> 0) ? 1 : 0)) | 0; v11l = lo;
    v6l ^= v11l; v6h ^= v11h;
    lo = v6l; v6l = (lo << 1) | (v6h >>> 31); v6h = (v6h << 1) | (lo >>> 31);
    lo = (v2l + v7l) | 0; v2h = (v2h + v7h + ((lo >>> 0) < (v2l >>> 0) ? 1 : 0)) | 0; v2l = lo;
    lo = (v2l + m[s12]!) | 0; v2h = (v2h + m[s12 + 1]! + ((lo >>> 0) < (v2l >>> 0) ? 1 : 0)) | 0; v2l = lo;
    v13l ^= v2l; v13h ^= v2h;
    lo = v13l; v13l = v13h; v13h = lo;
    lo = (v8l + v13l) | 0; v8h = (v8h + v13h + ((lo >>> 0) < (v8l >>> 0) ? 1 : 0)) | 0; v8l = lo;
    v7l ^= v8l; v7h ^= v8h;
    lo = v7l; v7l = (lo >>> 24) | (v7h << 8); v7h = (v7h >>> 24) | (lo << 8);
    lo = (v2l + v7l) | 0; v2h = (v2h + v7h + ((lo >>> 0) < (v2l >>> 0) ? 1 : 0)) | 0; v2l = lo;
    lo = (v2l + m[s13]!) | 0; v2h = (v2h + m[s13 + 1]! + ((lo >>> 0) < (v2l >>> 0) ? 1 : 0)) | 0; v2l = lo;
    v13l ^= v2l; v13h ^= v2h;
    lo = v13l; v13l = (lo >>> 16) | (v13h << 16); v13h = (v13h >>> 16) | (lo << 16);
    lo = (v8l + v13l) | 0; v8h = (v8h + v13h + ((lo >>> 0) < (v8l >>> 0) ? 1 : 0)) | 0; v8l = lo;
    v7l ^= v8l; v7h ^= v8h;
    lo = v7l; v7l = (lo << 1) | (v7h >>> 31); v7h = (v7h << 1) | (lo >>> 31);
    lo = (v3l + v4l) | 0; v3h = (v3h + v4h + ((lo >>> 0) < (v3l >>> 0) ? 1 : 0)) | 0; v3l = lo;
    lo = (v3l + m[s14]!) | 0; v3h = (v3h + m[s14 + 1]! + ((lo >>> 0) < (v3l >>> 0) ? 1 : 0)) | 0; v3l = lo;
    v14l ^= v3l; v14h ^= v3h;
    lo = v14l; v14l = v14h; v14h = lo;
    lo = (v9l + v14l) | 0; v9h = (v9h + v14h + ((lo >>> 0) < (v9l >>> 0) ? 1 : 0)) | 0; v9l = lo;
    v4l ^= v9l; v4h ^= v9h;
    lo = v4l; v4l = (lo >>> 24) | (v4h << 8); v4h = (v4h >>> 24) | (lo << 8);
    lo = (v3l + v4l) | 0; v3h = (v3h + v4h + ((lo >>> 0) < (v3l >>> 0) ? 1 : 0)) | 0; v3l = lo;
    lo = (v3l + m[s15]!) | 0; v3h = (v3h + m[s15 + 1]! + ((lo >>> 0) < (v3l >>> 0) ? 1 : 0)) | 0; v3l = lo;
    v14l ^= v3l; v14h ^= v3h;
    lo = v14l; v14l = (lo >>> 16) | (v14h << 16); v14h = (v14h >>> 16) | (lo << 16);
    lo = (v9l + v14l) | 0; v9h = (v9h + v14h + ((lo >>> 0) < (v9l >>> 0) ? 1 : 0)) | 0; v9l = lo;
    v4l ^= v9l; v4h ^= v9h;
    lo = v4l; v4l = (lo << 1) | (v4h >>> 31); v4h = (v4h << 1) | (lo >>> 31);
  }
  h[0]! ^= v0l ^ v8l; h[1]! ^= v0h ^ v8h; h[2]! ^= v1l ^ v9l; h[3]! ^= v1h ^ v9h;
  h[4]! ^= v2l ^ v10l; h[5]! ^= v2h ^ v10h; h[6]! ^= v3l ^ v11l; h[7]! ^= v3h ^ v11h;
  h[8]! ^= v4l ^ v12l; h[9]! ^= v4h ^ v12h; h[10]! ^= v5l ^ v13l; h[11]! ^= v5h ^ v13h;
  h[12]! ^= v6l ^ v14l; h[13]! ^= v6h ^ v14h; h[14]! ^= v7l ^ v15l; h[15]! ^= v7h ^ v15h;
}
