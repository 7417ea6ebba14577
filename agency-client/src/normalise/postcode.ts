/**
 * UK postcode normalisation and validation.
 *
 * Input is upper-cased and all spaces removed; the single space is re-inserted before the inward
 * code (the last three characters). Format rules (Royal Mail / ONS):
 *   outward code: AN, ANN, AAN, AANN, ANA or AANA (A = letter, N = digit)
 *   inward code: NAA
 *   Q, V, X never first; I, J, Z never second in the AA... forms;
 *   the final letter of an ANA outward code is one of A B C D E F G H J K P S T U W;
 *   the final letter of an AANA outward code is one of A B E H M N P R V W X Y;
 *   inward letters never C, I, K, M, O, V.
 * The special GIR 0AA is accepted. British Forces (BFPO) and overseas-territory codes are not.
 * Typos are never fixed (an O where the inward digit belongs is an error, not a 0): a postcode that
 * breaks a rule is reported with the rule it breaks.
 */
import { stripInvisible } from './fold.js';
import { fail, isBlank, MISSING, success } from './result.js';
import type { NormaliseResult, PostcodeParts } from './result.js';

const OUTWARD_FORMS = /^(?:[A-Z]\d|[A-Z]\d\d|[A-Z][A-Z]\d|[A-Z][A-Z]\d\d|[A-Z]\d[A-Z]|[A-Z][A-Z]\d[A-Z])$/;
const ANA_THIRD = 'ABCDEFGHJKPSTUW';
const AANA_FOURTH = 'ABEHMNPRVWXY';
const INWARD_FORBIDDEN = 'CIKMOV';

function parts(outward: string, inward: string): PostcodeParts {
  const area = /^[A-Z]+/.exec(outward)?.[0] ?? outward;
  return { area, district: outward, sector: `${outward} ${inward.slice(0, 1)}`, outward, inward };
}

/** Checks the outward code; returns the broken rule, or undefined if valid. */
function outwardProblem(outward: string): string | undefined {
  const first = outward.charAt(0);
  if (!/[A-Z]/.test(first)) return 'postcode must start with a letter';
  if ('QVX'.includes(first)) return 'postcode area cannot start with Q, V or X';
  if (!OUTWARD_FORMS.test(outward)) {
    return 'outward code (before the space) must have the form AN, ANN, AAN, AANN, ANA or AANA (A = letter, N = digit)';
  }
  const second = outward.charAt(1);
  if (/[A-Z]/.test(second) && 'IJZ'.includes(second)) return 'second letter of the postcode area cannot be I, J or Z';
  if (/^[A-Z]\d[A-Z]$/.test(outward) && !ANA_THIRD.includes(outward.charAt(2))) {
    return `final letter of an outward code of the form ANA must be one of ${ANA_THIRD.split('').join(' ')}`;
  }
  if (/^[A-Z][A-Z]\d[A-Z]$/.test(outward) && !AANA_FOURTH.includes(outward.charAt(3))) {
    return `final letter of an outward code of the form AANA must be one of ${AANA_FOURTH.split('').join(' ')}`;
  }
  return undefined;
}

/** Checks the inward code; returns the broken rule, or undefined if valid. */
function inwardProblem(inward: string): string | undefined {
  const digit = inward.charAt(0);
  if (digit === 'O') return 'inward code (after the space) must start with a digit, not the letter O';
  if (!/\d/.test(digit)) return 'inward code (after the space) must start with a digit';
  if (!/^[A-Z][A-Z]$/.test(inward.slice(1))) return 'inward code (after the space) must end with two letters';
  if ([...inward.slice(1)].some((ch) => INWARD_FORBIDDEN.includes(ch))) {
    return 'inward code letters cannot be C, I, K, M, O or V';
  }
  return undefined;
}

export function normalisePostcode(raw: string): NormaliseResult<PostcodeParts> {
  if (isBlank(raw)) return MISSING;
  const compact = stripInvisible(raw).toUpperCase().replace(/\s+/gu, '');
  if (/[^A-Z0-9]/.test(compact)) return fail('postcode may contain only letters, digits and spaces');
  if (compact === 'GIR0AA') return success<PostcodeParts>('GIR 0AA', { parts: parts('GIR', '0AA') });
  if (compact.length < 5 || compact.length > 7) {
    return fail(`postcode must have 5 to 7 letters and digits, not counting spaces (found ${compact.length})`);
  }
  const outward = compact.slice(0, -3);
  const inward = compact.slice(-3);
  const problem = outwardProblem(outward) ?? inwardProblem(inward);
  if (problem !== undefined) return fail(problem);
  return success<PostcodeParts>(`${outward} ${inward}`, { parts: parts(outward, inward) });
}

/** True if the raw text is a valid UK postcode under the rules above. */
export function isValidPostcode(raw: string): boolean {
  return normalisePostcode(raw).ok;
}
