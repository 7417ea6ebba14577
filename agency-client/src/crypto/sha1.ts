/**
 * SHA-1 and HMAC-SHA1 in pure TypeScript for many short messages under one key.
 * node:crypto cannot resume a hash from a saved state, so HMAC there re-hashes the two padded
 * key blocks on every call; here the states after (key ^ ipad) and (key ^ opad) are computed once
 * and a short message costs two compressions. Used for clkhash's doubleHash, not for security.
 */

const W = new Int32Array(80);

/** Compresses one block given as 16 big-endian words into `h` (5 words). */
export function sha1Compress(h: Int32Array, words: Int32Array): void {
  for (let i = 0; i < 16; i++) W[i] = words[i]!;
  for (let i = 16; i < 80; i++) {
    const x = W[i - 3]! ^ W[i - 8]! ^ W[i - 14]! ^ W[i - 16]!;
    W[i] = (x << 1) | (x >>> 31);
  }
  let a = h[0]!,
    b = h[1]!,
    c = h[2]!,
    d = h[3]!,
    e = h[4]!;
  for (let i = 0; i < 80; i++) {
    let f: number, k: number;
    if (i < 20) {
      f = (b & c) | (~b & d);
      k = 0x5a827999;
    } else if (i < 40) {
      f = b ^ c ^ d;
      k = 0x6ed9eba1;
    } else if (i < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8f1bbcdc | 0;
    } else {
      f = b ^ c ^ d;
      k = 0xca62c1d6 | 0;
    }
    const t = (((a << 5) | (a >>> 27)) + f + e + k + W[i]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  h[0] = (h[0]! + a) | 0;
  h[1] = (h[1]! + b) | 0;
  h[2] = (h[2]! + c) | 0;
  h[3] = (h[3]! + d) | 0;
  h[4] = (h[4]! + e) | 0;
}

const SHA1_IV = new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0]);

/** Loads bytes [pos, pos+n) (n <= 64) big-endian into 16 words, zero-filled. */
function loadBE(words: Int32Array, msg: Uint8Array, pos: number, n: number): void {
  words.fill(0);
  for (let i = 0; i < n; i++) words[i >> 2]! |= msg[pos + i]! << (24 - 8 * (i & 3));
}

/**
 * Hashes msg[0..len) continuing from `h`, which has already absorbed `prefixLen` bytes
 * (a multiple of 64), and applies the final padding.
 */
function sha1Finish(h: Int32Array, words: Int32Array, msg: Uint8Array, len: number, prefixLen: number): void {
  let pos = 0;
  while (len - pos >= 64) {
    loadBE(words, msg, pos, 64);
    sha1Compress(h, words);
    pos += 64;
  }
  const rest = len - pos;
  loadBE(words, msg, pos, rest);
  words[rest >> 2]! |= 0x80 << (24 - 8 * (rest & 3));
  if (rest >= 56) {
    sha1Compress(h, words);
    words.fill(0);
  }
  const bits = (prefixLen + len) * 8;
  words[14] = (bits / 0x100000000) | 0;
  words[15] = bits | 0;
  sha1Compress(h, words);
}

/** HMAC-SHA1 under one fixed key. Not re-entrant (reuses buffers). */
export class HmacSha1 {
  private readonly inner = new Int32Array(5);
  private readonly outer = new Int32Array(5);
  private readonly words = new Int32Array(16);

  constructor(key: Uint8Array) {
    let k = key;
    if (k.length > 64) k = sha1(k);
    const pad = new Uint8Array(64);
    for (const [state, byte] of [
      [this.inner, 0x36],
      [this.outer, 0x5c],
    ] as const) {
      for (let i = 0; i < 64; i++) pad[i] = (k[i] ?? 0) ^ byte;
      state.set(SHA1_IV);
      loadBE(this.words, pad, 0, 64);
      sha1Compress(state, this.words);
    }
  }

  /** MAC of msg[0..len) as 5 big-endian words in `out`. */
  macInto(msg: Uint8Array, len: number, out: Int32Array): void {
    const words = this.words;
    out.set(this.inner);
    sha1Finish(out, words, msg, len, 64);
    // Outer hash over the 20-byte inner digest: a single block.
    for (let i = 0; i < 5; i++) words[i] = out[i]!;
    words[5] = 0x80000000 | 0;
    words.fill(0, 6);
    words[15] = (64 + 20) * 8;
    out.set(this.outer);
    sha1Compress(out, words);
  }

  mac(msg: Uint8Array): Uint8Array {
    const out = new Int32Array(5);
    this.macInto(msg, msg.length, out);
    return wordsToBytesBE(out);
  }
}

/** Plain SHA-1 (used for over-long HMAC keys and tests). */
export function sha1(msg: Uint8Array): Uint8Array {
  const h = SHA1_IV.slice();
  sha1Finish(h, new Int32Array(16), msg, msg.length, 0);
  return wordsToBytesBE(h);
}

function wordsToBytesBE(words: Int32Array): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    out[4 * i] = w >>> 24;
    out[4 * i + 1] = (w >>> 16) & 0xff;
    out[4 * i + 2] = (w >>> 8) & 0xff;
    out[4 * i + 3] = w & 0xff;
  }
  return out;
}
