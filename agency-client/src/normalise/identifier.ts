/**
 * Normalisers for fields the UK-specific ones do not cover, so that an agency can encode the
 * identifiers it actually holds (a police PNC id, a pupil's UPN, a National Insurance number, a
 * benchmark's social-security id) and free text such as a town.
 *
 * - identifier: letters and digits only, case folded; spaces, hyphens, slashes and dots are
 *   separators typed inconsistently and are dropped; anything else is an error (a value like
 *   "see notes" is not an identifier, and encoding it would link everyone who has it).
 * - text: generic free text (diacritics folded, lower case, white space collapsed, punctuation
 *   other than letters, digits and spaces dropped).
 */
import { foldDiacritics, hasControlChar, normaliseFreeText, stripInvisible } from './fold.js';
import { fail, isBlank, MISSING, success } from './result.js';
import type { NormaliseResult } from './result.js';

export const MAX_IDENTIFIER_LENGTH = 64;
export const MAX_TEXT_LENGTH = 200;

export function normaliseIdentifier(raw: string): NormaliseResult<never> {
  if (isBlank(raw)) return MISSING;
  const cleaned = foldDiacritics(stripInvisible(raw).trim()).toLowerCase();
  if (hasControlChar(cleaned)) return fail('identifier contains a control character');
  if (!/^[\p{L}\p{N}\s./-]*$/u.test(cleaned))
    return fail('identifier may contain only letters, digits, spaces, hyphens, slashes and dots');
  const value = cleaned.replace(/[\s./-]/gu, '');
  if (value.length === 0) return fail('identifier has no letters or digits');
  if (value.length > MAX_IDENTIFIER_LENGTH)
    return fail(`identifier is longer than ${MAX_IDENTIFIER_LENGTH} characters`);
  return success<never>(value);
}

export function normaliseText(raw: string): NormaliseResult<never> {
  if (isBlank(raw)) return MISSING;
  if (hasControlChar(raw.replace(/[\t\r\n]/g, ' '))) return fail('text contains a control character');
  const value = normaliseFreeText(raw.replace(/[^\p{L}\p{N}\s]/gu, ' '));
  if (value.length === 0) return MISSING;
  if (value.length > MAX_TEXT_LENGTH) return fail(`text is longer than ${MAX_TEXT_LENGTH} characters`);
  return success<never>(value);
}
