/**
 * Encodes one record (one value per schema feature, in schema order) into a clkhash CLK.
 * Fields are OR-ed into one filter of L = l · 2^xor_folds bits, which is then XOR-folded
 * (first half XOR second half) xor_folds times. Bit j of the CLK is bit (7 - j mod 8) of byte
 * floor(j/8), most significant first, as bitarray.tobytes() produces.
 *
 * Values are used exactly as given (clkhash's generate_clks does not strip; its CSV reader does,
 * see csv-rows.ts). Repeated values are served from a bounded per-feature cache of their bit
 * positions (validation included: only values that passed are cached).
 */
import type { ClkSchema, HashedFeature } from './schema.js';
import { deriveFeatureKeys, type FeatureKeys } from './keys.js';
import { prepareValue } from './values.js';
import { bitsForToken, tokenize, TokenError } from './tokens.js';
import { BoundedCache } from './bounded-cache.js';
import { BlakeTokenHasher, DoubleTokenHasher, PositionList, type TokenHasher } from './token-hashing.js';

export interface RowIssue {
  /** Stable reason code, e.g. 'column-count', 'integer', 'maximum', 'date'. */
  code: string;
  /** 1-based column of the offending value, when there is one. */
  column?: number;
  identifier?: string;
  /** Human-readable reason; never contains the value itself. */
  reason: string;
}

export interface ClkEncoderOptions {
  /** Max entries of each per-feature cache (values and tokens); 0 disables caching. Default 100,000. */
  cacheSize?: number;
}

export function describeIssue(issue: RowIssue): string {
  return issue.column === undefined ? issue.reason : `column ${issue.column} '${issue.identifier}': ${issue.reason}`;
}

/**
 * Bit positions → sparse [word index, mask] pairs; `scratch` is an all-zero word buffer (left zeroed).
 * The pairs are OR-ed into a filter, so their order does not matter and they are not sorted.
 */
function toSparseWords(positions: PositionList, scratch: Int32Array, touched: Int32Array): Int32Array {
  const items = positions.items;
  let n = 0;
  for (let i = 0; i < positions.length; i++) {
    const p = items[i]!;
    const w = p >>> 5;
    if (scratch[w] === 0) touched[n++] = w;
    scratch[w]! |= 1 << (31 - (p & 31));
  }
  const sparse = new Int32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const w = touched[i]!;
    sparse[2 * i] = w;
    sparse[2 * i + 1] = scratch[w]!;
    scratch[w] = 0;
  }
  return sparse;
}

class FeatureEncoder {
  private readonly hasher: TokenHasher;
  private readonly valueCache: BoundedCache<Int32Array>;
  private readonly tokens: string[] = [];
  private readonly scratch = new PositionList();
  private readonly words: Int32Array;
  private readonly touched: Int32Array;

  constructor(readonly feature: HashedFeature, keys: FeatureKeys, hashL: number, cacheSize: number) {
    this.words = new Int32Array(Math.ceil(hashL / 32));
    this.touched = new Int32Array(this.words.length);
    this.hasher =
      feature.hash.type === 'blakeHash'
        ? new BlakeTokenHasher(keys.key1, hashL, feature.encoding, cacheSize)
        : new DoubleTokenHasher(keys.key1, keys.key2, hashL, feature.encoding, feature.hash.preventSingularity, cacheSize);
    this.valueCache = new BoundedCache(cacheSize);
  }

  /**
   * The value's bits as sparse 32-bit words [index, mask, index, mask, ...] (big-endian bit
   * order within a word), or the reason the value is invalid. Sparse words make the per-row OR
   * cost ~L/32 operations per feature instead of one per bit (FEBRL sets ~1,200 bits a row).
   */
  positions(raw: string): Int32Array | { code: string; reason: string } {
    const hit = this.valueCache.get(raw);
    if (hit !== undefined) return hit;
    const prepared = prepareValue(this.feature, raw);
    if (!prepared.ok) return prepared;
    const tokens = this.tokens;
    tokens.length = 0;
    try {
      tokenize(this.feature.comparison, prepared.value, tokens);
    } catch (e) {
      if (e instanceof TokenError) return { code: 'numeric', reason: e.message };
      throw e;
    }
    const out = this.scratch;
    out.length = 0;
    const strategy = this.feature.strategy;
    for (let t = 0; t < tokens.length; t++) {
      this.hasher.addPositions(tokens[t]!, bitsForToken(strategy, tokens.length, t), out);
    }
    const result = toSparseWords(out, this.words, this.touched);
    this.valueCache.set(raw, result);
    return result;
  }

