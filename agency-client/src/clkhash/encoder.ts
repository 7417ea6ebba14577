/**
 * Encodes one record (one value per schema feature, in schema order) into a clkhash CLK.
 * Fields are OR-ed into one filter of L = l · 2^xor_folds bits, which is then XOR-folded
 * (first half XOR second half) xor_folds times. Bit j of the CLK is bit (7 - j mod 8) of byte
 * floor(j/8), most significant first, as bitarray.tobytes() produces.
 *
 * Values are used exactly as given (clkhash's generate_clks does not strip; its CSV reader does,
 * see csv-rows.ts). Each feature's bits come from its FeatureEncoder (feature-encoder.ts), which
 * caches them per value.
 */
import type { ClkSchema } from './schema.js';
import { deriveFeatureKeys, type FeatureKeys } from './keys.js';
import { FeatureEncoder } from './feature-encoder.js';

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
  /**
   * Entries of each per-feature cache (values, tokens; see value-store.ts, token-table.ts); 0 disables caching. Default
   * 100,000.
   */
  cacheSize?: number;
  /**
   * A value failing its feature's format is encoded as the feature's missing-value sentinel, where the
   * schema declares one (clkhash's own notion of missing), and reported in `leftOut`; without a
   * sentinel the row is still refused.
   */
  invalidAsMissing?: boolean;
}

export function describeIssue(issue: RowIssue): string {
  return issue.column === undefined ? issue.reason : `column ${issue.column} '${issue.identifier}': ${issue.reason}`;
}

export class ClkEncoder {
  /** Bytes per CLK: ceil(l / 8). */
  readonly clkBytes: number;
  readonly columnCount: number;
  private readonly hashL: number;
  private readonly encoders: (FeatureEncoder | null)[];
  /** The L-bit filter as 32-bit words, bit p at (1 << 31 - p % 32) of word p / 32. */
  private readonly filter: Int32Array;
  private readonly invalidAsMissing: boolean;
  /** The values of the last record encoded that failed their format and were encoded as missing. */
  readonly leftOut: RowIssue[] = [];

  constructor(
    readonly schema: ClkSchema,
    keys: readonly FeatureKeys[],
    options: ClkEncoderOptions = {},
  ) {
    if (keys.length !== schema.features.length)
      throw new RangeError(`expected ${schema.features.length} key pairs, got ${keys.length}`);
    const cacheSize = options.cacheSize ?? 100_000;
    this.hashL = schema.l * 2 ** schema.xorFolds;
    this.clkBytes = Math.ceil(schema.l / 8);
    this.columnCount = schema.features.length;
    this.filter = new Int32Array(Math.ceil(this.hashL / 32));
    this.invalidAsMissing = options.invalidAsMissing ?? false;
    this.encoders = schema.features.map((f, i) =>
      f.ignored ? null : new FeatureEncoder(f, keys[i]!, this.hashL, cacheSize),
    );
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
    this.leftOut.length = 0;
    for (let c = 0; c < this.encoders.length; c++) {
      const enc = this.encoders[c];
      if (enc === null || enc === undefined) continue;
      let at = enc.bits(values[c]!);
      if (typeof at !== 'number') {
        const issue = { code: at.code, column: c + 1, identifier: enc.feature.identifier, reason: at.reason };
        const sentinel = enc.feature.missingValue?.sentinel;
        if (!this.invalidAsMissing || sentinel === undefined) return issue;
        this.leftOut.push(issue);
        at = enc.bits(sentinel) as number;
      }
      // Entry format: see value-store.ts.
      const data = enc.values.data;
      const n = data[at]!;
      if (n === filter.length) for (let i = 0; i < n; i++) filter[i]! |= data[at + 1 + i]!;
      else for (let i = at + 1; i <= at + n; i += 2) filter[data[i]!]! |= data[i + 1]!;
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
