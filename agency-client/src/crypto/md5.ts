/**
 * MD5 and HMAC-MD5 in pure TypeScript for many short messages under one key, with the
 * (key ^ ipad) and (key ^ opad) states precomputed (see sha1.ts for why). Used for clkhash's
 * doubleHash only, not for security.
 */

const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const K = new Int32Array(64);
for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000) | 0;
const G_INDEX = new Int32Array(64);
const SHIFT = new Int32Array(64);
for (let i = 0; i < 64; i++) {
  G_INDEX[i] = i < 16 ? i : i < 32 ? (5 * i + 1) % 16 : i < 48 ? (3 * i + 5) % 16 : (7 * i) % 16;
  SHIFT[i] = S[(i >> 4) * 4 + (i & 3)]!;
}

/** Compresses one block given as 16 little-endian words into `h` (4 words). */
export function md5Compress(h: Int32Array, x: Int32Array): void {
  let a = h[0]!,
    b = h[1]!,
    c = h[2]!,
    d = h[3]!;
  for (let i = 0; i < 64; i++) {
    let f: number;
    if (i < 16) f = (b & c) | (~b & d);
    else if (i < 32) f = (d & b) | (~d & c);
    else if (i < 48) f = b ^ c ^ d;
    else f = c ^ (b | ~d);
    const t = (a + f + K[i]! + x[G_INDEX[i]!]!) | 0;
    const s = SHIFT[i]!;
    a = d;
    d = c;
    c = b;
    b = (b + ((t << s) | (t >>> (32 - s)))) | 0;
  }
  h[0] = (h[0]! + a) | 0;
  h[1] = (h[1]! + b) | 0;
  h[2] = (h[2]! + c) | 0;
  h[3] = (h[3]! + d) | 0;
}

const MD5_IV = new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476]);

function loadLE(words: Int32Array, msg: Uint8Array, pos: number, n: number): void {
  words.fill(0);
  for (let i = 0; i < n; i++) words[i >> 2]! |= msg[pos + i]! << (8 * (i & 3));
}

function md5Finish(h: Int32Array, words: Int32Array, msg: Uint8Array, len: number, prefixLen: number): void {
  let pos = 0;
  while (len - pos >= 64) {
    loadLE(words, msg, pos, 64);
    md5Compress(h, words);
    pos += 64;
  }
  const rest = len - pos;
  loadLE(words, msg, pos, rest);
  words[rest >> 2]! |= 0x80 << (8 * (rest & 3));
  if (rest >= 56) {
    md5Compress(h, words);
    words.fill(0);
  }
  const bits = (prefixLen + len) * 8;
  words[14] = bits | 0;
  words[15] = (bits / 0x100000000) | 0;
  md5Compress(h, words);
}

/** HMAC-MD5 under one fixed key. Not re-entrant (reuses buffers). */
export class HmacMd5 {
  private readonly inner = new Int32Array(4);
  private readonly outer = new Int32Array(4);
  private readonly words = new Int32Array(16);

  constructor(key: Uint8Array) {
    let k = key;
    if (k.length > 64) k = md5(k);
    const pad = new Uint8Array(64);
    for (const [state, byte] of [
      [this.inner, 0x36],
      [this.outer, 0x5c],
    ] as const) {
      for (let i = 0; i < 64; i++) pad[i] = (k[i] ?? 0) ^ byte;
      state.set(MD5_IV);
      loadLE(this.words, pad, 0, 64);
      md5Compress(state, this.words);
    }
  }

  /**
   * MAC of msg[0..len) as 4 words in `out`; the digest bytes are each word's little-endian
   * serialisation, in order.
   */
  macInto(msg: Uint8Array, len: number, out: Int32Array): void {
    const words = this.words;
    out.set(this.inner);
    md5Finish(out, words, msg, len, 64);
    for (let i = 0; i < 4; i++) words[i] = out[i]!;
    words[4] = 0x80;
    words.fill(0, 5);
    words[14] = (64 + 16) * 8;
    out.set(this.outer);
    md5Compress(out, words);
  }

  mac(msg: Uint8Array): Uint8Array {
    const out = new Int32Array(4);
    this.macInto(msg, msg.length, out);
    return wordsToBytesLE(out);
  }
}

/** Plain MD5 (used for over-long HMAC keys and tests). */
export function md5(msg: Uint8Array): Uint8Array {
  const h = MD5_IV.slice();
  md5Finish(h, new Int32Array(16), msg, msg.length, 0);
  return wordsToBytesLE(h);
}

function wordsToBytesLE(words: Int32Array): Uint8Array {
  return new Uint8Array(words.slice().buffer);
}
