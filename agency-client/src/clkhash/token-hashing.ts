/**
 * Token → Bloom-filter bit positions, for clkhash's two hash schemes. Stateless apart from
 * reused buffers: callers cache the results (see feature-encoder.ts).
 *
 * blakeHash: for j = 0..ceil(k/32)-1, BLAKE2b-512(token, key = key1, salt = ASCII decimal j);
 *   each digest read as 32 little-endian uint16; the first k values mod L are the positions.
 * doubleHash: h1 = HMAC-SHA1(key1, token) mod L, h2 = HMAC-MD5(key2, token) mod L (digests as
 *   big-endian integers); positions (h1 + i·h2) mod L. With prevent_singularity, while h2 = 0,
 *   h2 = HMAC-MD5(key2, token ‖ UTF-8(chr(c))) mod L for c = 0, 1, ...
 *
 * In both schemes the positions for k bits are the first k of the positions for any k' > k, so
 * one array serves every k up to its length.
 */
import { Blake2bKeyed } from '../crypto/blake2b.js';
import { HmacMd5 } from '../crypto/md5.js';
import { HmacSha1 } from '../crypto/sha1.js';
import type { TextEncoding } from './schema.js';
import { TokenEncoder } from './token-bytes.js';

export interface TokenHasher {
  /**
   * A new array whose entries are the token's first bit positions, in order: at least k of
   * them, a multiple of 32 (a whole BLAKE2b digest; doubleHash gives at least 128), so that
   * the same token with more bits usually needs no second call.
   */
  positions(token: string, k: number): Int32Array;
}

export class BlakeTokenHasher implements TokenHasher {
  private readonly macs: Blake2bKeyed[] = [];
  private readonly encoder: TokenEncoder;
  private readonly digestWords = new Int32Array(16);
  private readonly digestShorts = new Uint16Array(this.digestWords.buffer);
  private readonly mask: number;

  constructor(
    private readonly key: Uint8Array,
    hashL: number,
    encoding: TextEncoding,
  ) {
    if ((hashL & (hashL - 1)) !== 0) throw new RangeError(`blakeHash needs a power-of-two filter length, got ${hashL}`);
    this.mask = hashL - 1;
    this.encoder = new TokenEncoder(encoding);
  }

  private mac(j: number): Blake2bKeyed {
    let m = this.macs[j];
    if (m === undefined) {
      m = new Blake2bKeyed(this.key, { salt: new TextEncoder().encode(String(j)) });
      this.macs[j] = m;
    }
    return m;
  }

  positions(token: string, k: number): Int32Array {
    const blocks = Math.ceil(k / 32);
    const out = new Int32Array(blocks * 32);
    const len = this.encoder.encode(token);
    const bytes = this.encoder.bytes();
    const shorts = this.digestShorts;
    const mask = this.mask;
    for (let j = 0; j < blocks; j++) {
      this.mac(j).hashWordsInto(bytes, len, this.digestWords);
      for (let i = 0; i < 32; i++) out[32 * j + i] = shorts[i]! & mask;
    }
    return out;
  }
}

/**
 * doubleHash positions cost an addition and a remainder each, next to two HMACs per token, so at
 * least this many are computed: a token met again with more bits (bitsPerFeature spread over a
 * shorter value) is then rarely hashed twice.
 */
const MIN_DOUBLE_POSITIONS = 128;

export class DoubleTokenHasher implements TokenHasher {
  private readonly sha1: HmacSha1;
  private readonly md5: HmacMd5;
  private readonly encoder: TokenEncoder;
  private readonly w5 = new Int32Array(5);
  private readonly w4 = new Int32Array(4);

  constructor(
    key1: Uint8Array,
    key2: Uint8Array,
    private readonly hashL: number,
    encoding: TextEncoding,
    private readonly preventSingularity: boolean,
  ) {
    this.sha1 = new HmacSha1(key1);
    this.md5 = new HmacMd5(key2);
    this.encoder = new TokenEncoder(encoding);
  }

  /** Big-endian integer of the digest words, mod L (16 bits at a time keeps it exact). */
  private modWordsBE(words: Int32Array, byteSwap: boolean): number {
    const L = this.hashL;
    let r = 0;
    for (let i = 0; i < words.length; i++) {
      let w = words[i]!;
      if (byteSwap) w = ((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24);
      r = (r * 65536 + (w >>> 16)) % L;
      r = (r * 65536 + (w & 0xffff)) % L;
    }
    return r;
  }

  positions(token: string, k: number): Int32Array {
    const len = this.encoder.encode(token);
    const bytes = this.encoder.bytes();
    this.sha1.macInto(bytes, len, this.w5);
    this.md5.macInto(bytes, len, this.w4);
    const h1 = this.modWordsBE(this.w5, false);
    // MD5 digest bytes are the little-endian serialisation of its state words.
    let h2 = this.modWordsBE(this.w4, true);
    if (this.preventSingularity && h2 === 0) {
      const base = bytes.slice(0, len);
      for (let c = 0; h2 === 0; c++) {
        const suffix = new TextEncoder().encode(String.fromCodePoint(c));
        const msg = new Uint8Array(len + suffix.length);
        msg.set(base);
        msg.set(suffix, len);
        this.md5.macInto(msg, msg.length, this.w4);
        h2 = this.modWordsBE(this.w4, true);
      }
    }
    const out = new Int32Array(Math.max(MIN_DOUBLE_POSITIONS, Math.ceil(k / 32) * 32));
    // (h1 + i·h2) mod L, stepwise: h1, h2 < L, so one subtraction keeps it reduced.
    const L = this.hashL;
    for (let i = 0, p = h1; i < out.length; i++) {
      out[i] = p;
      p += h2;
      if (p >= L) p -= L;
    }
    return out;
  }
}
