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
import { isMissing, normalisers, type NormaliseOk } from '../normalise/index.js';
import { FilterHardener, FlipNoise } from './hardening.js';
import { deriveKeys } from './keys.js';
import { flipProbability, type EncodingSchema, type FieldSpec, type HardeningSpec, type Transform } from './schema.js';
import { tokenize, transformValues } from './tokens.js';

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

/** An encoded record as a JSON line (no newline), or the rejection reason. */
/** An encoded line (with any invalid fields that were left out), or why the row was refused. */
export type RowResult = { line: string; leftOut?: string[] } | { reason: string };

type Ok = NormaliseOk<unknown>;

/** Outcome of normalising one distinct raw cell value. */
type Normalised = { ok: Ok; tokens: string[] } | { missing: true } | { reason: string };

/** Bit positions of one distinct (salt, value) of a field. */
interface Positions {
  clk: Uint16Array;
  filter: Uint16Array;
}

const UTF8 = new TextEncoder();
const PERSONAL = UTF8.encode('blindlink-token');
const BLOCK_PERSONAL = UTF8.encode('blindlink-block');
const SALT_PERSONAL = UTF8.encode('blindlink-salt');
/** Salt used when the salt's source field is empty in a row: such rows only match each other. */
const MISSING_SALT = '\u0000missing';

class FieldEncoder {
  readonly normalised: ValueCache<Normalised>;
  readonly positions: ValueCache<Positions>;
  /** Digest stream (k uint16 values) per salt and token: q-grams repeat across values. */
  readonly digests: ValueCache<Uint16Array>;
  readonly filterBytes: number;
  readonly hardener: FilterHardener | null;
  private readonly macs = new Map<string, Blake2bKeyed[]>();
  private readonly saltMac: Blake2bKeyed;
  private readonly k: number;
  private readonly digestWords = new Int32Array(16);
  private readonly digestShorts = new Uint16Array(this.digestWords.buffer);
  private buf = new Uint8Array(256);

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
    const valueCacheSize = spec.normaliser === 'address' || spec.normaliser === 'nhs_number' || spec.normaliser === 'identifier' ? Math.ceil(cacheSize / 8) : cacheSize;
    this.normalised = new ValueCache(valueCacheSize);
    this.positions = new ValueCache(valueCacheSize);
    this.digests = new ValueCache(cacheSize);
    this.filterBytes = spec.filter ? spec.filter.bits / 8 : 0;
    this.hardener = spec.filter ? new FilterHardener(spec.filter.bits, hardening, permutationSeed) : null;
    this.k = spec.clkBitsPerToken + (spec.filter?.bitsPerToken ?? 0);
    this.saltMac = new Blake2bKeyed(key, { personal: SALT_PERSONAL, outLen: 16 });
  }

  normalise(raw: string): Normalised {
    let n = this.normalised.get(raw);
    if (n === undefined) {
      const r = normalisers[this.spec.normaliser](raw);
      if (r.ok) n = { ok: r, tokens: tokenize(r, this.spec.tokens) };
      else if (isMissing(r)) n = { missing: true };
      else n = { reason: r.reason };
      this.normalised.set(raw, n);
    }
    return n;
  }

  /** The hash instances for one salt: one per 32 positions needed (a digest gives 32 uint16). */
  private macsFor(salt: string): Blake2bKeyed[] {
    let m = this.macs.get(salt);
    if (m === undefined) {
      const saltBytes = salt === '' ? new Uint8Array(0) : this.saltMac.digest(UTF8.encode(salt));
      m = [];
      for (let j = 0; j * 32 < this.k; j++) {
        const personal = new Uint8Array(16);
        personal.set(PERSONAL);
        personal[15] = j;
        m.push(new Blake2bKeyed(this.key, { salt: saltBytes, personal }));
      }
      // Salts are few (years of birth); bound the map all the same.
      if (this.macs.size > 4096) this.macs.clear();
      this.macs.set(salt, m);
    }
    return m;
  }

  /** The first k uint16 values of the token's keyed digest stream under `salt` (cached). */
  private digest(token: string, salt: string): Uint16Array {
    const key = salt === '' ? token : `${salt}\u0001${token}`;
    let d = this.digests.get(key);
    if (d !== undefined) return d;
    const macs = this.macsFor(salt);
    const need = utf8Length(token);
    if (need > this.buf.length) this.buf = new Uint8Array(need * 2);
    const len = encodeUtf8Into(token, this.buf);
    d = new Uint16Array(this.k);
    for (let j = 0; j * 32 < this.k; j++) {
      macs[j]!.hashWordsInto(this.buf, len, this.digestWords);
      d.set(this.digestShorts.subarray(0, Math.min(32, this.k - 32 * j)), 32 * j);
    }
    this.digests.set(key, d);
    return d;
  }

  positionsFor(raw: string, tokens: readonly string[], salt: string): Positions {
    const cacheKey = this.salted ? `${salt}\u0001${raw}` : raw;
    const hit = this.positions.get(cacheKey);
    if (hit !== undefined) return hit;
    const kc = this.spec.clkBitsPerToken;
    const kf = this.spec.filter?.bitsPerToken ?? 0;
    const fbits = this.spec.filter?.bits ?? 1;
    const clk = new Uint16Array(tokens.length * kc);
    const filter = new Uint16Array(tokens.length * kf);
    const saltKey = this.salted ? salt : '';
    for (let t = 0; t < tokens.length; t++) {
      const token = tokens[t]!;
      const d = this.digest(token, saltKey);
      // Values 0..kc−1 of the token's digest stream go to the CLK, the next kf to the field filter.
      for (let i = 0; i < kc; i++) clk[t * kc + i] = d[i]! % this.clkBits;
      for (let i = 0; i < kf; i++) filter[t * kf + i] = d[kc + i]! % fbits;
    }
    const p = { clk, filter };
    this.positions.set(cacheKey, p);
    return p;
  }
}

