import type { Culture } from './name-lists.js';

/** The people, households and addresses of the synthetic population (the ground truth). */

export const AGENCIES = [
  'council_tax',
  'electoral_roll',
  'police',
  'nhs_gp',
  'schools',
  'housing_benefit',
  'probation',
  'dwp',
] as const;
export type Agency = (typeof AGENCIES)[number];

export function isAgency(name: string): name is Agency {
  return (AGENCIES as readonly string[]).includes(name);
}

/** Troubled Families / Supporting Families headline problems, as criterion codes. */
export const CRITERIA = [
  'crime_asb',
  'school_attendance',
  'children_need_help',
  'worklessness',
  'domestic_abuse',
  'health',
] as const;
export type Criterion = (typeof CRITERIA)[number];

/** Fixed enumeration of police offence categories (broadly the Home Office recorded-crime groups). */
export const OFFENCE_CATEGORIES = [
  'anti_social_behaviour',
  'violence_against_the_person',
  'theft',
  'criminal_damage_and_arson',
  'drug_offences',
  'public_order',
  'burglary',
  'vehicle_offences',
  'robbery',
  'possession_of_weapons',
  'domestic_abuse',
] as const;
export type OffenceCategory = (typeof OFFENCE_CATEGORIES)[number];

export type Sex = 'F' | 'M';

export type Role = 'single' | 'head' | 'partner' | 'child' | 'adult_child' | 'grandparent' | 'sharer';

export type HouseholdType =
  | 'single_adult'
  | 'single_pensioner'
  | 'couple'
  | 'pensioner_couple'
  | 'couple_with_children'
  | 'lone_parent'
  | 'couple_with_adult_children'
  | 'lone_parent_with_adult_children'
  | 'shared_house'
  | 'multigenerational';

export interface Address {
  /** "Flat 2, 12 Station Road, Anytown" — the postcode is held separately. */
  line: string;
  flat: number; // 0 when not a flat
  houseNumber: number;
  street: string;
  town: string;
  postcode: string;
  ward: string;
}

export interface PoliceIncident {
  ref: string;
  date: number; // days since epoch
  category: OffenceCategory;
  role: 'suspect' | 'victim';
}

export interface Pupil {
  school: string;
  yearGroup: number; // 0 = Reception .. 11
  attendance: number; // percent of sessions attended, one decimal
  childInNeed: boolean;
  application: { address: Address; falseAddress: boolean } | null;
}

export interface Person {
  index: number;
  id: string;
  householdId: string;
  role: Role;
  culture: Culture;
  givenName: string;
  middleName: string;
  surname: string;
  /** Surname before a change on marriage, '' when unchanged. */
  maidenName: string;
  sex: Sex;
  dob: number;
  nhsNumber: string; // '' when the test range is exhausted
  /** Relationship phenomena worth testing: twin_of=…, same_name_as=…, namesake_of=…. */
  notes: string[];
  /** The one source that still holds the maiden name, if any. */
  staleSurnameAgency: Agency | null;
  gpPractice: string; // '' when not registered
  onElectoralRoll: boolean;
  openRegister: boolean;
  expectant: boolean;
  healthNeed: boolean;
  workless: boolean;
  dwp: { benefit: string; start: number } | null;
  pupil: Pupil | null;
  incidents: PoliceIncident[];
  probation: { orderType: string; start: number } | null;
}

export interface Household {
  index: number;
  id: string;
  type: HouseholdType;
  address: Address;
  /** Address before a recent move, null when the household did not move. */
  previousAddress: Address | null;
  /** The one source that still holds the previous address, if any. */
  staleAddressAgency: Agency | null;
  persons: Person[];
  /** Adults named on the council tax account. */
  liable: Person[];
  band: string;
  tenure: 'owner' | 'social_rent' | 'private_rent';
  lowIncome: boolean;
  need: number;
  spdClaimed: boolean;
  /** Single-person discount claimed while more than one adult lives there. */
  spdFraud: boolean;
  housingBenefit: { claimant: Person; partner: Person | null; start: number; weeklyRent: number } | null;
}

/** Rates of population phenomena (shares, 0..1). */
export interface PopulationRates {
  /** Share of births that are twins. */
  twins: number;
  /** Share of two-parent families whose eldest son has his father's given name. */
  juniorName: number;
  /** Share of people living alone or sharing who have the same name and date of birth as another resident. */
  namesake: number;
  /** Share of households that moved recently. */
  moved: number;
  /** Share of moved households for whom one source still has the old address. */
  staleAddress: number;
  /** Share of married opposite-sex couples where the wife took the husband's surname. */
  marriedNameChange: number;
  /** Share of people with a changed surname for whom one source still has the old surname. */
  staleSurname: number;
  /** Share of women aged 18–45 in families or couples who are expecting. */
  expectant: number;
  /** Share of households with two or more adults that claim the single person discount. */
  spdFraud: number;
  /** Share of secondary school applications made from a false address. */
  falseSchoolAddress: number;
  electoralCoverage: number;
  gpCoverage: number;
  schoolCoverage: number;
}

export const DEFAULT_POPULATION_RATES: Readonly<PopulationRates> = {
  twins: 0.016,
  juniorName: 0.03,
  namesake: 0.01,
  moved: 0.08,
  staleAddress: 0.6,
  marriedNameChange: 0.8,
  staleSurname: 0.15,
  expectant: 0.05,
  spdFraud: 0.04,
  falseSchoolAddress: 0.05,
  electoralCoverage: 0.9,
  gpCoverage: 0.97,
  schoolCoverage: 0.94,
};

/** Per-record error rates (shares, 0..1) before each agency's data-quality multiplier. */
export interface ErrorRates {
  /** Typo (insert/delete/substitute/transpose) in the given name; the same rate applies to the surname. */
  typo: number;
  /** Typo in the address line. */
  addressTypo: number;
  /** Given name recorded as a nickname, where the name has one. */
  nickname: number;
  /** Given name or surname respelt (phonetic or transliteration variant). */
  nameVariant: number;
  /** Surname particles, hyphens, diacritics written differently. */
  nameFormat: number;
  /** Middle name recorded as the given name, where there is one. */
  middleAsGiven: number;
  /** All forenames in the given-name field. */
  forenamesCombined: number;
  dayMonthSwap: number;
  /** One digit of the date of birth wrong. */
  dobDigit: number;
  missingDob: number;
  postcode: number;
  missingPostcode: number;
  /** Abbreviations and layout of the address line. */
  addressFormat: number;
  caseWhitespace: number;
  /** Same person twice in one source, with variation. */
  duplicate: number;
  /** Mistyped NHS number, where a source holds it. */
  nhsNumber: number;
}

export const DEFAULT_ERROR_RATES: Readonly<ErrorRates> = {
  typo: 0.02,
  addressTypo: 0.01,
  nickname: 0.06,
  nameVariant: 0.02,
  nameFormat: 0.03,
  middleAsGiven: 0.02,
  forenamesCombined: 0.005,
  dayMonthSwap: 0.01,
  dobDigit: 0.005,
  missingDob: 0.01,
  postcode: 0.02,
  missingPostcode: 0.005,
  addressFormat: 0.1,
  caseWhitespace: 0.04,
  duplicate: 0.01,
  nhsNumber: 0.003,
};

export function personId(index: number): string {
  return `P${String(index + 1).padStart(7, '0')}`;
}

export function householdId(index: number): string {
  return `H${String(index + 1).padStart(7, '0')}`;
}
