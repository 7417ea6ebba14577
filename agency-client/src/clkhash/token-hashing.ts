/**
 * Token → Bloom-filter bit positions, for clkhash's two hash schemes, with a bounded per-feature
 * cache of the keyed hash output (which does not depend on how many bits the token gets).
 *
 * blakeHash: for j = 0..ceil(k/32)-1, BLAKE2b-512(token, key = key1, salt = ASCII decimal j);
 *   each digest read as 32 little-endian uint16; the first k values mod L are the positions.
 * doubleHash: h1 = HMAC-SHA1(key1, token) mod L, h2 = HMAC-MD5(key2, token) mod L (digests as
 *   big-endian integers); positions (h1 + i·h2) mod L. With prevent_singularity, while h2 = 0,
 *   h2 = HMAC-MD5(key2, token ‖ UTF-8(chr(c))) mod L for c = 0, 1, ...
 */
import { Blake2bKeyed } from '../crypto/blake2b.js';
import { HmacMd5 } from '../crypto/md5.js';
import { HmacSha1 } from '../crypto/sha1.js';
import { BoundedCache } from './bounded-cache.js';
import type { TextEncoding } from './schema.js';
import { TokenEncoder } from './token-bytes.js';

/** Growable list of bit positions, reused across rows to avoid allocation. */
export class PositionList {
  items = new Int32Array(1024);
  length = 0;

  push(p: number): void {
    if (this.length === this.items.length) {
      const bigger = new Int32Array(this.items.length * 2);
      bigger.set(this.items);
      this.items = bigger;
    }
    this.items[this.length++] = p;
  }
}

export interface TokenHasher {
  /** Appends the k bit positions of `token` to `out`. */
  addPositions(token: string, k: number, out: PositionList): void;
  clearCache(): void;
}

export class BlakeTokenHasher implements TokenHasher {
  private readonly macs: Blake2bKeyed[] = [];
  private readonly cache: BoundedCache<Uint16Array>;
  private readonly encoder: TokenEncoder;
  private readonly digestWords = new Int32Array(16);
  private readonly digestShorts = new Uint16Array(this.digestWords.buffer);
  private readonly mask: number;

  constructor(private readonly key: Uint8Array, hashL: number, encoding: TextEncoding, cacheLimit: number) {
    if ((hashL & (hashL - 1)) !== 0) throw new RangeError(`blakeHash needs a power-of-two filter length, got ${hashL}`);
    this.mask = hashL - 1;
    this.cache = new BoundedCache(cacheLimit);
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

  /** The first ≥ k uint16 values of the token's digest stream (cached). */
  private shorts(token: string, k: number): Uint16Array {
    const cached = this.cache.get(token);
    if (cached !== undefined && cached.length >= k) return cached;
    const blocks = Math.ceil(k / 32);
    const shorts = new Uint16Array(blocks * 32);
    const len = this.encoder.encode(token);
    const bytes = this.encoder.bytes();
    for (let j = 0; j < blocks; j++) {
      this.mac(j).hashWordsInto(bytes, len, this.digestWords);
      shorts.set(this.digestShorts, 32 * j);
    }
    this.cache.set(token, shorts);
    return shorts;
  }

  addPositions(token: string, k: number, out: PositionList): void {
    const s = this.shorts(token, k);
    const mask = this.mask;
    for (let i = 0; i < k; i++) out.push(s[i]! & mask);
  }

  clearCache(): void {
    this.cache.clear();
  }
}

export class DoubleTokenHasher implements TokenHasher {
  private readonly sha1: HmacSha1;
  private readonly md5: HmacMd5;
  private readonly cache: BoundedCache<Float64Array>;
  private readonly encoder: TokenEncoder;
  private readonly w5 = new Int32Array(5);
  private readonly w4 = new Int32Array(4);

  constructor(key1: Uint8Array, key2: Uint8Array, private readonly hashL: number, encoding: TextEncoding, private readonly preventSingularity: boolean, cacheLimit: number) {
    this.sha1 = new HmacSha1(key1);
    this.md5 = new HmacMd5(key2);
    this.cache = new BoundedCache(cacheLimit);
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

  private hashes(token: string): Float64Array {
    const cached = this.cache.get(token);
    if (cached !== undefined) return cached;
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
    const h = Float64Array.of(h1, h2);
    this.cache.set(token, h);
    return h;
  }

  addPositions(token: string, k: number, out: PositionList): void {
    const h = this.hashes(token);
    const h1 = h[0]!, h2 = h[1]!, L = this.hashL;
    for (let i = 0; i < k; i++) out.push((h1 + i * h2) % L);
  }

  clearCache(): void {
    this.cache.clear();
  }
}
