/**
 * The tokens of one normalised value as small integers where that is possible, so that looking up
 * a token's bit positions costs an open-addressing probe (clkhash/token-table.ts) and no string is
 * made unless the token has to be hashed. The token *set* is exactly tokens.ts's `tokenize`: bits
 * are OR-ed, so neither the order nor repeats change a filter, and every key is turned back into
 * the very string `tokenize` makes (`keyString`) before it is hashed.
 *
 * Integer keys (all below 2^30, one scheme per field, so they never collide within a field):
 * - q-grams with q ≤ 2 over code units below 0x8000 (no surrogates: there code units are code
 *   points, as `qgrams` counts them): q = 1 the code unit; q = 2 c1 << 15 | c2.
 * - date tokens: kind << 24 | a << 8 | b (kinds below).
 * Other tokens ("w:smith", "n:12", "=m", ...) stay strings. A value with a q ≥ 3 or a character
 * outside the fast range takes `tokenize` whole, all strings.
 */
import type { AddressParts, DobParts, NameParts, NormaliseOk, PostcodeParts } from '../normalise/index.js';
import type { TokenSpec } from './schema.js';
import { tokenize } from './tokens.js';

type Ok = NormaliseOk<unknown>;

/** A value's tokens: integer keys (the field's scheme) and string tokens. */
export interface TokenSet {
  keys: readonly number[];
  strings: string[];
}

const PAD = 0x5f; // '_', as tokens.ts pads q-grams

/** Date token kinds: positional digit, y, m, d, ym, md, dec, dm. */
enum DateKind {
  Digit = 0,
  Year = 1,
  Month = 2,
  Day = 3,
  YearMonth = 4,
  MonthDay = 5,
  Decade = 6,
  DayMonth = 7,
}

function dateKey(kind: DateKind, a: number, b: number): number {
  return (kind << 24) | (a << 8) | b;
}

/** True if every code unit is below 0x8000 (so no surrogates either). */
function fastChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x8000) return false;
  return true;
}

/** Collects keys into a growable scratch array. */
class KeyBuffer {
  keys: number[] = [];
  push(k: number): void {
    this.keys.push(k);
  }
  qgrams(s: string, q: number): void {
    const len = s.length;
    if (q === 1) {
      for (let i = 0; i < len; i++) this.push(s.charCodeAt(i));
      return;
    }
    // q = 2: "_s0", "s0s1", ..., "s(n-1)_".
    let prev = PAD;
    for (let i = 0; i < len; i++) {
      const c = s.charCodeAt(i);
      this.push((prev << 15) | c);
      prev = c;
    }
    this.push((prev << 15) | PAD);
  }
  take(): number[] {
    const out = this.keys;
    this.keys = [];
    return out;
  }
}

const EMPTY_KEYS: readonly number[] = Object.freeze([]);

/** Tokenises one field's values; one instance per field (it reuses a scratch buffer). */
export class FieldTokenizer {
  private readonly buf = new KeyBuffer();
  /** q of the field's q-grams when they can be keyed (1 or 2), else 0. */
  private readonly fastQ: number;

  constructor(private readonly spec: TokenSpec) {
    this.fastQ = 'q' in spec && spec.q <= 2 ? spec.q : 0;
  }

  tokens(r: Ok): TokenSet {
    const spec = this.spec;
    switch (spec.kind) {
      case 'date':
        return { keys: this.dateKeys(r), strings: [] };
      case 'exact':
        return { keys: EMPTY_KEYS, strings: [`=${r.value}`] };
      case 'name': {
        if (this.fastQ === 0) break;
        const parts = (r.parts as NameParts | undefined) ?? [];
        const names = [r.value];
        if (spec.parts && parts.length > 1) names.push(...parts);
        if (spec.variants) for (const v of r.variants ?? []) names.push(v);
        if (!names.every(fastChars)) break;
        const strings: string[] = [];
        for (const s of names) {
          this.buf.qgrams(s, this.fastQ);
          strings.push(`w:${s}`);
        }
        return { keys: this.buf.take(), strings };
      }
      case 'address': {
        if (this.fastQ === 0 || !fastChars(r.value)) break;
        const p = r.parts as AddressParts;
        this.buf.qgrams(r.value, this.fastQ);
        const strings: string[] = [];
        for (const w of p.street.split(' ')) if (w !== '') strings.push(`w:${w}`);
        if (p.number !== undefined) strings.push(`n:${p.number}`);
        if (p.flat !== undefined) strings.push(`f:${p.flat}`);
        return { keys: this.buf.take(), strings };
      }
      case 'postcode': {
        if (this.fastQ === 0 || !fastChars(r.value)) break;
        const p = r.parts as PostcodeParts;
        this.buf.qgrams(r.value.replace(/ /g, ''), this.fastQ);
        return { keys: this.buf.take(), strings: [`u:${r.value}`, `s:${p.sector}`, `d:${p.district}`, `a:${p.area}`] };
      }
      case 'qgrams':
        if (this.fastQ === 0 || !fastChars(r.value)) break;
        this.buf.qgrams(r.value, this.fastQ);
        return { keys: this.buf.take(), strings: [] };
    }
    return { keys: EMPTY_KEYS, strings: tokenize(r, spec) };
  }

  /** As tokens.ts's dateTokens: 8 positional digits, y, m, d, ym, md, dec, dm. */
  private dateKeys(r: Ok): number[] {
    const p = r.parts as DobParts;
    const v = r.value; // YYYY-MM-DD
    const out: number[] = [];
    for (let i = 0, pos = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c !== 0x2d) out.push(dateKey(DateKind.Digit, pos++, c - 0x30));
    }
    out.push(
      dateKey(DateKind.Year, p.year, 0),
      dateKey(DateKind.Month, p.month, 0),
      dateKey(DateKind.Day, p.day, 0),
      dateKey(DateKind.YearMonth, p.year, p.month),
      dateKey(DateKind.MonthDay, p.month, p.day),
      dateKey(DateKind.Decade, Math.floor(p.year / 10), 0),
      dateKey(DateKind.DayMonth, Math.min(p.day, p.month), Math.max(p.day, p.month)),
    );
    return out;
  }

  /** The token string `tokenize` makes for an integer key of this field. */
  keyString(key: number): string {
    if (this.spec.kind === 'date') {
      const kind = (key >>> 24) as DateKind;
      const a = (key >>> 8) & 0xffff;
      const b = key & 0xff;
      switch (kind) {
        case DateKind.Digit:
          return `${a}:${b}`;
        case DateKind.Year:
          return `y:${a}`;
        case DateKind.Month:
          return `m:${a}`;
        case DateKind.Day:
          return `d:${a}`;
        case DateKind.YearMonth:
          return `ym:${a}-${b}`;
        case DateKind.MonthDay:
          return `md:${a}-${b}`;
        case DateKind.Decade:
          return `dec:${a}`;
        case DateKind.DayMonth:
          return `dm:${a}/${b}`;
      }
    }
    return this.fastQ === 1 ? String.fromCharCode(key) : String.fromCharCode(key >>> 15, key & 0x7fff);
  }
}