function setBits(filter: Uint8Array, positions: Uint16Array): void {
  for (let i = 0; i < positions.length; i++) {
    const p = positions[i]!;
    filter[p >>> 3]! |= 0x80 >>> (p & 7);
  }
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export class RecordEncoder {
  private readonly fields: FieldEncoder[];
  private readonly clkBytes: number;
  private readonly clkHardener: FilterHardener;
  private readonly salt: { field: FieldEncoder; transform: Transform } | null;
  private readonly blockMac: Blake2bKeyed;
  private readonly noise: FlipNoise;
  private readonly blockCache: ValueCache<string>;
  private readonly blockKeys: { name: string; parts: { field: FieldEncoder; transform: Transform; alternatives: boolean }[] }[];
  private readonly idColumn: number;
  private readonly idName: string;
  private readonly width: number;
  private readonly attributes: { name: string; column: number }[];
  private readonly invalidAsMissing: boolean;

  constructor(setup: RecordEncoderSetup) {
    const { schema } = setup;
    const keys = deriveKeys(setup.secret, schema);
    const cacheSize = setup.cacheSize ?? 20_000;
    const saltSpec = schema.hardening.find((h) => h.step === 'salt');
    const salted = new Set(saltSpec?.step === 'salt' ? saltSpec.fields : []);
    this.fields = schema.fields.map(
      (f, i) => new FieldEncoder(f, setup.columns[i]!, salted.has(f.name), flipProbability(schema, f.name), keys.token.get(f.name)!, schema.clkBits, schema.hardening, () => keys.permutation(`field:${f.name}`), cacheSize),
    );
    const byName = new Map(this.fields.map((f) => [f.spec.name, f]));
    this.clkBytes = schema.clkBits / 8;
    this.clkHardener = new FilterHardener(schema.clkBits, schema.hardening, () => keys.permutation('clk'));
    this.salt = saltSpec?.step === 'salt' ? { field: byName.get(saltSpec.from.field)!, transform: saltSpec.from.transform } : null;
    this.blockMac = new Blake2bKeyed(keys.block, { personal: BLOCK_PERSONAL, outLen: 16 });
    this.noise = new FlipNoise(keys.flip);
    this.blockCache = new ValueCache(cacheSize);
    this.blockKeys = schema.blockingKeys.map((k) => ({ name: k.name, parts: k.parts.map((p) => ({ field: byName.get(p.field)!, transform: p.transform, alternatives: p.alternatives })) }));
    this.idColumn = setup.idColumn;
    this.idName = setup.idName;
    this.width = setup.width;
    this.attributes = setup.attributes ?? [];
    this.invalidAsMissing = setup.invalidAsMissing ?? false;
  }

  /** Encodes one row with the given row token. */
  encode(row: readonly string[], token: string): RowResult {
    if (row.length !== this.width) return { reason: `malformed CSV: row has ${row.length} columns but the header has ${this.width}` };
    if ((row[this.idColumn] ?? '').trim() === '') return { reason: `${this.idName}: empty record id` };

    const results: ({ ok: Ok; tokens: string[] } | null)[] = new Array(this.fields.length);
    let any = false;
    let leftOut: string[] | undefined;
    for (let i = 0; i < this.fields.length; i++) {
      const f = this.fields[i]!;
      const n = f.normalise(row[f.column] ?? '');
      if ('reason' in n) {
        if (!this.invalidAsMissing) return { reason: `${f.spec.name}: ${n.reason}` };
        (leftOut ??= []).push(`${f.spec.name}: ${n.reason}`);
        results[i] = null;
        continue;
      }
      if ('ok' in n) {
        results[i] = n;
        any = true;
      } else results[i] = null;
    }
    if (!any) return { reason: 'every identifier is empty' };

    let salt = '';
    if (this.salt) {
      const src = results[this.fields.indexOf(this.salt.field)];
      salt = src ? (transformValues(src.ok, this.salt.transform, false)[0] ?? MISSING_SALT) : MISSING_SALT;
    }

    const clk = new Uint8Array(this.clkBytes);
    let fieldsJson = '';
    for (let i = 0; i < this.fields.length; i++) {
      const r = results[i];
      if (!r) continue;
      const f = this.fields[i]!;
      const pos = f.positionsFor(row[f.column] ?? '', r.tokens, salt);
      setBits(clk, pos.clk);
      if (f.hardener) {
        const ff = new Uint8Array(f.filterBytes);
        setBits(ff, pos.filter);
        const hardened = f.hardener.apply(ff);
        if (f.flip > 0) this.noise.apply(hardened, f.flip, f.spec.name, row[this.idColumn]!.trim());
        fieldsJson += `${fieldsJson === '' ? '' : ','}"${f.spec.name}":"${base64(hardened)}"`;
      }
    }

    const seen = new Set<string>();
    for (const k of this.blockKeys) {
      let combos: string[] = [k.name];
      for (const p of k.parts) {
        const idx = this.fields.indexOf(p.field);
        const r = results[idx];
        const vals = r ? transformValues(r.ok, p.transform, p.alternatives) : [];
        const next: string[] = [];
        for (const c of combos) for (const v of vals) if (next.length < 16) next.push(`${c}\u001f${v}`);
        combos = next;
      }
      for (const msg of combos) {
        const t = this.blockToken(msg);
        if (seen.has(t) || seen.size >= 64) continue;
        seen.add(t);
      }
    }
    // Sorted, not in key order: a keyed token is pseudo-random, so sorting shuffles the keys per
    // record and the broker cannot tell which key a token belongs to by its place in the list.
    const blocksJson = seen.size === 0 ? '' : `"${[...seen].sort().join('","')}"`;

    let line = `{"token":"${token}","clk":"${base64(this.clkHardener.apply(clk))}"`;
    if (fieldsJson !== '') line += `,"fields":{${fieldsJson}}`;
    if (blocksJson !== '') line += `,"blocks":[${blocksJson}]`;
    let attributesJson = '';
    for (const a of this.attributes) {
      const v = (row[a.column] ?? '').trim();
      if (v !== '') attributesJson += `${attributesJson === '' ? '' : ','}"${a.name}":${JSON.stringify(v)}`;
    }
    if (attributesJson !== '') line += `,"attributes":{${attributesJson}}`;
    return leftOut ? { line: line + '}', leftOut } : { line: line + '}' };
  }

  private blockToken(msg: string): string {
    let t = this.blockCache.get(msg);
    if (t === undefined) {
      t = Buffer.from(this.blockMac.digest(UTF8.encode(msg))).toString('base64url');
      this.blockCache.set(msg, t);
    }
    return t;
  }

  clearCaches(): void {
    for (const f of this.fields) {
      f.normalised.clear();
      f.positions.clear();
      f.digests.clear();
    }
    this.blockCache.clear();
  }
}
