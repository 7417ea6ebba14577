/**
 * NHS number normalisation: 10 digits, the last a modulus 11 check digit.
 * Spaces and hyphens are allowed in the input ("943 476 5919", "943-476-5919"); nothing else is.
 * Check digit: weights 10..2 on the first nine digits, check = 11 − (sum mod 11); 11 becomes 0,
 * and 10 means the number can never be valid.
 */
import { stripInvisible } from './fold.js';
import { fail, isBlank, MISSING, success } from './result.js';
import type { NormaliseResult } from './result.js';

/** The check digit for the first nine digits, or undefined when it would be 10 (never issued). */
export function nhsCheckDigit(firstNine: string): number | undefined {
  if (!/^\d{9}$/.test(firstNine)) throw new RangeError('nhsCheckDigit needs exactly nine digits');
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(firstNine.charAt(i)) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 11) return 0;
  if (check === 10) return undefined;
  return check;
}

export function normaliseNhsNumber(raw: string): NormaliseResult<never> {
  if (isBlank(raw)) return MISSING;
  const digits = stripInvisible(raw).trim().replace(/[\s-]/gu, '');
  if (!/^\d*$/.test(digits)) return fail('NHS number may contain only digits, spaces and hyphens');
  if (digits.length !== 10) return fail(`NHS number must have 10 digits (found ${digits.length})`);
  const check = nhsCheckDigit(digits.slice(0, 9));
  if (check === undefined) return fail('NHS number is invalid: its check digit would be 10, which is never issued');
  if (check !== Number(digits.charAt(9))) return fail('NHS number check digit does not match (mistyped digit?)');
  return success<never>(digits);
}

/**
 * True if the number lies in 999 000 0000 – 999 999 9999, a range never issued (used for testing).
 * Accepts raw input (spaces, hyphens); false for anything that is not 10 digits.
 */
export function isNhsTestRange(raw: string): boolean {
  const digits = raw.trim().replace(/[\s-]/gu, '');
  return /^999\d{7}$/.test(digits);
}
