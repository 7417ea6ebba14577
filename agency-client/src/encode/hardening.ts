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
import { type Cipher, createCipheriv } from 'node:crypto';
import { Blake2bKeyed } from '../crypto/blake2b.js';
import { encodeUtf8Into } from '../crypto/utf8.js';
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
const NONCE_PERSONAL = UTF8.encode('blindlink-flipn');
const FIELD_PERSONAL = UTF8.encode('blindlink-flipf');
const TWO_32 = 4294967296;

/**
 * Gap sampler of the flip step: the number of unflipped bits before the next flipped one,
 * floor(ln u / ln(1 − p)) with u = (w + 1) / (2^32 + 1) for a uniform 32-bit w (its bytes taken
 * most significant first from the noise stream), which is geometric with parameter p. Most draws are
 * settled by w's first byte or first two bytes alone (every w sharing them gives one gap, its real
 * value clear of an integer by 1e-9, far above rounding error): those
 * are looked up, and only the rest read all four bytes and take the logarithm. Reading fewer bytes
 * changes nothing in the gaps' distribution, since unread bytes cannot change a settled gap.
 */
export class GapTable {
  /** Gap per first byte (−1: not settled by one byte). */
  readonly one = new Int32Array(256);
  /** Gap per first two bytes (−1: not settled by two bytes). */
  readonly two = new Int32Array(65536);
  readonly logQ: number;
  /** Stream bytes one draw reads on average. */
  readonly bytesPerDraw: number;

  constructor(p: number) {
    this.logQ = Math.log1p(-p);
    const x = (w: number): number => Math.log((w + 1) / (TWO_32 + 1)) / this.logQ;
    // Settled when the gap's real value stays clear of an integer over the whole range, by far
    // more than the logarithm's rounding error: every w inside then floors to the same gap.
    const settled = (lo: number, hi: number): number => {
      const k = Math.floor(x(hi));
      return x(hi) - k >= 1e-9 && x(lo) <= k + 1 - 1e-9 ? k : -1;
    };
    for (let b = 0; b < 256; b++) this.one[b] = settled(b * 2 ** 24, (b + 1) * 2 ** 24 - 1);
    for (let b = 0; b < 65536; b++) this.two[b] = settled(b * 2 ** 16, (b + 1) * 2 ** 16 - 1);
    let unsettledOne = 0;
    let unsettledTwo = 0;
    for (let b = 0; b < 256; b++) if (this.one[b]! < 0) unsettledOne++;
    for (let b = 0; b < 65536; b++) if (this.two[b]! < 0) unsettledTwo++;
    this.bytesPerDraw = 1 + unsettledOne / 256 + (2 * unsettledTwo) / 65536;
  }
}

/** The int32 whose little-endian bytes are n's big-endian bytes (the counter of a standard CTR block). */
const bigEndian = (n: number): number =>
  ((n & 0xff) << 24) | ((n & 0xff00) << 8) | ((n >>> 8) & 0xff00) | ((n >>> 24) & 0xff);

const gapTables = new Map<number, GapTable>();
const gapTable = (p: number): GapTable => {
  let t = gapTables.get(p);
  if (t === undefined) {
    t = new GapTable(p);
    gapTables.set(p, t);
  }
  return t;
};

/** One flipped field: its nonce constant, its rate and how many stream blocks a record usually needs. */
interface FlipField {
  name: string;
  /** Three words XOR-ed into the record's nonce, so each field has a stream of its own. */
  nonce: Int32Array;
  p: number;
  table: GapTable;
  /** 16-byte blocks generated up front per record: more than all but a tiny share of records need. */
  blocks: number;
}

/**
 * Randomised response (the `flip` step): every bit of a finished filter flipped independently with
 * probability p. The noise is keyed and per record, not from a fresh random source: the same record
 * re-encoded tomorrow gets the same noise (so incremental runs and stable ids still see an unchanged
 * record as unchanged), while two records holding one value, in one agency or in two, get
 * independent noise, so equal values no longer give equal filters. Without the key it is
 * unpredictable.
 *
 * The stream: AES-256 in counter mode (by OpenSSL, hence AES-NI where the processor has it: a
 * record needs about a kilobyte of noise, which keyed BLAKE2b made the encoder's largest cost).
 * Counter block j of field f for a record is nonce ‖ j (32-bit big-endian, as AES-CTR with that
 * nonce and a zero counter would make them), the 96-bit nonce
 * being the first 12 bytes of keyed BLAKE2b of the record id XOR a per-field constant (keyed
 * BLAKE2b of the field name): one hash per record for all its fields, and nonces of distinct
 * (record, field) pairs collide with negligible probability. Flipped positions are drawn as
 * geometric gaps (GapTable), so the cost follows the number of flips, not the filter length.
 */
