/**
 * One CSV row → one encoded record (a JSON line) or the reason it was rejected.
 *
 * Per row: normalise each present field (rejecting the row on the first invalid value, never
 * altering it), tokenise, hash each token once with keyed BLAKE2b (key per field; for salted fields
 * the salt, e.g. the year of birth, is mixed into the hash key via BLAKE2b's salt parameter) and take
 * the record-level CLK positions and the field-filter positions from that one digest; harden every
 * filter; derive keyed blocking tokens. Values repeat a lot in real data (names, postcodes, dates),
 * so the work per distinct field value (and salt) is cached in bounded per-field caches.
 * Pure apart from the random row tokens it is handed.
 */
import { Blake2bKeyed } from '../crypto/blake2b.js';
import { encodeUtf8Into, utf8Length } from '../crypto/utf8.js';
import { ValueCache } from './value-cache.js';
import { BlockTokenCache } from './block-token-cache.js';
import { isMissing, normalisers, type NormaliseOk } from '../normalise/index.js';
import { FilterHardener, FlipNoise } from './hardening.js';
import { deriveKeys } from './keys.js';
import { flipProbability, type EncodingSchema, type FieldSpec, type HardeningSpec, type Transform } from './schema.js';
import { transformValues } from './tokens.js';
import { FieldTokenizer, type TokenSet } from './token-keys.js';
import { TokenTable } from '../clkhash/token-table.js';
import { base64url, LineWriter } from './line-writer.js';

export interface RecordEncoderSetup {
  /** The effective schema (only the fields present in the input). */
  schema: EncodingSchema;
  secret: Uint8Array;
  /** Column index of each schema field, in schema.fields order. */
  columns: number[];
  /** Column index of the agency's record id. */
  idColumn: number;
  /** Name of the record id column (for messages). */
  idName: string;
  /** Number of columns in the header (a row of another width is rejected). */
  width: number;
  /** An invalid field is left out of the encoding (and reported) instead of refusing the whole row. */
  invalidAsMissing?: boolean;
  /** Columns copied verbatim (trimmed) into the record's non-identifying attributes; empty cells are left out. */
  attributes?: { name: string; column: number }[];
  /** Entries per field cache (each of three per field holds up to twice this); default 20,000. 0 disables caching. */
  cacheSize?: number;
}

/**
 * An encoded line (with any invalid fields that were left out, as `field: reason`, and any values
 * repaired, as `field: repair`), or why the row was refused.
 */
export type RowResult = { line: string; leftOut?: string[]; repaired?: string[] } | { reason: string };

/** What encodeInto() says of a row beside its line: refused (why), or what was left out or repaired. */
export type RowNotes = { leftOut?: string[]; repaired?: string[] } | { reason: string };

type Ok = NormaliseOk<unknown>;

/**
 * One distinct raw cell value of a field, normalised once: `ok` (null when missing or invalid),
 * `reason` (when invalid), its tokens, and, computed on first use, its bit positions (unsalted
 * fields) and the values blocking keys and salts take from it.
 */
interface ValueEntry {
  readonly ok: Ok | null;
  readonly reason: string | null;
  /** Dropped (null) once an unsalted field's positions are known: kept, it would outlive the row in the cache. */
  tokens: TokenSet | null;
  positions: Positions | null;
  readonly derived: (readonly string[] | undefined)[];
}

/**
 * Bits of one distinct (salt, value) of a field. Filters are handled as int32 words over their
 * bytes (little-endian, so bit p of the byte filter is bit (p >>> 3 & 3) · 8 + 7 − (p & 7) of word
 * p >>> 5): OR-ing a value into the CLK is then a few word operations instead of one per position.
 */
interface Positions {
  /** The value's CLK bits as [word index, mask] pairs of its non-zero words. */
  clk: number[];
  /** The field filter's words before hardening (empty without a filter). */
  filter: number[];
}

/**
 * Copied with slice() to make the arrays of a value's positions: a word's mask may need all 32 bits,
 * beyond a small integer, and an array that starts with small integers is copied again as doubles
 * when one is stored. (Length: the most words a filter can have, 8192 bits.)
 */
const DOUBLES: readonly number[] = Array.from({ length: 512 }, () => 0.5);

