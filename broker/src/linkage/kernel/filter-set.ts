/**
 * A packed store of N Bloom-filter encodings (CLKs) of one bit length.
 *
 * Each filter occupies `words64` 64-bit words (little-endian, so the serialised bytes are copied
 * in as they are: Dice does not depend on bit order), zero-padded to the word boundary. Popcounts
 * are kept alongside. The storage is a SharedArrayBuffer so worker threads read it without a copy;
 * the WASM backend copies it into its own memory per run (B in popcount order).
 */
import { popcount32 } from './popcount.js';
import { MAX_WORDS64 } from './wasm-dice-module.js';

/** The plain data of a FilterSet: what crosses to worker threads. */
export interface FilterView {
  bits: number;
  count: number;
  words64: number;
  /** count · words64 · 2 u32 words (the low half of each 64-bit word first). */
  words: Uint32Array;
  /** Popcount per filter. */
  pops: Uint32Array;
}

function sharedOrPlain(bytes: number): ArrayBuffer | SharedArrayBuffer {
  return typeof SharedArrayBuffer === 'function' ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
}

export class FilterSet implements FilterView {
  readonly bits: number;
  readonly count: number;
  /** 64-bit words per filter. */
  readonly words64: number;
  /** Bytes per serialised filter, ⌈bits/8⌉. */
  readonly bytesPerFilter: number;
  readonly words: Uint32Array;
  readonly pops: Uint32Array;
  private readonly bytes: Uint8Array;

  constructor(bits: number, count: number) {
    if (!Number.isInteger(bits) || bits < 1 || bits > MAX_WORDS64 * 64) {
      throw new RangeError(`FilterSet: bits must be an integer in 1..${MAX_WORDS64 * 64}, got ${bits}`);
    }
    if (!Number.isInteger(count) || count < 0 || count > 0xffffffff)
      throw new RangeError(`FilterSet: bad count ${count}`);
    this.bits = bits;
    this.count = count;
    this.words64 = Math.ceil(bits / 64);
    this.bytesPerFilter = Math.ceil(bits / 8);
    const buffer = sharedOrPlain(count * this.words64 * 8);
    this.words = new Uint32Array(buffer);
    this.bytes = new Uint8Array(buffer);
    this.pops = new Uint32Array(sharedOrPlain(count * 4));
  }

  /** Build a set from serialised filters, all ⌈bits/8⌉ bytes long. */
  static fromBytes(bits: number, filters: readonly Uint8Array[]): FilterSet {
    const set = new FilterSet(bits, filters.length);
    filters.forEach((f, i) => {
      set.set(i, f);
    });
    return set;
  }

  /** Store filter i from its serialised bytes (bit j = bit 7 − j mod 8 of byte ⌊j/8⌋). */
  set(i: number, bytes: Uint8Array): void {
    this.checkIndex(i);
    if (bytes.length !== this.bytesPerFilter) {
      throw new RangeError(
        `FilterSet.set: expected ${this.bytesPerFilter} bytes for ${this.bits} bits, got ${bytes.length}`,
      );
    }
    const spare = this.bytesPerFilter * 8 - this.bits;
    if (spare > 0 && ((bytes[bytes.length - 1] as number) & ((1 << spare) - 1)) !== 0) {
      // Bits past the filter length would count in one backend's view and not another's.
      throw new RangeError('FilterSet.set: bits beyond the filter length must be zero');
    }
    const start = i * this.words64 * 8;
    this.bytes.fill(0, start, start + this.words64 * 8);
    this.bytes.set(bytes, start);
    const w0 = i * this.words64 * 2;
    let c = 0;
    for (let w = w0; w < w0 + this.words64 * 2; w++) c += popcount32(this.words[w] as number);
    this.pops[i] = c;
  }

  /** The serialised bytes of filter i (a copy). */
  get(i: number): Uint8Array {
    this.checkIndex(i);
    const start = i * this.words64 * 8;
    return this.bytes.slice(start, start + this.bytesPerFilter);
  }

  popcount(i: number): number {
    this.checkIndex(i);
    return this.pops[i] as number;
  }

  /** Plain-data view for worker threads (shares the underlying buffers). */
  view(): FilterView {
    return { bits: this.bits, count: this.count, words64: this.words64, words: this.words, pops: this.pops };
  }

  private checkIndex(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.count)
      throw new RangeError(`FilterSet: index ${i} out of range 0..${this.count - 1}`);
  }
}
