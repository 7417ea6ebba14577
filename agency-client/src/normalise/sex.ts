/**
 * Sex normalisation. Accepts M/F, Male/Female and the ONS/NHS numeric coding (1 = male,
 * 2 = female), case-insensitive. U / Unknown (and empty) are missing, not errors, so the encoder
 * uses its missing level. Anything else is an error: a value we cannot read is reported, not guessed.
 * Output value: "m" or "f".
 */
import { collapseWhitespace, stripInvisible } from './fold.js';
import { fail, isBlank, MISSING, success } from './result.js';
import type { NormaliseResult } from './result.js';

const CODES: Readonly<Record<string, 'm' | 'f' | 'missing'>> = {
  m: 'm',
  male: 'm',
  '1': 'm',
  f: 'f',
  female: 'f',
  '2': 'f',
  u: 'missing',
  unknown: 'missing',
};

export function normaliseSex(raw: string): NormaliseResult<never> {
  if (isBlank(raw)) return MISSING;
  const code = CODES[collapseWhitespace(stripInvisible(raw)).toLowerCase()];
  if (code === undefined) return fail('sex must be M, F, Male, Female, 1 (male), 2 (female) or U/Unknown');
  if (code === 'missing') return MISSING;
  return success<never>(code);
}