/** Words needed for a filter of `bytes` bytes. */
const wordsFor = (bytes: number): number => Math.ceil(bytes / 4);
/** The mask of bit p (numbered from the most significant bit of byte 0) in its word. */
const bitMask = (p: number): number => 1 << ((((p >>> 3) & 3) << 3) | (7 - (p & 7)));

/** Per salt: the hash instances and the token caches (keyed tokens, string tokens). */
interface TokenContext {
  /** One per 32 positions needed (a digest gives 32 uint16). */
  macs: Blake2bKeyed[];
  /** Integer-keyed tokens → [kc CLK positions, kf filter positions]. */
  keyed: TokenTable;
  /** String tokens → the same. */
  named: ValueCache<Int32Array>;
}

const UTF8 = new TextEncoder();
const PERSONAL = UTF8.encode('blindlink-token');
const BLOCK_PERSONAL = UTF8.encode('blindlink-block');
const SALT_PERSONAL = UTF8.encode('blindlink-salt');
/** Salt used when the salt's source field is empty in a row: such rows only match each other. */
const MISSING_SALT = '\u0000missing';
const NO_VALUES: readonly string[] = Object.freeze([]);

const MISSING_ENTRY: ValueEntry = Object.freeze({
  ok: null,
  reason: null,
  tokens: null,
  positions: null,
  derived: [],
}) as ValueEntry;

class FieldEncoder {
  readonly values: ValueCache<ValueEntry>;
  /** Salted fields only: positions per salt and raw value. */
  readonly positions: ValueCache<Positions>;
  readonly filterBytes: number;
  readonly hardener: FilterHardener | null;
  /** Scratch filter handed to the hardener, refilled for every row: its words and its bytes. */
  readonly filterWords: Int32Array;
  readonly filterScratch: Uint8Array;
  /** `"name":"` as bytes, for the record's fields object. */
  readonly jsonKey: Uint8Array;
  private readonly contexts = new Map<string, TokenContext>();
  private readonly saltMac: Blake2bKeyed;
  private readonly tokenizer: FieldTokenizer;
  private readonly transforms: { transform: Transform; alternatives: boolean }[] = [];
  private lastRaw = '';
  private lastEntry: ValueEntry | null = null;
  private readonly k: number;
  private readonly kc: number;
  private readonly fbits: number;
  private readonly cacheSize: number;
  private readonly digestWords = new Int32Array(16);
  private readonly digestShorts = new Uint16Array(this.digestWords.buffer);
  private buf = new Uint8Array(256);
  private readonly hashScratch: Int32Array;
  /** A value's CLK words and field-filter words while its positions are computed; all zero between values. */
  private readonly clkWords: Int32Array;
  private readonly filterAcc: Int32Array;

  constructor(
    readonly spec: FieldSpec,
    readonly column: number,
    readonly salted: boolean,
    /** Probability with which each bit of the finished field filter is flipped (0: none). */
    readonly flip: number,
    private readonly key: Uint8Array,
    private readonly clkBits: number,
    hardening: readonly HardeningSpec[],
    permutationSeed: () => Uint8Array,
    cacheSize: number,
  ) {
    // Addresses and NHS numbers are nearly unique per person: a big value cache would mostly hold
    // entries never hit again (and an address entry is large), so theirs is an eighth the size.
    const valueCacheSize =
      spec.normaliser === 'address' || spec.normaliser === 'nhs_number' || spec.normaliser === 'identifier'
        ? Math.ceil(cacheSize / 8)
        : cacheSize;
    this.cacheSize = cacheSize;
    this.values = new ValueCache(valueCacheSize);
    this.positions = new ValueCache(valueCacheSize);
    this.filterBytes = spec.filter ? spec.filter.bits / 8 : 0;
    this.filterWords = new Int32Array(wordsFor(this.filterBytes));
    this.filterScratch = new Uint8Array(this.filterWords.buffer, 0, this.filterBytes);
    this.clkWords = new Int32Array(wordsFor(clkBits / 8));
    this.filterAcc = new Int32Array(wordsFor(this.filterBytes));
    this.hardener = spec.filter ? new FilterHardener(spec.filter.bits, hardening, permutationSeed) : null;
    this.kc = spec.clkBitsPerToken;
    this.k = spec.clkBitsPerToken + (spec.filter?.bitsPerToken ?? 0);
    this.hashScratch = new Int32Array(this.k);
    this.fbits = spec.filter?.bits ?? 1;
    this.saltMac = new Blake2bKeyed(key, { personal: SALT_PERSONAL, outLen: 16 });
    this.tokenizer = new FieldTokenizer(spec.tokens);
    this.jsonKey = UTF8.encode(`"${spec.name}":"`);
  }