export class FlipNoise {
  private readonly cipher: Cipher;
  private readonly nonceMac: Blake2bKeyed;
  private readonly fields = new Map<string, number>();
  private readonly flips: FlipField[] = [];
  private readonly digest = new Int32Array(16);
  private idBuf = new Uint8Array(64);
  /** Counter blocks of the current record, and its keystream, per field from `start[f]`. */
  private readonly counters: Int32Array;
  private readonly counterBytes: Uint8Array;
  private stream: Uint8Array = new Uint8Array(0);
  /** Where the current record's keystream starts in `stream` (non-zero for a prepared batch). */
  private base = 0;
  private start: number[] = [];
  /** Stream bytes of one record's budget, all fields. */
  private recordBytes = 0;
  private record: string | null = null;
  /** Records prepared together (prepare()): their ids, nonce words (3 each) and keystream, and the next to use. */
  private prepared: readonly string[] = [];
  private preparedNonces = new Int32Array(0);
  private preparedStream: Uint8Array = new Uint8Array(0);
  private preparedNext = 0;

  /** `key`: 64 bytes, the AES-256 key then the BLAKE2b key for the nonces. */
  constructor(key: Uint8Array, fields: readonly { name: string; bits: number; p: number }[]) {
    if (key.length !== 64) throw new RangeError('the flip key must be 64 bytes');
    this.cipher = createCipheriv('aes-256-ecb', key.subarray(0, 32), null).setAutoPadding(false);
    this.nonceMac = new Blake2bKeyed(key.subarray(32), { personal: NONCE_PERSONAL });
    const fieldMac = new Blake2bKeyed(key.subarray(32), { personal: FIELD_PERSONAL });
    let total = 0;
    for (const f of fields) {
      const nonce = new Int32Array(16);
      const name = UTF8.encode(f.name);
      fieldMac.hashWordsInto(name, name.length, nonce);
      const table = gapTable(f.p);
      // About bits·p draws; the margin covers 5 standard deviations and more bytes per draw than usual
      // (a record past it costs one more cipher call, and gets the same stream).
      const flips = f.bits * f.p;
      const bytes = 1.1 * table.bytesPerDraw * (flips + 5 * Math.sqrt(flips) + 8);
      const blocks = Math.ceil(bytes / 16);
      this.fields.set(f.name, this.flips.length);
      this.flips.push({ name: f.name, nonce: nonce.slice(0, 3), p: f.p, table, blocks });
      this.start.push(total);
      total += blocks;
    }
    this.recordBytes = 16 * total;
    this.counters = new Int32Array(4 * total);
    this.counterBytes = new Uint8Array(this.counters.buffer);
    this.fillCounters(this.counters, 0);
  }

  /** Each field's block numbers (the last word of every counter block) of one record's budget at `at`. */
  private fillCounters(c: Int32Array, at: number): void {
    for (let f = 0; f < this.flips.length; f++)
      for (let j = 0; j < this.flips[f]!.blocks; j++) c[at + 4 * (this.start[f]! + j) + 3] = bigEndian(j);
  }

  /**
   * The budgeted keystream of the records about to be encoded, in one cipher call: one call per
   * record cost more than the encryption itself (a call and a new buffer each). Records then met in
   * this order (some may be skipped) take their stream from here; any other record makes its own,
   * and gets the same stream, since a record's stream depends on its id alone.
   */
  prepare(recordIds: readonly string[]): void {
    if (this.flips.length === 0) return;
    const n = recordIds.length;
    const words = this.recordBytes / 4;
    const c = new Int32Array(words * n);
    const nonces = new Int32Array(3 * n);
    for (let r = 0; r < n; r++) {
      this.nonceOf(recordIds[r]!);
      nonces[3 * r] = this.digest[0]!;
      nonces[3 * r + 1] = this.digest[1]!;
      nonces[3 * r + 2] = this.digest[2]!;
      this.fillCounters(c, words * r);
      this.fillNonces(c, words * r);
    }
    this.prepared = recordIds;
    this.preparedNonces = nonces;
    this.preparedStream = n > 0 ? this.cipher.update(new Uint8Array(c.buffer)) : new Uint8Array(0);
    this.preparedNext = 0;
    this.record = null;
  }

