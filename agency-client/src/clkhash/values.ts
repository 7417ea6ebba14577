/**
 * Validation and formatting of one value for one feature, as clkhash's field specs do it:
 * the missing-value sentinel is replaced (and not validated); strings are validated but not
 * altered; integers are rendered as Python's str(int(v)); dates are parsed with the schema's
 * strptime format and rendered %Y%m%d. Failure reasons never quote the value (no plaintext in logs).
 */
import type { HashedFeature, TextEncoding } from './schema.js';
import { formatYmd } from './strptime.js';
import { codePointLength, hasLoneSurrogate, parsePythonInt } from './python-text.js';

export type ValueOutcome = { ok: true; value: string } | { ok: false; code: string; reason: string };

const fail = (code: string, reason: string): ValueOutcome => ({ ok: false, code, reason });

function encodable(s: string, encoding: TextEncoding): boolean {
  if (encoding === 'ascii') {
    for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
    return true;
  }
  return !hasLoneSurrogate(s);
}

/** Validates `raw` (already stripped) against the feature and returns the string to tokenise. */
export function prepareValue(feature: HashedFeature, raw: string): ValueOutcome {
  const mv = feature.missingValue;
  if (mv !== undefined && raw === mv.sentinel) return { ok: true, value: mv.replaceWith };
  if (!encodable(raw, feature.encoding)) return fail('encoding', `value cannot be encoded as ${feature.encoding}`);
  const f = feature.format;
  switch (f.type) {
    case 'string': {
      if (f.pattern !== undefined) {
        if (!f.pattern.regex.test(raw))
          return fail('pattern', `value does not match the pattern '${f.pattern.source}'`);
        return { ok: true, value: raw };
      }
      if (f.minLength !== undefined || f.maxLength !== undefined) {
        const len = codePointLength(raw);
        if (f.minLength !== undefined && len < f.minLength)
          return fail('min-length', `value has ${len} characters, fewer than minLength ${f.minLength}`);
        if (f.maxLength !== undefined && len > f.maxLength)
          return fail('max-length', `value has ${len} characters, more than maxLength ${f.maxLength}`);
      }
      if (f.case === 'upper' && raw.toUpperCase() !== raw) return fail('case', 'value is not upper case');
      if (f.case === 'lower' && raw.toLowerCase() !== raw) return fail('case', 'value is not lower case');
      return { ok: true, value: raw };
    }
    case 'integer': {
      const plain = plainDigits(raw);
      if (plain !== null) {
        // Below 2^53, so the number compares exactly with the bigint bounds.
        const n = Number(plain);
        if (f.minimum !== undefined && n < f.minimum)
          return fail('minimum', `integer is below the minimum ${f.minimum}`);
        if (f.maximum !== undefined && n > f.maximum)
          return fail('maximum', `integer is above the maximum ${f.maximum}`);
        return { ok: true, value: plain };
      }
      const v = parsePythonInt(raw);
      if (v === null) return fail('integer', 'value is not a base-10 integer');
      if (f.minimum !== undefined && v < f.minimum) return fail('minimum', `integer is below the minimum ${f.minimum}`);
      if (f.maximum !== undefined && v > f.maximum) return fail('maximum', `integer is above the maximum ${f.maximum}`);
      return { ok: true, value: v.toString() };
    }
    case 'date': {
      const d = f.parser(raw);
      if ('error' in d) return fail('date', `invalid date: ${d.error}`);
      return { ok: true, value: formatYmd(d) };
    }
    case 'enum':
      if (!f.values.has(raw)) return fail('enum', 'value is not one of the enumerated values');
      return { ok: true, value: raw };
  }
}

/**
 * str(int(s)) for the common case of 1 to 15 ASCII digits (leading zeros dropped), without
 * BigInt; null for anything else (signs, underscores, spaces, other digits, long numbers).
 */
function plainDigits(s: string): string | null {
  if (s.length === 0 || s.length > 15) return null;
  let firstNonZero = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return null;
    if (firstNonZero < 0 && c !== 0x30) firstNonZero = i;
  }
  if (firstNonZero < 0) return '0';
  return firstNonZero === 0 ? s : s.slice(firstNonZero);
}