  /** The cached outcome of normalising `raw` (normalised and tokenised on a miss). */
  entry(raw: string): ValueEntry {
    // Rows of one household or one person often follow each other (extracts sorted by address or
    // id): the previous row's value is checked before the cache, at the cost of one comparison.
    if (raw === this.lastRaw && this.lastEntry !== null) return this.lastEntry;
    const e = this.lookup(raw);
    if (this.cacheSize > 0) {
      this.lastRaw = raw;
      this.lastEntry = e;
    }
    return e;
  }

  private lookup(raw: string): ValueEntry {
    let e = this.values.get(raw);
    if (e === undefined) {
      const r = normalisers[this.spec.normaliser](raw);
      if (r.ok) e = { ok: r, reason: null, tokens: this.tokenizer.tokens(r), positions: null, derived: [] };
      else if (isMissing(r)) e = MISSING_ENTRY;
      else e = { ok: null, reason: r.reason, tokens: null, positions: null, derived: [] };
      this.values.set(raw, e);
    }
    return e;
  }

  /** A slot for a (transform, alternatives) pair that blocking keys or the salt read from this field. */
  slotFor(transform: Transform, alternatives: boolean): number {
    const i = this.transforms.findIndex((t) => t.transform === transform && t.alternatives === alternatives);
    if (i >= 0) return i;
    this.transforms.push({ transform, alternatives });
    return this.transforms.length - 1;
  }

  /** The values a slot's transform takes from a (valid) entry, computed once per entry. */
  derived(e: ValueEntry, slot: number): readonly string[] {
    let d = e.derived[slot];
    if (d === undefined) {
      const t = this.transforms[slot]!;
      d = transformValues(e.ok!, t.transform, t.alternatives);
      e.derived[slot] = d;
    }
    return d;
  }

  /** The hash instances and token caches for one salt. */
  private context(salt: string): TokenContext {
    let c = this.contexts.get(salt);
    if (c === undefined) {
      const saltBytes = salt === '' ? new Uint8Array(0) : this.saltMac.digest(UTF8.encode(salt));
      const macs: Blake2bKeyed[] = [];
      for (let j = 0; j * 32 < this.k; j++) {
        const personal = new Uint8Array(16);
        personal.set(PERSONAL);
        personal[15] = j;
        macs.push(new Blake2bKeyed(this.key, { salt: saltBytes, personal }));
      }
      // Salts are few (years of birth), and so are their caches' sizes: an eighth each.
      const size = salt === '' ? this.cacheSize : Math.ceil(this.cacheSize / 8);
      c = { macs, keyed: new TokenTable(size), named: new ValueCache(size) };
      // Bound the map all the same.
      if (this.contexts.size > 4096) this.contexts.clear();
      this.contexts.set(salt, c);
    }
    return c;
  }

  /**
   * The token's first k digest-stream values under the context's salt, as bit positions: values
   * 0..kc−1 mod the CLK length, the next kf mod the field filter's length.
   */
  private hashToken(token: string, c: TokenContext, into?: Int32Array): Int32Array {
    const need = utf8Length(token);
    if (need > this.buf.length) this.buf = new Uint8Array(need * 2);
    const len = encodeUtf8Into(token, this.buf);
    const k = this.k;
    const out = into ?? new Int32Array(k);
    const shorts = this.digestShorts;
    for (let j = 0; j * 32 < k; j++) {
      c.macs[j]!.hashWordsInto(this.buf, len, this.digestWords);
      for (let i = 0, p = 32 * j; i < 32 && p < k; i++, p++)
        out[p] = p < this.kc ? shorts[i]! % this.clkBits : shorts[i]! % this.fbits;
    }
    return out;
  }

