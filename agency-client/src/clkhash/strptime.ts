/**
 * The subset of Python's `datetime.strptime` that dates need, with Python's matching rules:
 * the directive regexes of CPython's _strptime (case-insensitive, C locale names), whitespace
 * in the format matching one or more whitespace characters, a prefix match followed by an
 * "unconverted data remains" check (no backtracking to the end), and calendar validation.
 * Time-of-day directives are parsed and then discarded (only the date is hashed).
 */

export interface ParsedDate {
  year: number;
  month: number;
  day: number;
}

export type StrptimeParser = (value: string) => ParsedDate | { error: string };

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

function alternatives(words: string[]): string {
  // CPython sorts by length (longest first) so that prefixes do not shadow longer names.
  return [...words].sort((a, b) => b.length - a.length).join('|');
}

const DIRECTIVES: Record<string, string> = {
  d: '(?<d>3[01]|[12]\\d|0[1-9]|[1-9]| [1-9])',
  f: '(?<f>[0-9]{1,6})',
  H: '(?<H>2[0-3]|[0-1]\\d|\\d)',
  I: '(?<I>1[0-2]|0[1-9]|[1-9])',
  j: '(?<j>36[0-6]|3[0-5]\\d|[12]\\d\\d|0[1-9]\\d|00[1-9]|[1-9]\\d|0[1-9]|[1-9])',
  m: '(?<m>1[0-2]|0[1-9]|[1-9])',
  M: '(?<M>[0-5]\\d|\\d)',
  S: '(?<S>6[0-1]|[0-5]\\d|\\d)',
  w: '(?<w>[0-6])',
  u: '(?<u>[1-7])',
  y: '(?<y>\\d\\d)',
  Y: '(?<Y>\\d\\d\\d\\d)',
  z: '(?<z>[+-]\\d\\d:?[0-5]\\d(?::?[0-5]\\d(?:\\.\\d{1,6})?)?|Z)',
  B: `(?<B>${alternatives(MONTHS)})`,
  b: `(?<b>${alternatives(MONTHS.map((m) => m.slice(0, 3)))})`,
  A: `(?<A>${alternatives(DAYS)})`,
  a: `(?<a>${alternatives(DAYS.map((d) => d.slice(0, 3)))})`,
  p: '(?<p>am|pm)',
  '%': '%',
};

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Compiles a strptime format. Throws on directives this implementation does not support. */
export function compileStrptime(format: string): StrptimeParser {
  let pattern = '';
  const seen = new Set<string>();
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c === '%') {
      const d = format[i + 1];
      if (d === undefined) throw new Error(`strptime format ${JSON.stringify(format)} ends with a lone '%'`);
      const re = DIRECTIVES[d];
      if (re === undefined)
        throw new Error(
          `strptime directive %${d} is not supported (supported: ${Object.keys(DIRECTIVES)
            .map((k) => '%' + k)
            .join(' ')})`,
        );
      if (d !== '%' && seen.has(d)) throw new Error(`strptime directive %${d} appears twice`);
      seen.add(d);
      pattern += re;
      i++;
    } else if (/\s/.test(c)) {
      while (i + 1 < format.length && /\s/.test(format[i + 1]!)) i++;
      pattern += '\\s+';
    } else {
      pattern += escapeRegex(c);
    }
  }
  const regex = new RegExp(pattern, 'iy');
  return (value: string) => {
    regex.lastIndex = 0;
    const m = regex.exec(value);
    if (m === null) return { error: `does not match date format '${format}'` };
    if (m[0].length !== value.length) return { error: `unconverted data remains after date format '${format}'` };
    const g = m.groups ?? {};
    let year = 1900,
      month = 1,
      day = 1;
    if (g.Y !== undefined) year = Number(g.Y);
    else if (g.y !== undefined) {
      const y = Number(g.y);
      year = y <= 68 ? 2000 + y : 1900 + y;
    }
    if (g.m !== undefined) month = Number(g.m);
    else if (g.B !== undefined) month = MONTHS.indexOf(g.B.toLowerCase()) + 1;
    else if (g.b !== undefined) month = MONTHS.findIndex((x) => x.startsWith(g.b!.toLowerCase())) + 1;
    if (g.d !== undefined) day = Number(g.d.trim());
    if (year < 1) return { error: 'year 0 is out of range' };
    if (g.j !== undefined) {
      // Day of year overrides month/day, as in CPython.
      const doy = Number(g.j);
      const leap = daysInMonth(year, 2) === 29;
      if (doy > (leap ? 366 : 365)) return { error: 'day of year is out of range' };
      let rest = doy;
      month = 1;
      while (rest > daysInMonth(year, month)) {
        rest -= daysInMonth(year, month);
        month++;
      }
      day = rest;
    }
    if (day > daysInMonth(year, month)) return { error: 'day is out of range for month' };
    return { year, month, day };
  };
}

/**
 * Renders a date as strftime('%Y%m%d') does on Linux under the CPython versions clkhash 0.18.3
 * supports: glibc does not zero-pad %Y, so years below 1000 have fewer than four digits.
 */
export function formatYmd(d: ParsedDate): string {
  return String(d.year) + String(d.month).padStart(2, '0') + String(d.day).padStart(2, '0');
}
