/**
 * Identifier normalisers for UK person data. Pure functions: raw CSV text in, a NormaliseResult out.
 * `normalisers` maps each linkage field to its normaliser so an encoder can look one up per field.
 */
import { normaliseAddress } from './address.js';
import { normaliseDob } from './dob.js';
import { normaliseGivenName, normaliseSurname } from './names.js';
import { normaliseIdentifier, normaliseText } from './identifier.js';
import { normaliseNhsNumber } from './nhs-number.js';
import { normalisePostcode } from './postcode.js';
import type { NormaliseResult } from './result.js';
import { normaliseSex } from './sex.js';

export * from './result.js';
export { collapseWhitespace, foldDiacritics, hasControlChar, normaliseFreeText, stripInvisible } from './fold.js';
export { repairMojibake } from './mojibake.js';
export { MAX_NAME_LENGTH, normaliseGivenName, normaliseSurname } from './names.js';
export { givenNameCanonicals, NAME_VARIANT_GROUPS, surnameCanonicals } from './name-variants.js';
export { normaliseSex } from './sex.js';
export { daysInMonth, EARLIEST_DOB_YEAR, isLeapYear, normaliseDob } from './dob.js';
export type { DobOptions } from './dob.js';
export { isValidPostcode, normalisePostcode } from './postcode.js';
export { isNhsTestRange, nhsCheckDigit, normaliseNhsNumber } from './nhs-number.js';
export { ADDRESS_ABBREVIATIONS, MAX_ADDRESS_LENGTH, normaliseAddress } from './address.js';
export { MAX_IDENTIFIER_LENGTH, MAX_TEXT_LENGTH, normaliseIdentifier, normaliseText } from './identifier.js';

export type NormalisedField =
  | 'given_name'
  | 'surname'
  | 'dob'
  | 'sex'
  | 'address'
  | 'postcode'
  | 'nhs_number'
  | 'identifier'
  | 'text';

/**
 * Fields that tell apart people who share a household (a parent and child share surname, address
 * and postcode, never a given name, date of birth or personal identifier). The broker weighs these
 * separately: see the person-fields veto in docs/scoring.md.
 */
export const PERSONAL_FIELDS: readonly NormalisedField[] = ['given_name', 'dob', 'nhs_number', 'identifier'];

export type Normaliser = (raw: string) => NormaliseResult;

export const normalisers: Readonly<Record<NormalisedField, Normaliser>> = Object.freeze({
  given_name: normaliseGivenName,
  surname: normaliseSurname,
  // Wrapped so a caller passing extra arguments (e.g. Array.map's index) cannot set "today".
  dob: (raw: string) => normaliseDob(raw),
  sex: normaliseSex,
  address: normaliseAddress,
  postcode: normalisePostcode,
  nhs_number: normaliseNhsNumber,
  identifier: normaliseIdentifier,
  text: normaliseText,
});