  positionsFor(raw: string, e: ValueEntry, salt: string): Positions {
    if (!this.salted) {
      if (e.positions === null) {
        e.positions = this.computePositions(e.tokens!, this.context(''));
        e.tokens = null;
      }
      return e.positions;
    }
    const cacheKey = `${salt}\u0001${raw}`;
    let p = this.positions.get(cacheKey);
    if (p === undefined) {
      p = this.computePositions(e.tokens!, this.context(salt));
      this.positions.set(cacheKey, p);
    }
    return p;
  }

  private computePositions(tokens: TokenSet, c: TokenContext): Positions {
    const kc = this.kc;
    const k = this.k;
    // Both filters are built in zeroed scratch words, then copied out into arrays of their exact
    // size: grown by push (and read through a closure) they were most of what the encoder allocated.
    const clk = this.clkWords;
    const fw = this.filterAcc;
    const keyed = c.keyed;
    const keys = tokens.keys;
    for (let t = 0; t < keys.length; t++) {
      const key = keys[t]!;
      let at = keyed.find(key);
      // The table copies the positions: they are hashed into a scratch array.
      if (at < 0) at = keyed.insert(key, this.hashToken(this.tokenizer.keyString(key), c, this.hashScratch));
      orPositions(clk, fw, keyed.positions, at + 1, kc, k);
    }
    const strings = tokens.strings;
    for (let t = 0; t < strings.length; t++) {
      const s = strings[t]!;
      let values = c.named.get(s);
      if (values === undefined) {
        values = this.hashToken(s, c);
        c.named.set(s, values);
      }
      orPositions(clk, fw, values, 0, kc, k);
    }
    let n = 0;
    for (let w = 0; w < clk.length; w++) if (clk[w] !== 0) n++;
    const pairs = DOUBLES.slice(0, 2 * n);
    for (let w = 0, i = 0; w < clk.length; w++) {
      if (clk[w] === 0) continue;
      pairs[i++] = w;
      pairs[i++] = clk[w]!;
      clk[w] = 0;
    }
    const filter = DOUBLES.slice(0, fw.length);
    for (let w = 0; w < fw.length; w++) {
      filter[w] = fw[w]!;
      fw[w] = 0;
    }
    return { clk: pairs, filter };
  }

  clearCaches(): void {
    this.lastEntry = null;
    this.values.clear();
    this.positions.clear();
    this.contexts.clear();
  }
}

/** ORs one token's positions values[at..at+kc) into the CLK words and values[at+kc..at+k) into the filter's. */
function orPositions(clk: Int32Array, filter: Int32Array, values: Int32Array, at: number, kc: number, k: number): void {
  const mid = at + kc;
  const end = at + k;
  for (let i = at; i < mid; i++) {
    const p = values[i]!;
    clk[p >>> 5]! |= bitMask(p);
  }
  for (let i = mid; i < end; i++) {
    const p = values[i]!;
    filter[p >>> 5]! |= bitMask(p);
  }
}

/** ORs a value's [word, mask] pairs into filter words. */
function orPairs(words: Int32Array, pairs: readonly number[]): void {
  for (let i = 0; i < pairs.length; i += 2) words[pairs[i]!]! |= pairs[i + 1]!;
}

const ascii = (s: string): Uint8Array => UTF8.encode(s);
const TOKEN_OPEN = ascii('{"token":"');
const CLK_OPEN = ascii('","clk":"');
const FIELDS_OPEN = ascii('","fields":{');
const BLOCKS_OPEN = ascii(',"blocks":["');
const COMMA_QUOTE = ascii(',"');
const ATTRIBUTES_OPEN = ascii(',"attributes":{');

