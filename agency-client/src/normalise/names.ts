/**
 * Given-name and surname normalisation.
 *
 * Output: `value` is the whole name folded, lower case, with spaces and punctuation removed, so
 * "O'Neill", "ONeill" and "O Neill" all give "oneill", and "Smith-Jones" / "Smith Jones" give
 * "smithjones". `parts` (only when there are two or more) lists each part of a multi-part name so
 * each part can be tokenised on its own. `variants` holds canonical spellings (nicknames,
 * transliterations, Mac → Mc, Saint → St) that differ from the value and its parts.
 */
import { collapseWhitespace, foldDiacritics, hasControlChar, stripInvisible } from './fold.js';
import { givenNameCanonicals, surnameCanonicals } from './name-variants.js';
import { repairMojibake } from './mojibake.js';
import { fail, isBlank, MISSING, success } from './result.js';
import type { NameParts, NormaliseResult, Repair } from './result.js';

export const MAX_NAME_LENGTH = 100;

/** Apostrophe look-alikes: straight, curly, reversed, back tick, acute accent, modifier letters, prime. */
const APOSTROPHES_RE = /['\u2018\u2019\u201B`\u00B4\u02BC\u02B9\u02BB\u2032]/gu;
/** Hyphens and dashes, full stops and commas separate name parts ("Smith-Jones", "J.R."). */
const SEPARATORS_RE = /[-\u2010-\u2015\u2212\uFE58\uFE63\uFF0D.,]/gu;

/** Titles removed from the start of a given name. */
const TITLES: ReadonlySet<string> = new Set([
  'mr',
  'mrs',
  'ms',
  'miss',
  'mx',
  'dr',
  'master',
  'prof',
  'rev',
  'revd',
  'sir',
  'dame',
]);

/**
 * Surname particles: joined to the following word to make one part, so "O Neill" is one part
 * "oneill" and "Van der Berg" one part "vanderberg", while "Smith Jones" has two parts.
 */
const PARTICLES: ReadonlySet<string> = new Set([
  'o',
  'mc',
  'mac',
  'd',
  'de',
  'da',
  'di',
  'du',
  'del',
  'della',
  'der',
  'den',
  'van',
  'von',
  'le',
  'la',
  'st',
  'saint',
  'al',
  'el',
  'bin',
  'ibn',
  'bint',
  'abu',
  'ap',
]);

/** Surnames that start with "mac" but are not the Gaelic prefix; no Mc variant for these. */
const NOT_MAC: ReadonlySet<string> = new Set([
  'machin',
  'machen',
  'machon',
  'machado',
  'macias',
  'maciel',
  'macedo',
  'macon',
  'machell',
]);

type NameKind = 'given name' | 'surname';

/**
 * A '?' or U+FFFD where a system that could not store a letter put one ("Ren?e", "Si?n"). The letter
 * cannot be guessed, so the mark is dropped and the rest of the name kept: a Bloom-filter comparison
 * of "rene" with "renee" still scores high, while leaving the whole name out would lose it all.
 */
const LOST_LETTER_RE = /[?\uFFFD]/gu;
const HAS_LOST_LETTER_RE = /[?\uFFFD]/u;
/** The reason nameWords gives for a name of lost-letter marks alone ("?"): the name is missing, not invalid. */
const LOST = 'no letters survive';

/**
 * Cleans a raw name into lower-case ASCII-folded words (and what was repaired on the way), or says
 * why it cannot be used. Only letters, spaces, apostrophes, hyphens/dashes, full stops and commas
 * are accepted, after mojibake is repaired and lost-letter marks dropped.
 */
function nameWords(raw: string, kind: NameKind): { words: string[]; repaired?: Repair } | { reason: string } {
  let trimmed = stripInvisible(raw).trim();
  let repaired: Repair | undefined;
  const decoded = repairMojibake(trimmed);
  if (decoded !== trimmed) {
    trimmed = decoded;
    repaired = 'mojibake';
  }
  if (HAS_LOST_LETTER_RE.test(trimmed)) {
    trimmed = trimmed.replace(LOST_LETTER_RE, '').trim();
    if (trimmed === '') return { reason: LOST };
    repaired ??= 'lost letter';
  }
  // Code points never outnumber code units: count them only when the units are too many.
  if (trimmed.length > MAX_NAME_LENGTH && [...trimmed].length > MAX_NAME_LENGTH)
    return { reason: `${kind} is longer than ${MAX_NAME_LENGTH} characters` };
  if (hasControlChar(trimmed)) return { reason: `${kind} contains a control character` };
  if (/\p{N}/u.test(trimmed)) return { reason: `${kind} contains a digit` };

  // Apostrophes are removed (not spaced) both before and after folding: NFKD turns the acute accent
  // into a space plus a mark, and turns 'ŉ' into an apostrophe plus n.
  const folded = foldDiacritics(trimmed.toLowerCase().replace(APOSTROPHES_RE, ''))
    .replace(APOSTROPHES_RE, '')
    .replace(SEPARATORS_RE, ' ');
  const bad = /[^\p{L}\s]/u.exec(folded);
  if (bad) return { reason: `${kind} contains a character not used in names (${JSON.stringify(bad[0])})` };
  const words = collapseWhitespace(folded)
    .split(' ')
    .filter((w) => w !== '');
  if (words.length === 0) return { reason: `${kind} contains no letters` };
  return repaired ? { words, repaired } : { words };
}

/** Groups surname words into parts: each particle is glued to the word after it. */
function surnameParts(words: readonly string[]): string[] {
  const parts: string[] = [];
  let pending = '';
  for (const word of words) {
    pending += word;
    if (!PARTICLES.has(word)) {
      parts.push(pending);
      pending = '';
    }
  }
  // Trailing particle(s) ("Smith Le", or the surname "Le" itself) stand as a part of their own.
  if (pending !== '') parts.push(pending);
  return parts;
}

/** Mac → Mc and Saint → St canonical forms for one surname or surname part. */
function surnamePrefixCanonicals(name: string): string[] {
  const out: string[] = [];
  if (/^mac[a-z]{3,}$/.test(name) && !NOT_MAC.has(name)) out.push(`mc${name.slice(3)}`);
  if (/^saint[a-z]{2,}$/.test(name)) out.push(`st${name.slice(5)}`);
  return out;
}

function collectVariants(candidates: readonly string[], lookup: (name: string) => readonly string[]): string[] {
  const seen = new Set(candidates);
  const variants: string[] = [];
  for (const name of candidates) {
    for (const canonical of lookup(name)) {
      if (!seen.has(canonical)) {
        seen.add(canonical);
        variants.push(canonical);
      }
    }
  }
  return variants;
}

/**
 * Normalises a given name (or given names): titles (Mr, Mrs, Ms, Miss, Dr ...) stripped from the
 * start, nicknames and transliterations mapped to canonical forms in `variants`.
 */
export function normaliseGivenName(raw: string): NormaliseResult<NameParts> {
  if (isBlank(raw)) return MISSING;
  const cleaned = nameWords(raw, 'given name');
  if ('reason' in cleaned) return cleaned.reason === LOST ? MISSING : fail(cleaned.reason);
  const { words, repaired } = cleaned;
  let start = 0;
  while (start < words.length && TITLES.has(words[start] ?? '')) start++;
  const parts = words.slice(start);
  if (parts.length === 0) return fail('given name holds only a title');
  const value = parts.join('');
  const candidates = parts.length > 1 ? [value, ...parts] : [value];
  const variants = collectVariants(candidates, givenNameCanonicals);
  return success<NameParts>(value, { variants, repaired, ...(parts.length > 1 ? { parts } : {}) });
}

/**
 * Normalises a surname: particles kept but joined (O'Neill → oneill), double-barrelled and
 * hyphenated names split into `parts`, Mac → Mc and Saint → St and spelling/transliteration
 * canonical forms in `variants`. Titles are not stripped: "Miss" in a surname column is data.
 */
export function normaliseSurname(raw: string): NormaliseResult<NameParts> {
  if (isBlank(raw)) return MISSING;
  const cleaned = nameWords(raw, 'surname');
  if ('reason' in cleaned) return cleaned.reason === LOST ? MISSING : fail(cleaned.reason);
  const { words, repaired } = cleaned;
  const parts = surnameParts(words);
  const value = parts.join('');
  const candidates = parts.length > 1 ? [value, ...parts] : [value];
  const variants = collectVariants(candidates, (name) => [
    ...surnamePrefixCanonicals(name),
    ...surnameCanonicals(name),
  ]);
  return success<NameParts>(value, { variants, repaired, ...(parts.length > 1 ? { parts } : {}) });
}
