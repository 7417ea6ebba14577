/**
 * Address normalisation (free-text address lines joined in one field).
 *
 * Steps: fold diacritics, lower case; a valid UK postcode at the very end is taken out (into
 * `parts.postcode`); apostrophes removed ("Mary's" → "marys"), other punctuation becomes a space;
 * a house number glued to a word is split ("12high" → "12 high", but "12a" and "1st" are kept);
 * common abbreviations expanded; white space collapsed.
 *
 * "St" rule (kept simple on purpose): within one comma-separated segment, "st" is "saint" when it is
 * the first word after any flat designator and house numbers and another word follows it
 * ("12 St Mary's Rd" → "12 saint marys road", "St Albans"); otherwise it is "street"
 * ("12 High St" → "12 high street"). "Dr" is always "drive".
 */
import { collapseWhitespace, foldDiacritics, hasControlChar, stripInvisible } from './fold.js';
import { repairMojibake } from './mojibake.js';
import { normalisePostcode } from './postcode.js';
import { fail, isBlank, MISSING, success } from './result.js';
import type { AddressParts, NormaliseResult } from './result.js';

export const MAX_ADDRESS_LENGTH = 300;

/** Abbreviation → full word. "st" is handled separately (street or saint). */
export const ADDRESS_ABBREVIATIONS: Readonly<Record<string, string>> = {
  rd: 'road',
  ave: 'avenue',
  av: 'avenue',
  ln: 'lane',
  cl: 'close',
  cres: 'crescent',
  cresc: 'crescent',
  dr: 'drive',
  drv: 'drive',
  ct: 'court',
  pl: 'place',
  sq: 'square',
  gdns: 'gardens',
  gdn: 'garden',
  tce: 'terrace',
  terr: 'terrace',
  gr: 'grove',
  gro: 'grove',
  pk: 'park',
  pde: 'parade',
  hse: 'house',
  apt: 'flat',
  apartment: 'flat',
  flt: 'flat',
};

const APOSTROPHES_RE = /['\u2018\u2019\u201B`\u00B4\u02BC]/gu;
/** A flat/house number: digits with an optional single letter suffix ("12", "12a"). */
const HOUSE_NUMBER_RE = /^\d+[a-z]?$/;
/** A flat identifier: a number, or a single letter ("Flat B"). */
const FLAT_ID_RE = /^(?:\d+[a-z]?|[a-z])$/;

/** Finds a valid postcode at the end of the (folded) address and returns it with the rest. */
function splitTrailingPostcode(text: string): { rest: string; postcode?: string } {
  const m = /(?:^|[\s,])([a-z0-9]{2,4})\s*(\d[a-z]{2})[\s.,]*$/i.exec(text);
  if (!m) return { rest: text };
  const pc = normalisePostcode(`${m[1] ?? ''}${m[2] ?? ''}`);
  if (!pc.ok) return { rest: text };
  return { rest: text.slice(0, m.index), postcode: pc.value };
}

/** Splits glued tokens: "12high" → "12 high" (not "12a", not ordinals), "flat3" → "flat 3". */
function splitGlued(token: string): string[] {
  const flat = /^(flat|flt|apt|apartment)(\d+[a-z]?)$/.exec(token);
  if (flat) return [flat[1] ?? '', flat[2] ?? ''];
  const num = /^(\d+)([a-z]{2,})$/.exec(token);
  if (num && !/^\d+(?:st|nd|rd|th)$/.test(token)) return [num[1] ?? '', num[2] ?? ''];
  return [token];
}

/**
 * For ASCII text, what the two replaces below give (apostrophes dropped, every character that is
 * not a letter, digit or white space made a space) in one pass; undefined for other text. In
 * ASCII the apostrophe look-alikes are ' and \`, letters a–z and A–Z, digits 0–9, white space
 * space and \t \n \v \f \r.
 */
function asciiPunctuation(segment: string): string | undefined {
  let out = '';
  let from = 0;
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i);
    if (c > 0x7f) return undefined;
    const keep =
      (c >= 0x61 && c <= 0x7a) ||
      (c >= 0x30 && c <= 0x39) ||
      (c >= 0x41 && c <= 0x5a) ||
      c === 0x20 ||
      (c >= 0x09 && c <= 0x0d);
    if (keep) continue;
    out += segment.slice(from, i);
    if (c !== 0x27 && c !== 0x60) out += ' ';
    from = i + 1;
  }
  return from === 0 ? segment : out + segment.slice(from);
}

/** Normalises one comma-separated segment into words. */
function segmentWords(segment: string): string[] {
  const raw = collapseWhitespace(
    asciiPunctuation(segment) ?? segment.replace(APOSTROPHES_RE, '').replace(/[^\p{L}\p{N}\s]/gu, ' '),
  );
  if (raw === '') return [];
  // Loops, not flatMap: V8 leaves flatMap unoptimised, and it was most of this function's time.
  const tokens: string[] = [];
  for (const t of raw.split(' ')) for (const g of splitGlued(t)) tokens.push(g);
  const words = tokens.map((t) => ADDRESS_ABBREVIATIONS[t] ?? t);
  // Position of the first word after leading flat designators and numbers: where "St" means saint.
  let lead = 0;
  while (lead < words.length && (words[lead] === 'flat' || HOUSE_NUMBER_RE.test(words[lead] ?? ''))) lead++;
  return words.map((w, i) => {
    if (w !== 'st') return w;
    const next = words[i + 1];
    return i === lead && next !== undefined && /\p{L}/u.test(next) ? 'saint' : 'street';
  });
}

export function normaliseAddress(raw: string): NormaliseResult<AddressParts> {
  if (isBlank(raw)) return MISSING;
  const given = stripInvisible(raw).trim();
  const trimmed = repairMojibake(given);
  // Code points never outnumber code units: count them only when the units are too many.
  if (trimmed.length > MAX_ADDRESS_LENGTH && [...trimmed].length > MAX_ADDRESS_LENGTH)
    return fail(`address is longer than ${MAX_ADDRESS_LENGTH} characters`);
  if (hasControlChar(trimmed)) return fail('address contains a control character');

  const folded = foldDiacritics(trimmed.toLowerCase());
  const { rest, postcode } = splitTrailingPostcode(folded);
  const words: string[] = [];
  for (const segment of rest.split(/[,;\n]/u)) for (const w of segmentWords(segment)) words.push(w);
  if (words.length === 0) {
    return fail(postcode === undefined ? 'address contains no letters or digits' : 'address holds only a postcode');
  }

  // Pieces: "flat N" (first one), the first other house number, and the remaining text.
  let flat: string | undefined;
  let number: string | undefined;
  const street: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? '';
    const next = words[i + 1];
    if (flat === undefined && w === 'flat' && next !== undefined && FLAT_ID_RE.test(next)) {
      flat = next;
      i++;
    } else if (number === undefined && HOUSE_NUMBER_RE.test(w)) {
      number = w;
    } else {
      street.push(w);
    }
  }
  const parts: AddressParts = {
    ...(flat !== undefined ? { flat } : {}),
    ...(number !== undefined ? { number } : {}),
    street: street.join(' '),
    ...(postcode !== undefined ? { postcode } : {}),
  };
  return success<AddressParts>(words.join(' '), { parts, repaired: trimmed === given ? undefined : 'mojibake' });
}