export class RecordEncoder {
  private readonly fields: FieldEncoder[];
  private readonly clkBytes: number;
  private readonly clkHardener: FilterHardener;
  private readonly salt: { field: FieldEncoder; index: number; slot: number } | null;
  private readonly saltFromAbsent: boolean;
  private readonly blockMac: Blake2bKeyed;
  /** Each key has its own token cache: some keys' messages repeat a lot, others hardly ever. */
  private readonly blockKeys: {
    /** The key's name as UTF-8, the start of every message it hashes. */
    name: Uint8Array;
    parts: { field: FieldEncoder; index: number; slot: number }[];
    cache: BlockTokenCache;
  }[];
  private readonly idColumn: number;
  private readonly idName: string;
  private readonly width: number;
  private readonly attributes: { name: string; column: number }[];
  private readonly invalidAsMissing: boolean;
  // Scratch state reused row after row (one encoder per thread).
  private readonly entries: (ValueEntry | null)[];
  /** The row's CLK: its words and its bytes (handed to the hardener). */
  private readonly clkWords: Int32Array;
  private readonly clk: Uint8Array;
  private readonly line = new LineWriter();
  private readonly fieldsJson = new LineWriter();
  private readonly blockWords = new Int32Array(16);
  private readonly blockDigest = new Uint8Array(this.blockWords.buffer, 0, 16);
  private blockBuf = new Uint8Array(256);
  private readonly seen: string[] = [];
  /** Per part of the key being tokenised: its values, the one taken, and the values themselves. */
  private readonly partValues: (readonly string[])[] = [];
  private readonly partAt: number[] = [];
  private readonly combo: string[] = [];
  /** Invalid fields left out of the row being encoded (with invalidAsMissing). */
  private leftOut: string[] | undefined;
  /** Fields of the row being encoded whose value was repaired (mojibake, a lost letter). */
  private repaired: string[] | undefined;
  private readonly noise: FlipNoise;

  constructor(setup: RecordEncoderSetup) {
    const { schema } = setup;
    const keys = deriveKeys(setup.secret, schema);
    const cacheSize = setup.cacheSize ?? 20_000;
    const saltSpec = schema.hardening.find((h) => h.step === 'salt');
    const salted = new Set(saltSpec?.step === 'salt' ? saltSpec.fields : []);
    this.fields = schema.fields.map(
      (f, i) =>
        new FieldEncoder(
          f,
          setup.columns[i]!,
          salted.has(f.name),
          flipProbability(schema, f.name),
          keys.token.get(f.name)!,
          schema.clkBits,
          schema.hardening,
          () => keys.permutation(`field:${f.name}`),
          cacheSize,
        ),
    );
    const byName = new Map(this.fields.map((f) => [f.spec.name, f]));
    const part = (
      field: string,
      transform: Transform,
      alternatives: boolean,
    ): { field: FieldEncoder; index: number; slot: number } => {
      const f = byName.get(field)!;
      return { field: f, index: this.fields.indexOf(f), slot: f.slotFor(transform, alternatives) };
    };
    this.clkBytes = schema.clkBits / 8;
    this.clkWords = new Int32Array(wordsFor(this.clkBytes));
    this.clk = new Uint8Array(this.clkWords.buffer, 0, this.clkBytes);
    this.clkHardener = new FilterHardener(schema.clkBits, schema.hardening, () => keys.permutation('clk'));
    // A salt whose source column is absent salts every row with MISSING_SALT (see effectiveSchema).
    this.saltFromAbsent = saltSpec?.step === 'salt' && !byName.has(saltSpec.from.field);
    this.salt =
      saltSpec?.step === 'salt' && !this.saltFromAbsent
        ? part(saltSpec.from.field, saltSpec.from.transform, false)
        : null;
    this.blockMac = new Blake2bKeyed(keys.block, { personal: BLOCK_PERSONAL, outLen: 16 });
    this.noise = new FlipNoise(
      keys.flip,
      this.fields.filter((f) => f.flip > 0).map((f) => ({ name: f.spec.name, bits: f.hardener!.outBits, p: f.flip })),
    );
    this.blockKeys = schema.blockingKeys.map((k) => ({
      name: UTF8.encode(k.name),
      parts: k.parts.map((p) => part(p.field, p.transform, p.alternatives)),
      cache: new BlockTokenCache(k.parts.length, cacheSize),
    }));
    this.idColumn = setup.idColumn;
    this.idName = setup.idName;
    this.width = setup.width;
    this.attributes = setup.attributes ?? [];
    this.invalidAsMissing = setup.invalidAsMissing ?? false;
    this.entries = new Array<ValueEntry | null>(this.fields.length).fill(null);
  }

  /**
   * Optional, before encoding a batch of rows: the per-record flip noise of all of them is made at
   * once (hardening.ts FlipNoise.prepare). Changes no output; rows encoded in another order, or
   * others, simply make their own.
   */
  prepare(rows: readonly (readonly string[])[]): void {
    this.noise.prepare(rows.map((r) => (r[this.idColumn] ?? '').trim()));
  }

