/**
 * The address normaliser as it was before the speed work (commit 6eb2f01), with the regular-expression
 * text helpers it used, kept as the oracle for tests/system/encode-equivalence.test.ts: the fast paths
 * in agency-client/src/normalise must give exactly what this gives. Not used by the product.
 */
import {
  fail,
  foldDiacritics,
  hasControlChar,
  MISSING,
  normalisePostcode,
  success,
} from '@blindlink/agency-client/normalise';
import type { AddressParts, NormaliseResult } from '@blindlink/agency-client/normalise';

const isBlank = (raw: string): boolean => raw.replace(/[\s\u200B-\u200D\uFEFF]/gu, '') === '';
const stripInvisible = (text: string): string => text.replace(/[\u00AD\u200B-\u200D\u2060\uFEFF]/gu, '');
const collapseWhitespace = (text: string): string => text.replace(/\s+/gu, ' ').trim();
const MAX_ADDRESS_LENGTH = 300;
const ADDRESS_ABBREVIATIONS: Readonly<Record<string, string>> = {
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

/** Normalises one comma-separated segment into words. */
function segmentWords(segment: string): string[] {
  const raw = collapseWhitespace(segment.replace(APOSTROPHES_RE, '').replace(/[^\p{L}\p{N}\s]/gu, ' '));
  if (raw === '') return [];
  const tokens = raw.split(' ').flatMap(splitGlued);
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

export function normaliseAddressRef(raw: string): NormaliseResult<AddressParts> {
  if (isBlank(raw)) return MISSING;
  const trimmed = stripInvisible(raw).trim();
  if ([...trimmed].length > MAX_ADDRESS_LENGTH) return fail(`address is longer than ${MAX_ADDRESS_LENGTH} characters`);
  if (hasControlChar(trimmed)) return fail('address contains a control character');

  const folded = foldDiacritics(trimmed.toLowerCase());
  const { rest, postcode } = splitTrailingPostcode(folded);
  const words = rest.split(/[,;\n]/u).flatMap(segmentWords);
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
  return success<AddressParts>(words.join(' '), { parts });
}
