/**
 * One feature: raw value → the value's bits in the L-bit filter, with bounded caches of values
 * and of tokens' bit positions (validation included: only values that passed are cached).
 *
 * n-gram comparisons with n ≤ 2 take a fast path on values without surrogates: each token is
 * keyed by an integer built from its code units and (if positional) its 1-based index, so no
 * token string is made unless the token has to be hashed. Tokens whose code units do not fit the
 * key (a bigram with a code unit ≥ 256), values with surrogate pairs (n-grams run over code
 * points), long values, n ≥ 3, exact and numeric comparisons take the general path through
 * tokens.ts and string-keyed caches. Both paths give the same bits, token by token.
 */
import type { HashedFeature } from './schema.js';
import type { FeatureKeys } from './keys.js';
import { prepareValue } from './values.js';
import { baseBitsPerToken, hasSurrogate, tokenize, tokensWithExtraBit, TokenError } from './tokens.js';
import { ValueCache } from '../encode/value-cache.js';
import { TokenTable } from './token-table.js';
import { ValueStore } from './value-store.js';
import { BlakeTokenHasher, DoubleTokenHasher, type TokenHasher } from './token-hashing.js';

export interface ValueIssue {
  code: string;
  reason: string;
}

/**
 * Longest value for the fast path: positional keys hold the 1-based index (at most length + 1)
 * from bit 16, and keys below 2^30 stay small integers (no heap numbers, cheap to hash).
 */
const MAX_FAST_LENGTH = (1 << 14) - 2;

export class FeatureEncoder {
  /** Cached values' bits; `bits` returns offsets into `values.data` (format in value-store.ts). */
  readonly values: ValueStore;
  private readonly hasher: TokenHasher;
  /** Fast-path tokens: ((index + 1) << 16 if positional) | code unit (n = 1) or c1 << 8 | c2 (n = 2). */
  private readonly keyedTokens: TokenTable;
  private readonly namedTokens: ValueCache<Int32Array>;
  private readonly tokens: string[] = [];
  /** Filter words of the value being encoded; all zero between values. */
  private readonly words: Int32Array;
  /** n of an n-gram comparison eligible for the fast path, else 0. */
  private readonly fastN: number;
  private readonly positional: boolean;

  constructor(
    readonly feature: HashedFeature,
    keys: FeatureKeys,
    hashL: number,
    cacheSize: number,
  ) {
    this.words = new Int32Array(Math.ceil(hashL / 32));
    this.values = new ValueStore(cacheSize, this.words.length);
    this.hasher =
      feature.hash.type === 'blakeHash'
        ? new BlakeTokenHasher(keys.key1, hashL, feature.encoding)
        : new DoubleTokenHasher(keys.key1, keys.key2, hashL, feature.encoding, feature.hash.preventSingularity);
    this.keyedTokens = new TokenTable(cacheSize);
    this.namedTokens = new ValueCache(cacheSize);
    const c = feature.comparison;
    this.fastN = c.type === 'ngram' && c.n <= 2 ? c.n : 0;
    this.positional = c.type === 'ngram' && c.positional;
  }

  /**
   * Offset of the value's bits in `values.data` (valid until the next call), or the reason the
   * value is invalid. Only valid values are cached.
   */
  bits(raw: string): number | ValueIssue {
    const hit = this.values.find(raw);
    if (hit >= 0) return hit;
    const prepared = prepareValue(this.feature, raw);
    if (!prepared.ok) return prepared;
    const value = prepared.value;
    if (this.fastN > 0 && value.length <= MAX_FAST_LENGTH && !hasSurrogate(value)) {
      this.addNgramsFast(value);
    } else {
      const tokens = this.tokens;
      tokens.length = 0;
      try {
        tokenize(this.feature.comparison, value, tokens);
      } catch (e) {
        if (e instanceof TokenError) return { code: 'numeric', reason: e.message };
        throw e;
      }
      this.addTokens(tokens);
    }
    return this.values.add(raw, this.words);
  }

  clearCaches(): void {
    this.values.clear();
    this.keyedTokens.clear();
    this.namedTokens.clear();
  }

  /**
   * The n-grams of a value without surrogates (code units are code points), padded with n - 1
   * spaces each side for n = 2: token t covers padded code units t .. t + n - 1.
   */
  private addNgramsFast(value: string): void {
    const n = this.fastN;
    const len = value.length;
    if (len === 0) return;
    const tokenCount = len + n - 1;
    const positionalBits = this.positional ? 0x10000 : 0;
    const base = baseBitsPerToken(this.feature.strategy, tokenCount);
    const extra = tokensWithExtraBit(this.feature.strategy, tokenCount);
    const table = this.keyedTokens;
    for (let t = 0; t < tokenCount; t++) {
      const k = t < extra ? base + 1 : base;
      if (k === 0) continue;
      let key: number;
      let c1: number,
        c2 = 0;
      if (n === 1) {
        c1 = value.charCodeAt(t);
        key = c1;
      } else {
        c1 = t === 0 ? 0x20 : value.charCodeAt(t - 1);
        c2 = t === len ? 0x20 : value.charCodeAt(t);
        key = (c1 | c2) < 0x100 ? (c1 << 8) | c2 : -1;
      }
      if (key < 0) {
        this.setBits(this.namedPositions(this.gram(t, c1, c2), k), 0, k);
        continue;
      }
      key += (t + 1) * positionalBits;
      let at = table.find(key);
      if (at < 0 || table.positions[at]! < k) at = table.insert(key, this.hasher.positions(this.gram(t, c1, c2), k));
      this.setBits(table.positions, at + 1, k);
    }
  }

  /** Token string of fast-path token t (only built when the token has to be hashed). */
  private gram(t: number, c1: number, c2: number): string {
    const gram = this.fastN === 1 ? String.fromCharCode(c1) : String.fromCharCode(c1, c2);
    return this.positional ? `${t + 1} ${gram}` : gram;
  }

  private addTokens(tokens: readonly string[]): void {
    const base = baseBitsPerToken(this.feature.strategy, tokens.length);
    const extra = tokensWithExtraBit(this.feature.strategy, tokens.length);
    for (let t = 0; t < tokens.length; t++) {
      const k = t < extra ? base + 1 : base;
      if (k > 0) this.setBits(this.namedPositions(tokens[t]!, k), 0, k);
    }
  }

  private namedPositions(token: string, k: number): Int32Array {
    const cached = this.namedTokens.get(token);
    if (cached !== undefined && cached.length >= k) return cached;
    const positions = this.hasher.positions(token, k);
    this.namedTokens.set(token, positions);
    return positions;
  }

  /** Sets the bits at positions[from .. from + k). */
  private setBits(positions: Int32Array, from: number, k: number): void {
    const words = this.words;
    for (let i = from; i < from + k; i++) {
      const p = positions[i]!;
      words[p >>> 5]! |= 1 << (~p & 31);
    }
  }
}