  /** Encodes one row with the given row token: its line, or why it was refused. */
  encode(row: readonly string[], token: string): RowResult {
    const line = this.line;
    line.reset();
    const notes = this.encodeInto(row, token, line);
    if (notes !== null && 'reason' in notes) return notes;
    return { line: line.text(), ...notes };
  }

  /**
   * Appends the row's line (without its newline) to `out`, or nothing when the row is refused
   * (then the reason). Null when the row is encoded with nothing to report, else the invalid fields
   * left out and the values repaired. The encode command writes a whole batch into one writer, so
   * no string is made per row.
   */
  encodeInto(row: readonly string[], token: string, out: LineWriter): RowNotes | null {
    if (row.length !== this.width)
      return { reason: `malformed CSV: row has ${row.length} columns but the header has ${this.width}` };
    if ((row[this.idColumn] ?? '').trim() === '') return { reason: `${this.idName}: empty record id` };
    const refused = this.normaliseFields(row);
    if (refused !== null) return { reason: refused };
    const { leftOut, repaired } = this;

    this.encodeFields(row, this.saltOf());
    out.bytes(TOKEN_OPEN);
    out.ascii(token);
    out.bytes(CLK_OPEN);
    out.base64(this.clkHardener.apply(this.clk));
    if (this.fieldsJson.length > 0) {
      out.bytes(FIELDS_OPEN);
      out.append(this.fieldsJson);
      out.byte(0x7d); // '}'
    } else out.byte(0x22);
    this.appendBlocks(out);
    this.closeLine(out, row);
    if (!leftOut && !repaired) return null;
    return { ...(leftOut ? { leftOut } : {}), ...(repaired ? { repaired } : {}) };
  }

  /**
   * Each field's entry for this row into `entries` (null: missing or left out). The reason the row
   * is refused, or null; invalid fields left out (with --on-invalid missing) are in `leftOut`.
   */
  private normaliseFields(row: readonly string[]): string | null {
    const results = this.entries;
    let any = false;
    this.leftOut = undefined;
    this.repaired = undefined;
    for (let i = 0; i < this.fields.length; i++) {
      const f = this.fields[i]!;
      const n = f.entry(row[f.column] ?? '');
      results[i] = null;
      if (n.reason !== null) {
        if (!this.invalidAsMissing) return `${f.spec.name}: ${n.reason}`;
        this.leftOut ??= [];
        this.leftOut.push(`${f.spec.name}: ${n.reason}`);
        continue;
      }
      if (n.ok !== null) {
        results[i] = n;
        any = true;
        if (n.ok.repaired !== undefined) {
          this.repaired ??= [];
          this.repaired.push(`${f.spec.name}: ${n.ok.repaired}`);
        }
      }
    }
    return any ? null : 'every identifier is empty';
  }

  /** The row's salt: the source field's value ('' unsalted, MISSING_SALT when the source is empty). */
  private saltOf(): string {
    if (!this.salt) return this.saltFromAbsent ? MISSING_SALT : '';
    const src = this.entries[this.salt.index];
    return src ? (this.salt.field.derived(src, this.salt.slot)[0] ?? MISSING_SALT) : MISSING_SALT;
  }

  /** ORs every field into the CLK words and writes the hardened field filters into `fieldsJson`. */
  private encodeFields(row: readonly string[], salt: string): void {
    const results = this.entries;
    const clkWords = this.clkWords;
    for (let w = 0; w < clkWords.length; w++) clkWords[w] = 0;
    const fieldsJson = this.fieldsJson;
    fieldsJson.reset();
    for (let i = 0; i < this.fields.length; i++) {
      const r = results[i];
      if (!r) continue;
      const f = this.fields[i]!;
      const pos = f.positionsFor(row[f.column] ?? '', r, salt);
      orPairs(clkWords, pos.clk);
      if (f.hardener) {
        const fw = f.filterWords;
        for (let w = 0; w < fw.length; w++) fw[w] = pos.filter[w]!;
        const ff = f.filterScratch;
        if (fieldsJson.length > 0) fieldsJson.byte(0x2c); // ','
        fieldsJson.bytes(f.jsonKey);
        const hardened = f.hardener.apply(ff);
        // In place: the hardener's output is this row's scratch, refilled for the next row.
        if (f.flip > 0) this.noise.apply(hardened, f.spec.name, row[this.idColumn]!.trim());
        fieldsJson.base64(hardened);
        fieldsJson.byte(0x22); // '"'
      }
    }
  }

