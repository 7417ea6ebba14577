/**
 * Result of normalising one raw CSV value.
 *
 * Three outcomes, so that the caller can treat them differently:
 * - ok: a usable canonical value (plus optional extra tokens and sub-parts);
 * - missing: the cell was empty; not an error, the encoder uses its "missing" level;
 * - error: the value is present but unusable; the caller reports the row number and `reason`.
 *
 * Missing is `ok: false` on purpose: a caller that forgets the `missing` check reports a bad row
 * (loud) instead of encoding an empty value (silent). Reasons never quote the whole raw value, so
 * they can be logged without leaking identifiers.
 */
export interface NormaliseOk<P = NormaliseParts> {
  readonly ok: true;
  /** Canonical form, used for equality and q-gram encoding. */
  readonly value: string;
  /** Extra tokens (canonical spellings, nickname targets) that raise similarity with variants. */
  readonly variants?: readonly string[];
  /** Field-specific pieces (name parts, date parts, postcode units, address pieces). */
  readonly parts?: P;
  /** Set when the raw value was repaired before use (mojibake, a lost letter): counted, never silent. */
  readonly repaired?: Repair;
}

/** What was repaired in a value: UTF-8 read as Windows-1252 re-decoded, or a '?' standing for a lost letter dropped. */
export type Repair = 'mojibake' | 'lost letter';

export interface NormaliseMissing {
  readonly ok: false;
  readonly missing: true;
  readonly reason: string;
}

export interface NormaliseError {
  readonly ok: false;
  readonly missing?: false;
  readonly reason: string;
}

/** Name parts: each part of a hyphenated, double-barrelled or multi-word name. */
export type NameParts = readonly string[];

export interface DobParts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

export interface PostcodeParts {
  /** Postcode area: the leading letters, e.g. "SW". */
  readonly area: string;
  /** Postcode district: the outward code, e.g. "SW1A". */
  readonly district: string;
  /** Postcode sector: outward code, space, inward digit, e.g. "SW1A 1". */
  readonly sector: string;
  readonly outward: string;
  readonly inward: string;
}

export interface AddressParts {
  /** Flat / apartment number if given as "flat N". */
  readonly flat?: string;
  /** First house number in the address, with any letter suffix ("12a"). */
  readonly number?: string;
  /** The address text without flat, house number and postcode. */
  readonly street: string;
  /** Postcode found at the end of the address and removed from `value`. */
  readonly postcode?: string;
}

export type NormaliseParts = NameParts | DobParts | PostcodeParts | AddressParts;

export type NormaliseResult<P = NormaliseParts> = NormaliseOk<P> | NormaliseMissing | NormaliseError;

export const MISSING: NormaliseMissing = Object.freeze({ ok: false, missing: true, reason: 'value is missing' });

export function fail(reason: string): NormaliseError {
  return { ok: false, reason };
}

/** Builds an ok result, leaving out empty `variants` and `parts` so results compare cleanly. */
export function success<P>(
  value: string,
  extra: { variants?: readonly string[]; parts?: P; repaired?: Repair | undefined } = {},
): NormaliseOk<P> {
  const out: { ok: true; value: string; variants?: readonly string[]; parts?: P; repaired?: Repair } = {
    ok: true,
    value,
  };
  if (extra.variants !== undefined && extra.variants.length > 0) out.variants = extra.variants;
  if (extra.parts !== undefined) out.parts = extra.parts;
  if (extra.repaired !== undefined) out.repaired = extra.repaired;
  return out;
}

export function isMissing(r: NormaliseResult<unknown>): r is NormaliseMissing {
  return !r.ok && r.missing === true;
}

export function isError(r: NormaliseResult<unknown>): r is NormaliseError {
  return !r.ok && r.missing !== true;
}

/** True for empty or white-space-only input (including no-break and zero-width spaces). */
export function isBlank(raw: string): boolean {
  // Blank when no character is anything else: a test stops at the first one (no string is built).
  return !NOT_BLANK_RE.test(raw);
}

const NOT_BLANK_RE = /[^\s\u200B-\u200D\uFEFF]/u;
