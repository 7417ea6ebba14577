/**
 * Evidence that two records are two people, read from their encodings alone: clustering may not put
 * them in one entity however strongly a chain through other records joins them.
 *
 *  - Two different valid NHS numbers: the NHS number filter is keyed and deterministic (never
 *    flipped), so equal bytes mean one number and different bytes two; the normaliser leaves an
 *    invalid number out (its check digit catches one wrong digit or two swapped), so a typing error
 *    does not read as a second number.
 *  - Dates of birth that cannot belong to one person: Dice of the two date filters (de-biased when
 *    flipped) below DOB_APART. A day and month swapped or one digit wrong stays above it; the dates
 *    of a parent and a child, or of two unrelated people, fall below. Weaker than the others: a
 *    pair that scores above the threshold on its own (other fields, an identifier, outweighing the
 *    dates: FEBRL4 corrupts dates of birth beyond that) still links; a chain cannot.
 *  - An adults-only record and a children-only one (the sources' declared populations), unless both
 *    carry dates of birth that agree (DOB_SAME): an 18-year-old can be on a school roll and an adult
 *    register at once. The declaration is a hint the dates may overrule, not a wall.
 *
 * Twins and co-residents with different NHS numbers or dates of birth fall under the first two. A
 * rule for the rest (at one postcode, one surname and date of birth, given names below Dice 0.25) was
 * measured and dropped: it kept apart 37 of 15,809 same-person pairs (a middle name or a nickname used
 * as the given name) at 6,000 persons, which look exactly like twins.
 *
 * Pure: no I/O.
 */
import type { Population } from './entities/index.js';
import { popcount32 } from './kernel/popcount.js';
import type { PreparedSources } from './prepare.js';
import type { FieldColumn } from './scoring/field-column.js';
import { debiasedDice } from './scoring/field-dice.js';

/** Below this date-of-birth Dice two records are two people. */
export const DOB_APART = 0.4;
/** At or above this date-of-birth Dice the dates agree. */
export const DOB_SAME = 0.85;
/**
 * How strongly records x and y (global numbers) are two people: 0 no evidence; WEAK evidence a pair's own score may
 * outweigh (the pair links when its weight, which already counts the disagreement, clears the threshold), but a
 * chain through other records may not; STRONG evidence nothing outweighs.
 */
export type Apart = (x: number, y: number) => 0 | 1 | 2;
export const WEAK = 1;
export const STRONG = 2;

/** Dice of one field for two records, de-biased when flipped; NaN when either lacks it. */
export function recordDice(prep: PreparedSources, f: number, x: number, y: number): number {
  const sx = prep.sourceOf[x] as number;
  const sy = prep.sourceOf[y] as number;
  const a = prep.fieldSets[sx]?.[f];
  const b = prep.fieldSets[sy]?.[f];
  if (!a || !b) return NaN;
  const rx = x - (prep.offsets[sx] as number);
  const ry = y - (prep.offsets[sy] as number);
  if (!a.present[rx] || !b.present[ry]) return NaN;
  return columnDice(a, b, rx, ry);
}

function columnDice(a: FieldColumn, b: FieldColumn, rx: number, ry: number): number {
  const w = a.set.words64 * 2;
  const wa = a.set.words;
  const wb = b.set.words;
  let c = 0;
  for (let k = 0; k < w; k++) c += popcount32((wa[rx * w + k] as number) & (wb[ry * w + k] as number));
  const pa = a.set.popcount(rx);
  const pb = b.set.popcount(ry);
  if (pa + pb === 0) return 1;
  const observed = (2 * c) / (pa + pb);
  return a.flip ? debiasedDice(observed, pa, pb, a.set.bits, a.flip) : observed;
}

/** Both records hold the field and its filters differ (an unflipped, deterministic field). */
function differs(prep: PreparedSources, f: number, x: number, y: number): boolean {
  const sx = prep.sourceOf[x] as number;
  const sy = prep.sourceOf[y] as number;
  const a = prep.fieldSets[sx]?.[f];
  const b = prep.fieldSets[sy]?.[f];
  if (!a || !b || a.flip || b.flip) return false;
  const rx = x - (prep.offsets[sx] as number);
  const ry = y - (prep.offsets[sy] as number);
  if (!a.present[rx] || !b.present[ry]) return false;
  const w = a.set.words64 * 2;
  for (let k = 0; k < w; k++) if (a.set.words[rx * w + k] !== b.set.words[ry * w + k]) return true;
  return false;
}

/** Records without a date of birth (the field missing from the record); null when the encodings hold no such field. */
export function undatedRecords(prep: PreparedSources): ((x: number) => boolean) | null {
  const dob = prep.clkMode ? -1 : prep.fieldNames.indexOf('dob');
  if (dob < 0) return null;
  return (x) => {
    const s = prep.sourceOf[x] as number;
    const col = prep.fieldSets[s]?.[dob];
    return !col?.present[x - (prep.offsets[s] as number)];
  };
}

/**
 * The evidence `prep` offers, as one predicate over record pairs; null when the encodings carry none of it
 * (record-level CLKs only, and no declared populations).
 */
export function apartEvidence(prep: PreparedSources, populations: readonly (Population | undefined)[]): Apart | null {
  const nhs = prep.clkMode ? -1 : prep.fieldNames.indexOf('nhs_number');
  const dob = prep.clkMode ? -1 : prep.fieldNames.indexOf('dob');
  const declared = populations.some((p) => p !== undefined);
  if (nhs < 0 && dob < 0 && !declared) return null;
  return (x, y) => {
    if (nhs >= 0 && differs(prep, nhs, x, y)) return STRONG;
    const d = dob >= 0 ? recordDice(prep, dob, x, y) : NaN;
    const px = populations[prep.sourceOf[x] as number];
    const py = populations[prep.sourceOf[y] as number];
    if (px !== undefined && py !== undefined && px !== py && !(d >= DOB_SAME)) return STRONG;
    return d < DOB_APART ? WEAK : 0;
  };
}
