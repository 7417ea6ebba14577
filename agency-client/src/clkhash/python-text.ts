/** Python string semantics that clkhash relies on and JavaScript does not share. */

/** Characters for which Python's str.isspace() is true (str.strip() with no argument removes them). */
export function isPythonSpace(c: number): boolean {
  return (
    (c >= 0x09 && c <= 0x0d) ||
    (c >= 0x1c && c <= 0x20) ||
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

/** Python's str.strip(): clkhash strips every CSV value this way before validating it. */
export function pythonStrip(s: string): string {
  let start = 0,
    end = s.length;
  while (start < end && isPythonSpace(s.charCodeAt(start))) start++;
  while (end > start && isPythonSpace(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/** Length in code points, as Python's len(). */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n--;
      i++;
    }
  }
  return n;
}

/** True if the string has an unpaired surrogate (Python cannot encode it as UTF-8/16/32). */
export function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00) {
      if (i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
      else return true;
    } else if (c >= 0xdc00 && c < 0xe000) return true;
  }
  return false;
}

const UNICODE_DIGIT = /\p{Nd}/u;

/** Value of a Unicode decimal digit (Nd), which Python's int() accepts; -1 if not a digit. */
function digitValue(s: string, i: number): { value: number; width: number } {
  const c = s.charCodeAt(i);
  if (c >= 0x30 && c <= 0x39) return { value: c - 0x30, width: 1 };
  if (c < 0x80) return { value: -1, width: 1 };
  const cp = s.codePointAt(i)!;
  const ch = String.fromCodePoint(cp);
  if (!UNICODE_DIGIT.test(ch)) return { value: -1, width: ch.length };
  // Nd characters come in contiguous runs of ten, zero first: count back to the run start.
  let zero = cp;
  while (UNICODE_DIGIT.test(String.fromCodePoint(zero - 1))) zero--;
  return { value: (cp - zero) % 10, width: ch.length };
}

/**
 * Python's int(s, 10): surrounding whitespace, an optional sign, decimal digits (any Unicode
 * Nd digit) with single underscores between digits. Returns null where Python raises ValueError.
 */
export function parsePythonInt(s: string): bigint | null {
  const t = pythonStrip(s);
  let i = 0;
  let negative = false;
  if (t[0] === '+' || t[0] === '-') {
    negative = t[0] === '-';
    i = 1;
  }
  if (i >= t.length) return null;
  let digits = '';
  let lastWasDigit = false;
  while (i < t.length) {
    if (t[i] === '_') {
      if (!lastWasDigit) return null;
      lastWasDigit = false;
      i++;
      continue;
    }
    const d = digitValue(t, i);
    if (d.value < 0) return null;
    digits += String(d.value);
    lastWasDigit = true;
    i += d.width;
  }
  if (!lastWasDigit) return null;
  const v = BigInt(digits);
  return negative ? -v : v;
}

const PY_FLOAT =
  /^[+-]?(?:(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?|inf|infinity|nan)$/i;

/** Python's float(s) for ASCII input; null where Python raises ValueError. */
export function parsePythonFloat(s: string): number | null {
  const t = pythonStrip(s);
  if (!PY_FLOAT.test(t)) return null;
  const plain = t.replace(/_/g, '').toLowerCase();
  const sign = plain.startsWith('-') ? -1 : 1;
  const body = plain.replace(/^[+-]/, '');
  if (body === 'inf' || body === 'infinity') return sign * Infinity;
  if (body === 'nan') return NaN;
  return Number(plain);
}

/** Python's round(x) for a float: to nearest, ties to even. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
