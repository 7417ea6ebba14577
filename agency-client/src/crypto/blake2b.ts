import { blake2bCompress } from './blake2b-compress.js';
import { wasmCompressor } from './blake2b-wasm.js';

/** WebAssembly compression when the platform has it (several times faster); else the JS one. */
const WASM = wasmCompressor();

const IV_WORDS = new Int32Array([
  0xf3bcc908, 0x6a09e667, 0x84caa73b, 0xbb67ae85, 0xfe94f82b, 0x3c6ef372, 0x5f1d36f1, 0xa54ff53a, 0xade682d1,
  0x510e527f, 0x2b3e6c1f, 0x9b05688c, 0xfb41bd6b, 0x1f83d9ab, 0x137e2179, 0x5be0cd19,
]);

function readInt32LE(bytes: Uint8Array, offset: number): number {
  return (
    (bytes[offset] ?? 0) |
    ((bytes[offset + 1] ?? 0) << 8) |
    ((bytes[offset + 2] ?? 0) << 16) |
    ((bytes[offset + 3] ?? 0) << 24)
  );
}

/**
 * BLAKE2b with a fixed key, salt and personalisation, hashing many messages.
 * The state after the key block is computed once; `hashInto` then needs one compression per
 * 128 message bytes. Not re-entrant: it reuses internal buffers (one instance per thread).
 */
export class Blake2bKeyed {
  readonly outLen: number;
  private readonly keyed: Int32Array;
  /** State before the key block, needed only to hash the empty message with a key. */
  private readonly paramState: Int32Array;
  private readonly keyBlockWords: Int32Array;
  private readonly state = new Int32Array(16);
  private readonly block = new Uint8Array(128);
  private readonly blockWords = new Int32Array(this.block.buffer);
  private readonly hasKey: boolean;

  constructor(key: Uint8Array, opts: { salt?: Uint8Array; personal?: Uint8Array; outLen?: number } = {}) {
    const outLen = opts.outLen ?? 64;
    if (!Number.isInteger(outLen) || outLen < 1 || outLen > 64)
      throw new RangeError('BLAKE2b output length must be 1..64 bytes');
    if (key.length > 64) throw new RangeError('BLAKE2b key must be at most 64 bytes');
    const salt = opts.salt ?? new Uint8Array(0);
    const personal = opts.personal ?? new Uint8Array(0);
    if (salt.length > 16) throw new RangeError('BLAKE2b salt must be at most 16 bytes');
    if (personal.length > 16) throw new RangeError('BLAKE2b personalisation must be at most 16 bytes');
    this.outLen = outLen;
    // Parameter block: digest length, key length, fanout 1, depth 1; salt and personal are
    // zero-padded to 16 bytes each (as hashlib and libsodium do).
    const param = new Uint8Array(64);
    param[0] = outLen;
    param[1] = key.length;
    param[2] = 1;
    param[3] = 1;
    param.set(salt, 32);
    param.set(personal, 48);
    const h = new Int32Array(16);
    for (let i = 0; i < 16; i++) h[i] = IV_WORDS[i]! ^ readInt32LE(param, i * 4);
    this.paramState = h.slice();
    this.hasKey = key.length > 0;
    const keyBlock = new Uint8Array(128);
    keyBlock.set(key);
    this.keyBlockWords = new Int32Array(keyBlock.buffer);
    if (this.hasKey) blake2bCompress(h, this.keyBlockWords, 128, false);
    this.keyed = h;
  }

  /**
   * Hashes `msg[0..len)` and leaves the digest as 16 little-endian int32 halves in `out`
   * (the first `outLen` bytes of their little-endian serialisation are the digest).
   */
  hashWordsInto(msg: Uint8Array, len: number, out: Int32Array): void {
    if (WASM !== undefined && len > 0) {
      this.hashWordsWasm(WASM.h, WASM.block, msg, len, out);
      return;
    }
    const h = this.state;
    h.set(this.keyed);
    if (len === 0) {
      if (this.hasKey) {
        // The key block was the last block: redo it with the final flag set.
        h.set(this.paramState);
        blake2bCompress(h, this.keyBlockWords, 128, true);
      } else {
        this.block.fill(0);
        blake2bCompress(h, this.blockWords, 0, true);
      }
      out.set(h);
      return;
    }
    let t = this.hasKey ? 128 : 0;
    let pos = 0;
    const block = this.block;
    while (len - pos > 128) {
      block.set(msg.subarray(pos, pos + 128));
      t += 128;
      blake2bCompress(h, this.blockWords, t, false);
      pos += 128;
    }
    const rest = len - pos;
    for (let i = 0; i < rest; i++) block[i] = msg[pos + i]!;
    block.fill(0, rest);
    t += rest;
    blake2bCompress(h, this.blockWords, t, true);
    out.set(h);
  }

  /** hashWordsInto for len > 0 on the WebAssembly compressor, whose memory holds h and the block. */
  private hashWordsWasm(h: Int32Array, block: Uint8Array, msg: Uint8Array, len: number, out: Int32Array): void {
    h.set(this.keyed);
    let t = this.hasKey ? 128 : 0;
    let pos = 0;
    while (len - pos > 128) {
      block.set(msg.subarray(pos, pos + 128));
      t += 128;
      WASM!.compress(t | 0, (t / 0x100000000) | 0, 0);
      pos += 128;
    }
    const rest = len - pos;
    for (let i = 0; i < rest; i++) block[i] = msg[pos + i]!;
    block.fill(0, rest);
    t += rest;
    WASM!.compress(t | 0, (t / 0x100000000) | 0, 1);
    out.set(h);
  }

  /** Convenience: the digest as bytes (allocates). */
  digest(msg: Uint8Array): Uint8Array {
    const words = new Int32Array(16);
    this.hashWordsInto(msg, msg.length, words);
    return new Uint8Array(words.buffer, 0, this.outLen).slice();
  }
}
