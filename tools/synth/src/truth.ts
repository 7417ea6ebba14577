import { formatDate } from './dates.js';
import type { Criterion, Household, Person } from './model.js';

/** Ground-truth rows written beside the extracts: the clean identifiers and who is who. */

export const PERSONS_HEADER = [
  'person_id',
  'household_id',
  'role',
  'given_name',
  'middle_name',
  'surname',
  'maiden_name',
  'sex',
  'dob',
  'address',
  'postcode',
  'ward',
  'nhs_number',
  'stale_surname_agency',
  'notes',
] as const;

export const HOUSEHOLDS_HEADER = [
  'household_id',
  'type',
  'size',
  'address',
  'postcode',
  'ward',
  'previous_address',
  'previous_postcode',
  'stale_address_agency',
  'tenure',
  'band',
  'low_income',
  'spd_claimed',
  'spd_fraud',
  'false_school_application',
  'dependent_children',
  'expectant_parent',
  'criteria',
] as const;

export const RECORDS_HEADER = ['agency', 'record_id', 'person_id', 'household_id', 'variations'] as const;

export function personTruthRow(h: Household, p: Person): string[] {
  return [
    p.id,
    h.id,
    p.role,
    p.givenName,
    p.middleName,
    p.surname,
    p.maidenName,
    p.sex,
    formatDate(p.dob, 'iso'),
    h.address.line,
    h.address.postcode,
    h.address.ward,
    p.nhsNumber,
    p.staleSurnameAgency ?? '',
    p.notes.join(';'),
  ];
}

/**
 * The Troubled Families problems a household truly has, as the sources record them (a perfect
 * linkage would find exactly these).
 */
export function householdCriteria(h: Household): Criterion[] {
  const found = new Set<Criterion>();
  for (const p of h.persons) {
    for (const inc of p.incidents) found.add(inc.category === 'domestic_abuse' ? 'domestic_abuse' : 'crime_asb');
    if (p.probation) found.add('crime_asb');
    if (p.pupil && p.pupil.attendance < 90) found.add('school_attendance');
    if (p.pupil?.childInNeed) found.add('children_need_help');
    if (p.dwp) found.add('worklessness');
    if (p.healthNeed && p.gpPractice !== '') found.add('health');
  }
  if (h.housingBenefit && (h.housingBenefit.claimant.workless || h.housingBenefit.partner?.workless)) {
    found.add('worklessness');
  }
  const order: Criterion[] = [
    'crime_asb',
    'school_attendance',
    'children_need_help',
    'worklessness',
    'domestic_abuse',
    'health',
  ];
  return order.filter((c) => found.has(c));
}

export function householdTruthRow(h: Household): string[] {
  const yn = (b: boolean): string => (b ? 'yes' : 'no');
  return [
    h.id,
    h.type,
    String(h.persons.length),
    h.address.line,
    h.address.postcode,
    h.address.ward,
    h.previousAddress?.line ?? '',
    h.previousAddress?.postcode ?? '',
    h.staleAddressAgency ?? '',
    h.tenure,
    h.band,
    yn(h.lowIncome),
    yn(h.spdClaimed),
    yn(h.spdFraud),
    yn(h.persons.some((p) => p.pupil?.application?.falseAddress === true)),
    String(h.persons.filter((p) => p.role === 'child').length),
    yn(h.persons.some((p) => p.expectant)),
    householdCriteria(h).join(';'),
  ];
}