  clearCaches(): void {
    this.valueCache.clear();
    this.hasher.clearCache();
  }
}

export class ClkEncoder {
  /** Bytes per CLK: ceil(l / 8). */
  readonly clkBytes: number;
  readonly columnCount: number;
  private readonly hashL: number;
  private readonly encoders: (FeatureEncoder | null)[];
  /** The L-bit filter as 32-bit words, bit p at (1 << 31 - p % 32) of word p / 32. */
  private readonly filter: Int32Array;

  constructor(readonly schema: ClkSchema, keys: readonly FeatureKeys[], options: ClkEncoderOptions = {}) {
    if (keys.length !== schema.features.length) throw new RangeError(`expected ${schema.features.length} key pairs, got ${keys.length}`);
    const cacheSize = options.cacheSize ?? 100_000;
    this.hashL = schema.l * 2 ** schema.xorFolds;
    this.clkBytes = Math.ceil(schema.l / 8);
    this.columnCount = schema.features.length;
    this.filter = new Int32Array(Math.ceil(this.hashL / 32));
    this.encoders = schema.features.map((f, i) => (f.ignored ? null : new FeatureEncoder(f, keys[i]!, this.hashL, cacheSize)));
  }

  /** Derives the keys from the secret (UTF-8 if a string) and builds the encoder. */
  static fromSecret(schema: ClkSchema, secret: Uint8Array | string, options: ClkEncoderOptions = {}): ClkEncoder {
    const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
    return new ClkEncoder(schema, deriveFeatureKeys(bytes, schema.kdf, schema.features.length), options);
  }

  /**
   * Encodes one record into out[offset .. offset + clkBytes). Returns null on success, or the
   * first problem found (wrong column count, or a value failing its feature's format).
   */
  encodeInto(values: readonly string[], out: Uint8Array, offset = 0): RowIssue | null {
    if (values.length !== this.columnCount) {
      return { code: 'column-count', reason: `expected ${this.columnCount} columns, found ${values.length}` };
    }
    const filter = this.filter;
    filter.fill(0);
    for (let c = 0; c < this.encoders.length; c++) {
      const enc = this.encoders[c];
      if (enc === null || enc === undefined) continue;
      const pos = enc.positions(values[c]!);
      if (!(pos instanceof Int32Array)) {
        return { code: pos.code, column: c + 1, identifier: enc.feature.identifier, reason: pos.reason };
      }
      for (let i = 0; i < pos.length; i += 2) filter[pos[i]!]! |= pos[i + 1]!;
    }
    this.fold(out, offset);
    return null;
  }

  /** Encodes one record to a new byte array; throws ClkRowError on invalid input. */
  encode(values: readonly string[]): Uint8Array {
    const out = new Uint8Array(this.clkBytes);
    const issue = this.encodeInto(values, out);
    if (issue !== null) throw new ClkRowError(issue);
    return out;
  }

  clearCaches(): void {
    for (const e of this.encoders) e?.clearCaches();
  }

  private fold(out: Uint8Array, offset: number): void {
    const f = this.filter;
    const l = this.schema.l;
    let folds = this.schema.xorFolds;
    if (l % 32 === 0) {
      let nw = this.hashL / 32;
      while (folds-- > 0) {
        const half = nw / 2;
        for (let i = 0; i < half; i++) f[i]! ^= f[i + half]!;
        nw = half;
      }
      for (let i = 0, o = offset; i < nw; i++, o += 4) {
        const w = f[i]!;
        out[o] = w >>> 24;
        out[o + 1] = (w >>> 16) & 0xff;
        out[o + 2] = (w >>> 8) & 0xff;
        out[o + 3] = w & 0xff;
      }
      return;
    }
    // Lengths that are not whole words: fold bit by bit, then pack with zero padding.
    let n = this.hashL;
    const bits = new Uint8Array(n);
    for (let j = 0; j < n; j++) bits[j] = (f[j >>> 5]! >>> (31 - (j & 31))) & 1;
    while (folds-- > 0) {
      n /= 2;
      for (let j = 0; j < n; j++) bits[j]! ^= bits[j + n]!;
    }
    out.fill(0, offset, offset + this.clkBytes);
    for (let j = 0; j < l; j++) if (bits[j]) out[offset + (j >> 3)]! |= 0x80 >> (j & 7);
  }
}

export class ClkRowError extends Error {
  constructor(readonly issue: RowIssue) {
    super(describeIssue(issue));
    this.name = 'ClkRowError';
  }
}
