import type { FieldName } from './schema.js';

export type Normalised = { ok: true; value: string } | { ok: true; missing: true } | { ok: false; reason: string };

const MISSING: Normalised = { ok: true, missing: true };

/** Fold to ASCII lower case: NFKD splits accents off letters, then the marks are dropped. */
function fold(raw: string): string {
  return raw.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

function name(raw: string): Normalised {
  const v = fold(raw).replace(/[^a-z]/g, '');
  if (/\d/.test(raw)) return { ok: false, reason: 'a name must not contain digits' };
  return v ? { ok: true, value: v } : MISSING;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function dob(raw: string): Normalised {
  const s = raw.trim().toLowerCase();
  let y: number, m: number, d: number;
  let mt: RegExpMatchArray | null;
  if ((mt = s.match(/^(\d{4})-(\d{2})-(\d{2})$/))) [y, m, d] = [+mt[1]!, +mt[2]!, +mt[3]!];
  else if ((mt = s.match(/^(\d{1,2})\/(\d{1,2})\/(\d{4})$/))) [d, m, y] = [+mt[1]!, +mt[2]!, +mt[3]!];
  else if ((mt = s.match(/^(\d{1,2}) ([a-z]{3})[a-z]* (\d{4})$/)) && MONTHS.includes(mt[2]!)) [d, m, y] = [+mt[1]!, MONTHS.indexOf(mt[2]!) + 1, +mt[3]!];
  else return { ok: false, reason: `date of birth "${'?'.repeat(Math.min(s.length, 10))}" is not DD/MM/YYYY, YYYY-MM-DD or D MMM YYYY` };
  const dt = new Date(Date.UTC(y, m - 1, d));
  if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== m - 1 || dt.getUTCDate() !== d) return { ok: false, reason: 'date of birth is not a real calendar date' };
  return { ok: true, value: dt.toISOString().slice(0, 10).replace(/-/g, '') };
}

function sex(raw: string): Normalised {
  const s = raw.trim().toLowerCase();
  if (s === '') return MISSING;
  if (['m', 'male', '1'].includes(s)) return { ok: true, value: 'm' };
  if (['f', 'female', '2'].includes(s)) return { ok: true, value: 'f' };
  if (['u', 'unknown', '0', '9'].includes(s)) return MISSING;
  return { ok: false, reason: 'sex is not M, F, 1, 2 or U' };
}

function postcode(raw: string): Normalised {
  const s = raw.toUpperCase().replace(/\s+/g, '');
  if (s === '') return MISSING;
  if (!/^[A-Z]{1,2}\d[A-Z\d]?\d[ABD-HJLNP-UW-Z]{2}$/.test(s)) return { ok: false, reason: 'postcode does not follow the UK format' };
  return { ok: true, value: s };
}

function digits(raw: string): Normalised {
  const s = raw.replace(/[\s-]/g, '');
  if (s === '') return MISSING;
  if (!/^\d{10}$/.test(s)) return { ok: false, reason: 'NHS number must have 10 digits' };
  const sum = [...s.slice(0, 9)].reduce((acc, c, i) => acc + Number(c) * (10 - i), 0);
  const check = (11 - (sum % 11)) % 11;
  if (check === 10 || check !== Number(s[9])) return { ok: false, reason: 'NHS number fails the modulus-11 check' };
  return { ok: true, value: s };
}

function text(raw: string): Normalised {
  const v = fold(raw).replace(/[^a-z0-9]+/g, ' ').trim();
  return v ? { ok: true, value: v } : MISSING;
}

export const basicNormalisers: Record<FieldName, (raw: string) => Normalised> = {
  given_name: name,
  surname: name,
  dob,
  sex,
  address: text,
  postcode,
  nhs_number: digits,
};