  /** Flips each bit of `bytes` in place with its field's probability, the stream keyed by field and record id. */
  apply(bytes: Uint8Array, field: string, recordId: string): void {
    const f = this.fields.get(field);
    if (f === undefined) throw new Error(`no flip step for field ${field}`);
    if (recordId !== this.record) this.begin(recordId);
    const { table, blocks } = this.flips[f]!;
    let ks = this.stream;
    let pos = this.base + 16 * this.start[f]!;
    let end = pos + 16 * blocks;
    let generated = blocks;
    const one = table.one;
    const two = table.two;
    const logQ = table.logQ;
    const bits = bytes.length * 8;
    for (let i = -1; ; ) {
      if (end - pos < 4) {
        // Rare: this record needs more noise than budgeted, and its stream simply goes on.
        const more = this.blocksFor(f, generated, blocks);
        generated += blocks;
        const joined = new Uint8Array(end - pos + more.length);
        joined.set(ks.subarray(pos, end));
        joined.set(more, end - pos);
        ks = joined;
        end = joined.length;
        pos = 0;
      }
      const b0 = ks[pos]!;
      let g = one[b0]!;
      if (g >= 0) pos += 1;
      else {
        const b01 = (b0 << 8) | ks[pos + 1]!;
        g = two[b01]!;
        if (g >= 0) pos += 2;
        else {
          const w = b01 * 65536 + ((ks[pos + 2]! << 8) | ks[pos + 3]!);
          g = Math.floor(Math.log((w + 1) / (TWO_32 + 1)) / logQ);
          pos += 4;
        }
      }
      i += 1 + g;
      if (i >= bits) return;
      bytes[i >>> 3]! ^= 0x80 >>> (i & 7);
    }
  }

  /**
   * A new record: its nonce and the budgeted keystream of every flipped field, from the prepared
   * batch when the record is next in it, else in a cipher call of its own.
   */
  private begin(recordId: string): void {
    this.record = recordId;
    const ids = this.prepared;
    let r = this.preparedNext;
    while (r < ids.length && ids[r] !== recordId) r++;
    if (r < ids.length) {
      this.preparedNext = r + 1;
      this.digest[0] = this.preparedNonces[3 * r]!;
      this.digest[1] = this.preparedNonces[3 * r + 1]!;
      this.digest[2] = this.preparedNonces[3 * r + 2]!;
      this.stream = this.preparedStream;
      this.base = r * this.recordBytes;
      return;
    }
    this.nonceOf(recordId);
    this.fillNonces(this.counters, 0);
    this.stream = this.cipher.update(this.counterBytes);
    this.base = 0;
  }

  /** The record's nonce words into digest[0..3). */
  private nonceOf(recordId: string): void {
    const need = 3 * recordId.length;
    if (need > this.idBuf.length) this.idBuf = new Uint8Array(2 * need);
    this.nonceMac.hashWordsInto(this.idBuf, encodeUtf8Into(recordId, this.idBuf), this.digest);
  }

  /** The current record's nonce (XOR each field's constant) into its counter blocks at `at`. */
  private fillNonces(c: Int32Array, at: number): void {
    for (let f = 0; f < this.flips.length; f++) {
      const { nonce, blocks } = this.flips[f]!;
      const n0 = this.digest[0]! ^ nonce[0]!;
      const n1 = this.digest[1]! ^ nonce[1]!;
      const n2 = this.digest[2]! ^ nonce[2]!;
      for (let j = 0, i = at + 4 * this.start[f]!; j < blocks; j++, i += 4) {
        c[i] = n0;
        c[i + 1] = n1;
        c[i + 2] = n2;
      }
    }
  }

  /** Keystream blocks from..from+count−1 of field f for the current record (beyond the budget). */
  private blocksFor(f: number, from: number, count: number): Uint8Array {
    const { nonce } = this.flips[f]!;
    const c = new Int32Array(4 * count);
    for (let j = 0; j < count; j++) {
      c[4 * j] = this.digest[0]! ^ nonce[0]!;
      c[4 * j + 1] = this.digest[1]! ^ nonce[1]!;
      c[4 * j + 2] = this.digest[2]! ^ nonce[2]!;
      c[4 * j + 3] = bigEndian(from + j);
    }
    return this.cipher.update(new Uint8Array(c.buffer));
  }
}
