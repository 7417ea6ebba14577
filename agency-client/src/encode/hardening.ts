/**
 * Bloom-filter hardening steps that run after hashing (salting acts earlier, in the token keys).
 * Bits are numbered from the most significant bit of byte 0, as the protocol's base64 bit strings.
 *
 * - balance: append the complement and permute all 2L bits with a keyed permutation. Every output
 *   has exactly L bits set, so the popcount no longer tells how many tokens (how long a name) went
 *   in, and a frequent value's filter no longer stands out by its weight.
 * - xor-fold: XOR the first half with the second. Halves the length; each output bit mixes two
 *   input bits, so a bit pattern can no longer be traced back to single tokens (at some cost to
 *   similarity: two set bits cancel).
 */
import { Blake2bKeyed } from '../crypto/blake2b.js';
import type { HardeningSpec } from './schema.js';

/** A keyed pseudo-random permutation of 0..n−1 (Fisher–Yates driven by keyed BLAKE2b in counter mode). */
export function keyedPermutation(seed: Uint8Array, n: number): Uint32Array {
  const mac = new Blake2bKeyed(seed, { personal: new TextEncoder().encode('blindlink-perm') });
  const counter = new Uint8Array(8);
  const view = new DataView(counter.buffer);
  let block: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
  let used = 0;
  let round = 0;
  const next32 = (): number => {
    if (used === block.length) {
      view.setUint32(0, round++, true);
      block = new Uint32Array(mac.digest(counter).buffer);
      used = 0;
    }
    return block[used++]!;
  };
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = n - 1; i > 0; i--) {
    // Rejection sampling: an unbiased index in 0..i.
    const range = i + 1;
    const limit = Math.floor(0x100000000 / range) * range;
    let r = next32();
    while (r >= limit) r = next32();
    const j = r % range;
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  return perm;
}

export function popcount(bytes: Uint8Array): number {
  let n = 0;
  for (const b of bytes) {
    let x = b;
    x = x - ((x >> 1) & 0x55);
    x = (x & 0x33) + ((x >> 2) & 0x33);
    n += (x + (x >> 4)) & 0x0f;
  }
  return n;
}

/** Balanced filter of 2·bits bits: bit i of the input goes to perm[i], its complement to perm[bits + i]. */
export function balance(bytes: Uint8Array, perm: Uint32Array): Uint8Array {
  const bits = bytes.length * 8;
  if (perm.length !== 2 * bits) throw new RangeError(`balancing ${bits} bits needs a permutation of ${2 * bits}`);
  const out = new Uint8Array(bytes.length * 2);
  for (let i = 0; i < bits; i++) {
    const set = (bytes[i >>> 3]! & (0x80 >>> (i & 7))) !== 0;
    const p = perm[set ? i : bits + i]!;
    out[p >>> 3]! |= 0x80 >>> (p & 7);
  }
  return out;
}

export function xorFold(bytes: Uint8Array): Uint8Array {
  if (bytes.length % 2 !== 0) throw new RangeError('xor-fold needs an even number of bytes');
  const half = bytes.length / 2;
  const out = new Uint8Array(half);
  for (let i = 0; i < half; i++) out[i] = bytes[i]! ^ bytes[half + i]!;
  return out;
}

/** The post-hash hardening steps for one filter, with its permutation computed once. */
export class FilterHardener {
  private readonly steps: ((b: Uint8Array) => Uint8Array)[] = [];
  readonly outBits: number;

  constructor(bits: number, hardening: readonly HardeningSpec[], permutationSeed: () => Uint8Array) {
    let n = bits;
    for (const h of hardening) {
      if (h.step === 'balance') {
        const perm = keyedPermutation(permutationSeed(), 2 * n);
        this.steps.push((b) => balance(b, perm));
        n *= 2;
      } else if (h.step === 'xor-fold') {
        this.steps.push(xorFold);
        n /= 2;
      }
    }
    this.outBits = n;
  }

  apply(bytes: Uint8Array): Uint8Array {
    let b = bytes;
    for (const s of this.steps) b = s(b);
    return b;
  }
}

const UTF8 = new TextEncoder();
const FLIP_PERSONAL = UTF8.encode('blindlink-flip');

/**
 * Randomised response (the `flip` step): every bit of a finished filter flipped independently with
 * probability p. The noise comes from keyed BLAKE2b over (field, record id), not from a fresh random
 * source: the same record re-encoded tomorrow gets the same noise (so incremental runs and stable
 * ids still see an unchanged record as unchanged), while two records holding one value — in one
 * agency or in two — get independent noise, so equal values no longer give equal filters. Without
 * the key the noise is unpredictable. Flipped positions are drawn as geometric gaps, so the cost
 * follows the number of flips, not the filter length.
 */
export class FlipNoise {
  private readonly mac: Blake2bKeyed;
  private readonly block = new Uint32Array(16);

  constructor(key: Uint8Array) {
    this.mac = new Blake2bKeyed(key, { personal: FLIP_PERSONAL });
  }

  /** Flips each bit of `bytes` in place with probability p, the stream keyed by label and record id. */
  apply(bytes: Uint8Array, p: number, label: string, recordId: string): void {
    const seed = UTF8.encode(`${label}\u001f${recordId}`);
    const msg = new Uint8Array(seed.length + 4);
    msg.set(seed);
    const view = new DataView(msg.buffer);
    let counter = 0;
    let used = 16;
    const next = (): number => {
      if (used === 16) {
        view.setUint32(seed.length, counter++, true);
        const d = this.mac.digest(msg);
        for (let w = 0; w < 16; w++)
          this.block[w] = (d[4 * w]! | (d[4 * w + 1]! << 8) | (d[4 * w + 2]! << 16) | (d[4 * w + 3]! << 24)) >>> 0;
        used = 0;
      }
      return this.block[used++]!;
    };
    const logQ = Math.log1p(-p);
    const bits = bytes.length * 8;
    // Gap to the next flipped bit: the number of unflipped bits before it is geometric with parameter p.
    for (let i = -1; ; ) {
      const u = (next() + 1) / 4294967297; // uniform in (0, 1)
      i += 1 + Math.floor(Math.log(u) / logQ);
      if (i >= bits) return;
      bytes[i >>> 3]! ^= 0x80 >>> (i & 7);
    }
  }
}
