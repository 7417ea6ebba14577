import type { Prng } from './prng.js';

/**
 * UK postcode format rules. Outward code (area letters + district) then a space and the inward code
 * (sector digit + two unit letters). Formats: AN NAA, ANN NAA, AAN NAA, AANN NAA, ANA NAA, AANA NAA.
 */

export const FIRST_LETTERS = 'ABCDEFGHIJKLMNOPRSTUWYZ'; // never Q, V, X
export const SECOND_LETTERS = 'ABCDEFGHKLMNOPQRSTUVWXY'; // never I, J, Z
export const THIRD_LETTERS_ANA = 'ABCDEFGHJKPSTUW';
export const FOURTH_LETTERS_AANA = 'ABEHMNPRVWXY';
export const INWARD_LETTERS = 'ABDEFGHJLNPQRSTUWXYZ'; // never C, I, K, M, O, V

// The four outward shapes (A9, A99; AA9, AA99; A9A; AA9A), built from the letter sets above.
const OUTWARD = new RegExp(
  '^(?:' +
    [
      `[${FIRST_LETTERS}][0-9]{1,2}`,
      `[${FIRST_LETTERS}][${SECOND_LETTERS}][0-9]{1,2}`,
      `[${FIRST_LETTERS}][0-9][${THIRD_LETTERS_ANA}]`,
      `[${FIRST_LETTERS}][${SECOND_LETTERS}][0-9][${FOURTH_LETTERS_AANA}]`,
    ].join('|') +
    ')$',
);
const INWARD = /^[0-9][ABDEFGHJLNPQRSTUWXYZ]{2}$/;

/** True for a well-formed postcode written in the canonical form "OUT IN" (upper case, one space). */
export function isValidPostcode(pc: string): boolean {
  const parts = pc.split(' ');
  if (parts.length !== 2) return false;
  return OUTWARD.test(parts[0] as string) && INWARD.test(parts[1] as string);
}

export type OutwardFormat = 'AN' | 'ANN' | 'AAN' | 'AANN' | 'ANA' | 'AANA';
export const OUTWARD_FORMATS: readonly OutwardFormat[] = ['AN', 'ANN', 'AAN', 'AANN', 'ANA', 'AANA'];
/** Rough shares of each outward format among UK districts; two-letter areas dominate. */
export const OUTWARD_FORMAT_WEIGHTS: readonly number[] = [4, 6, 30, 50, 3, 7];

function letter(rng: Prng, set: string): string {
  return set.charAt(rng.int(set.length));
}

/** A random outward code of the given format. */
export function randomOutward(rng: Prng, fmt: OutwardFormat): string {
  const a1 = letter(rng, FIRST_LETTERS);
  const a2 = letter(rng, SECOND_LETTERS);
  const d1 = String(rng.range(1, 9));
  switch (fmt) {
    case 'AN':
      return a1 + d1;
    case 'ANN':
      return a1 + d1 + String(rng.int(10));
    case 'AAN':
      return a1 + a2 + d1;
    case 'AANN':
      return a1 + a2 + d1 + String(rng.int(10));
    case 'ANA':
      return a1 + d1 + letter(rng, THIRD_LETTERS_ANA);
    case 'AANA':
      return a1 + a2 + d1 + letter(rng, FOURTH_LETTERS_AANA);
  }
}

export function randomInward(rng: Prng): string {
  return String(rng.int(10)) + letter(rng, INWARD_LETTERS) + letter(rng, INWARD_LETTERS);
}

/** A random well-formed postcode of any format (for addresses outside the synthetic area). */
export function randomPostcode(rng: Prng): string {
  const fmt = OUTWARD_FORMATS[rng.weightedIndex(OUTWARD_FORMAT_WEIGHTS)] as OutwardFormat;
  return `${randomOutward(rng, fmt)} ${randomInward(rng)}`;
}

/** All 400 unit letter pairs, for enumerating the units of a sector without repeats. */
export function unitLetterPairs(): string[] {
  const out: string[] = [];
  for (const a of INWARD_LETTERS) for (const b of INWARD_LETTERS) out.push(a + b);
  return out;
}