  /**
   * The row's blocking tokens: every key's value combinations (at most 16 per key, the first in
   * the order of the parts' values; 64 in all), deduplicated. A combination's message is the key's
   * name and its values joined by U+001F; it is hashed straight from the values, never joined.
   */
  private appendBlocks(line: LineWriter): void {
    const results = this.entries;
    const seen = this.seen;
    const vals = this.partValues;
    const at = this.partAt;
    const combo = this.combo;
    seen.length = 0;
    for (const k of this.blockKeys) {
      const n = k.parts.length;
      let none = false;
      for (let j = 0; j < n; j++) {
        const p = k.parts[j]!;
        const r = results[p.index];
        const v = r ? p.field.derived(r, p.slot) : NO_VALUES;
        if (v.length === 0) none = true;
        vals[j] = v;
        at[j] = 0;
      }
      if (none) continue;
      // The combinations in order, as an odometer over the parts' values (the last part fastest).
      for (let c = 0; c < 16; c++) {
        for (let j = 0; j < n; j++) combo[j] = vals[j]![at[j]!]!;
        const t = this.blockToken(k.name, combo, n, k.cache);
        if (seen.length < 64 && !seen.includes(t)) seen.push(t);
        let j = n - 1;
        while (j >= 0 && ++at[j]! === vals[j]!.length) at[j--] = 0;
        if (j < 0) break;
      }
    }
    // Sorted, not in key order: a keyed token is pseudo-random, so sorting shuffles the keys per
    // record and the broker cannot tell which key a token belongs to by its place in the list.
    // By insertion (a handful of tokens): `<` orders strings by UTF-16 code units, as sort() does.
    for (let i = 1; i < seen.length; i++) {
      const t = seen[i]!;
      let j = i - 1;
      for (; j >= 0 && seen[j]! > t; j--) seen[j + 1] = seen[j]!;
      seen[j + 1] = t;
    }
    for (let i = 0; i < seen.length; i++) {
      line.bytes(i === 0 ? BLOCKS_OPEN : COMMA_QUOTE);
      line.ascii(seen[i]!);
      line.byte(0x22);
    }
    if (seen.length > 0) line.byte(0x5d); // ']'
  }

  /** Appends the non-identifying attributes (if any) and the closing brace. */
  private closeLine(line: LineWriter, row: readonly string[]): void {
    let attributesJson = '';
    for (const a of this.attributes) {
      const v = (row[a.column] ?? '').trim();
      if (v !== '') attributesJson += `${attributesJson === '' ? '' : ','}"${a.name}":${JSON.stringify(v)}`;
    }
    if (attributesJson !== '') {
      line.bytes(ATTRIBUTES_OPEN);
      line.utf8(attributesJson);
      line.byte(0x7d);
    }
    line.byte(0x7d);
  }

  /** The token of the message name ‖ U+001F ‖ values[0] ‖ U+001F ‖ … values[n−1] (UTF-8). */
  private blockToken(name: Uint8Array, values: readonly string[], n: number, cache: BlockTokenCache): string {
    let t = cache.get(values);
    if (t === undefined) {
      let need = name.length;
      for (let j = 0; j < n; j++) need += 1 + utf8Length(values[j]!);
      if (need > this.blockBuf.length) this.blockBuf = new Uint8Array(need * 2);
      const buf = this.blockBuf;
      buf.set(name);
      let len = name.length;
      // Each value is a whole string and the separators keep them apart, so encoding them one by
      // one gives the bytes of the joined message.
      for (let j = 0; j < n; j++) {
        buf[len++] = 0x1f;
        len = encodeUtf8Into(values[j]!, buf, len);
      }
      this.blockMac.hashWordsInto(buf, len, this.blockWords);
      t = base64url(this.blockDigest, 16);
      cache.set(values, t);
    }
    return t;
  }

  clearCaches(): void {
    for (const f of this.fields) f.clearCaches();
    for (const k of this.blockKeys) k.cache.clear();
  }
}
