/**
 * Date-of-birth normalisation to ISO `YYYY-MM-DD`.
 *
 * Accepted (UK day-first order only; US month-first is not accepted and usually fails as month > 12):
 *   DD/MM/YYYY, D/M/YYYY, DD-MM-YYYY, DD.MM.YYYY   (one separator used throughout)
 *   YYYY-MM-DD (also YYYY/MM/DD), YYYYMMDD
 *   D MMM YYYY, D MMMM YYYY, e.g. "3 Mar 1984", "03 March 1984", "3rd March 1984", "3-Mar-1984"
 * Rejected: two-digit years (ambiguous century), impossible dates, dates before 1900 or in the future.
 * Reasons do not repeat the date itself.
 */
import { collapseWhitespace, stripInvisible } from './fold.js';
import { fail, isBlank, MISSING, success } from './result.js';
import type { DobParts, NormaliseResult } from './result.js';

export const EARLIEST_DOB_YEAR = 1900;

const FORMATS_HINT = 'use DD/MM/YYYY, YYYY-MM-DD, YYYYMMDD or D MMM YYYY';

const MONTHS: Readonly<Record<string, number>> = {
  jan: 1,
  january: 1,
  feb: 2,
  february: 2,
  mar: 3,
  march: 3,
  apr: 4,
  april: 4,
  may: 5,
  jun: 6,
  june: 6,
  jul: 7,
  july: 7,
  aug: 8,
  august: 8,
  sep: 9,
  sept: 9,
  september: 9,
  oct: 10,
  october: 10,
  nov: 11,
  november: 11,
  dec: 12,
  december: 12,
};

export interface DobOptions {
  /** The date against which "in the future" is judged (local calendar date); defaults to now. */
  readonly today?: Date;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

interface RawDate {
  readonly day: string;
  readonly month: number | string;
  readonly year: string;
}

/** Splits the text into day, month, year strings by format, or explains why it cannot. */
function parseShape(s: string): RawDate | { reason: string } {
  let m = /^(\d{1,2})([/.-])(\d{1,2})\2(\d+)$/.exec(s);
  if (m) return { day: m[1] ?? '', month: m[3] ?? '', year: m[4] ?? '' };

  m = /^(\d{4})([/-])(\d{1,2})\2(\d{1,2})$/.exec(s);
  if (m) return { day: m[4] ?? '', month: m[3] ?? '', year: m[1] ?? '' };

  m = /^(\d{4})(\d{2})(\d{2})$/.exec(s);
  if (m) {
    // DDMMYYYY would also be 8 digits; we only accept year first, and say so.
    if (Number(m[1]) < 1000) return { reason: `an 8-digit date of birth must be YYYYMMDD` };
    return { day: m[3] ?? '', month: m[2] ?? '', year: m[1] ?? '' };
  }

  m = /^(\d{1,2})(?:st|nd|rd|th)?[\s-]+([a-z]+)\.?,?[\s-]+(\d+)$/i.exec(s);
  if (m) {
    const month = MONTHS[(m[2] ?? '').toLowerCase()];
    if (month === undefined) return { reason: 'date of birth has an unknown month name' };
    return { day: m[1] ?? '', month, year: m[3] ?? '' };
  }

  return { reason: `date of birth is not in a recognised format (${FORMATS_HINT})` };
}

export function normaliseDob(raw: string, options: DobOptions = {}): NormaliseResult<DobParts> {
  if (isBlank(raw)) return MISSING;
  const shape = parseShape(collapseWhitespace(stripInvisible(raw)));
  if ('reason' in shape) return fail(shape.reason);

  if (shape.year.length === 2) return fail('date of birth has a two-digit year, which is ambiguous; use four digits');
  if (shape.year.length !== 4) return fail('date of birth year must have four digits');
  const year = Number(shape.year);
  const month = Number(shape.month);
  const day = Number(shape.day);

  if (month < 1 || month > 12) return fail('date of birth month must be 1 to 12 (day comes first in UK dates)');
  if (day < 1) return fail('date of birth day must be at least 1');
  if (day > daysInMonth(year, month)) {
    const leapHint = month === 2 && day === 29 ? ' (29 February exists only in leap years)' : '';
    return fail(`date of birth does not exist: day is past the end of the month${leapHint}`);
  }
  if (year < EARLIEST_DOB_YEAR) return fail(`date of birth is before ${EARLIEST_DOB_YEAR}`);

  const pad = (n: number, width: number): string => String(n).padStart(width, '0');
  const iso = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
  const now = options.today ?? new Date();
  const todayIso = `${pad(now.getFullYear(), 4)}-${pad(now.getMonth() + 1, 2)}-${pad(now.getDate(), 2)}`;
  // Same-width ISO strings compare in date order.
  if (iso > todayIso) return fail('date of birth is in the future');

  return success<DobParts>(iso, { parts: { year, month, day } });
}
