import { type Civil, civilFromDays, type DateFormat, formatCivil, formatDate } from './dates.js';
import {
  addressVariant,
  caseWhitespace,
  dobDigitError,
  nhsNumberError,
  postcodeError,
  swapDayMonth,
  typo,
} from './errors.js';
import { type ErrorModel, errorModel } from './error-model.js';
import type { Address, Agency, Criterion, ErrorRates, Household, Person } from './model.js';
import { foldDiacritics, givenFormatVariant, spellingVariant, surnameFormatVariant } from './name-variants.js';
import { Prng } from './prng.js';

/**
 * How each agency records people: which columns, date format, data quality, house style — and the
 * rendering of a true person into one (imperfect) extract row.
 */

export interface AgencyProfile {
  agency: Agency;
  /** Prefix of the agency-local record id. */
  prefix: string;
  header: readonly string[];
  dobFormat: DateFormat;
  /** Multiplier on the per-record error rates (1 = typical council system). */
  quality: number;
  /** Share of rows with no date of birth (some systems rarely hold one). */
  missingDob: number;
  sexStyle: 'letter' | 'word';
  /** Legacy system: upper case, no diacritics. */
  legacyUpper: boolean;
  /** Surnames typed in capitals, as police systems do. */
  upperSurname: boolean;
}

const ID = ['record_id', 'given_name', 'surname'] as const;

export const AGENCY_PROFILES: Readonly<Record<Agency, AgencyProfile>> = {
  council_tax: {
    agency: 'council_tax',
    prefix: 'CT',
    header: [...ID, 'dob', 'address', 'postcode', 'ward', 'band', 'single_person_discount'],
    dobFormat: 'dmy',
    quality: 1,
    missingDob: 0.55,
    sexStyle: 'letter',
    legacyUpper: false,
    upperSurname: false,
  },
  electoral_roll: {
    agency: 'electoral_roll',
    prefix: 'ER',
    header: [...ID, 'address', 'postcode', 'ward', 'polling_district', 'open_register'],
    dobFormat: 'dmy',
    quality: 0.8,
    missingDob: 1,
    sexStyle: 'letter',
    legacyUpper: false,
    upperSurname: false,
  },
  police: {
    agency: 'police',
    prefix: 'PO',
    header: [
      ...ID,
      'dob',
      'sex',
      'address',
      'postcode',
      'ward',
      'incident_ref',
      'incident_date',
      'offence_category',
      'role',
      'criterion',
    ],
    dobFormat: 'dmon',
    quality: 1.6,
    missingDob: 0.03,
    sexStyle: 'word',
    legacyUpper: false,
    upperSurname: true,
  },
  nhs_gp: {
    agency: 'nhs_gp',
    prefix: 'GP',
    header: [
      'record_id',
      'nhs_number',
      'given_name',
      'surname',
      'dob',
      'sex',
      'address',
      'postcode',
      'practice',
      'expectant',
      'health_need',
      'criterion',
    ],
    dobFormat: 'iso',
    quality: 0.5,
    missingDob: 0.002,
    sexStyle: 'letter',
    legacyUpper: false,
    upperSurname: false,
  },
  schools: {
    agency: 'schools',
    prefix: 'SC',
    header: [
      ...ID,
      'dob',
      'sex',
      'address',
      'postcode',
      'school',
      'year_group',
      'attendance',
      'child_in_need',
      'application_address',
      'application_postcode',
      'criterion',
    ],
    dobFormat: 'dmy',
    quality: 0.8,
    missingDob: 0.002,
    sexStyle: 'letter',
    legacyUpper: false,
    upperSurname: false,
  },
  housing_benefit: {
    agency: 'housing_benefit',
    prefix: 'HB',
    header: [
      ...ID,
      'dob',
      'sex',
      'address',
      'postcode',
      'ward',
      'claim_role',
      'household_size',
      'weekly_rent',
      'claim_start',
      'criterion',
    ],
    dobFormat: 'dmy',
    quality: 1,
    missingDob: 0.01,
    sexStyle: 'letter',
    legacyUpper: false,
    upperSurname: false,
  },
  probation: {
    agency: 'probation',
    prefix: 'PR',
    header: [...ID, 'dob', 'sex', 'address', 'postcode', 'nhs_number', 'order_type', 'start_date', 'criterion'],
    dobFormat: 'dmon',
    quality: 1.2,
    missingDob: 0.01,
    sexStyle: 'word',
    legacyUpper: false,
    upperSurname: false,
  },
  dwp: {
    agency: 'dwp',
    prefix: 'DW',
    header: [...ID, 'dob', 'sex', 'address', 'postcode', 'benefit', 'claim_start', 'criterion'],
    dobFormat: 'iso',
    quality: 0.6,
    missingDob: 0.002,
    sexStyle: 'letter',
    legacyUpper: true,
    upperSurname: false,
  },
};

/** One extract row before its record id is assigned. */
export interface PendingRecord {
  agency: Agency;
  /** Assigned when the row is written (ids follow file order); '' until then. */
  recordId: string;
  personId: string;
  householdId: string;
  /** Column values in header order; record_id (first column) is filled in on emission. */
  values: string[];
  /** Which variations were applied (truth, for tests and evaluation). */
  variations: string[];
}

interface Identity {
  given_name: string;
  surname: string;
  dob: string;
  sex: string;
  address: string;
  postcode: string;
  nhs_number: string;
  ward: string;
}

/** An identity while it is being rendered: each step may vary one part of it. */
interface Rendering {
  given: string;
  surname: string;
  dob: Civil | null;
  /** The address the agency holds (the current one, or a stale previous one). */
  address: Address;
  line: string;
  postcode: string;
  nhs: string;
}

const FORCEABLE = ['typo_given', 'typo_surname', 'address_format', 'case_whitespace', 'dob_swap', 'nickname'] as const;

/** One person an agency holds, with the agency's own columns for them. */
type Held = [Person, Record<string, string>];

const yn = (b: boolean): string => (b ? 'yes' : 'no');

function councilTaxHeld(h: Household): Held[] {
  return h.liable.map((p) => [p, { band: h.band, single_person_discount: yn(h.spdClaimed) }]);
}

function electoralRollHeld(h: Household): Held[] {
  const digit = h.address.postcode.split(' ')[1]?.charAt(0) ?? '0';
  const district = `${h.address.ward
    .replace(/[^A-Za-z]/g, '')
    .slice(0, 2)
    .toUpperCase()}${digit}`;
  return h.persons
    .filter((p) => p.onElectoralRoll)
    .map((p) => [p, { polling_district: district, open_register: yn(p.openRegister) }]);
}

function policeHeld(h: Household): Held[] {
  return h.persons.flatMap((p) =>
    p.incidents.map(
      (inc): Held => [
        p,
        {
          incident_ref: inc.ref,
          incident_date: formatDate(inc.date, 'iso'),
          offence_category: inc.category,
          role: inc.role,
          criterion: inc.category === 'domestic_abuse' ? 'domestic_abuse' : 'crime_asb',
        },
      ],
    ),
  );
}

function gpHeld(h: Household): Held[] {
  return h.persons
    .filter((p) => p.gpPractice !== '')
    .map((p) => [
      p,
      {
        practice: p.gpPractice,
        expectant: yn(p.expectant),
        health_need: yn(p.healthNeed),
        criterion: p.healthNeed ? 'health' : '',
      },
    ]);
}

function schoolsHeld(h: Household): Held[] {
  const out: Held[] = [];
  for (const p of h.persons) {
    const pupil = p.pupil;
    if (!pupil) continue;
    const criteria: Criterion[] = [];
    if (pupil.attendance < 90) criteria.push('school_attendance');
    if (pupil.childInNeed) criteria.push('children_need_help');
    const app = pupil.application;
    out.push([
      p,
      {
        school: pupil.school,
        year_group: pupil.yearGroup === 0 ? 'R' : String(pupil.yearGroup),
        attendance: pupil.attendance.toFixed(1),
        child_in_need: yn(pupil.childInNeed),
        application_address: app ? app.address.line : '',
        application_postcode: app ? app.address.postcode : '',
        criterion: criteria.join(';'),
      },
    ]);
  }
  return out;
}

function housingBenefitHeld(h: Household): Held[] {
  const hb = h.housingBenefit;
  if (!hb) return [];
  const workless = hb.claimant.workless || (hb.partner?.workless ?? false);
  const attrs = (role: string): Record<string, string> => ({
    claim_role: role,
    // A household claiming a false single person discount does not declare its other adults here either.
    household_size: String(h.spdFraud ? h.persons.filter((x) => x.role === 'child').length + 1 : h.persons.length),
    weekly_rent: hb.weeklyRent.toFixed(2),
    claim_start: formatDate(hb.start, 'iso'),
    criterion: workless ? 'worklessness' : '',
  });
  const out: Held[] = [[hb.claimant, attrs('claimant')]];
  if (hb.partner) out.push([hb.partner, attrs('partner')]);
  return out;
}

function probationHeld(h: Household): Held[] {
  const out: Held[] = [];
  for (const p of h.persons) {
    if (!p.probation) continue;
    out.push([
      p,
      { order_type: p.probation.orderType, start_date: formatDate(p.probation.start, 'iso'), criterion: 'crime_asb' },
    ]);
  }
  return out;
}

function dwpHeld(h: Household): Held[] {
  const out: Held[] = [];
  for (const p of h.persons) {
    if (!p.dwp) continue;
    out.push([p, { benefit: p.dwp.benefit, claim_start: formatDate(p.dwp.start, 'iso'), criterion: 'worklessness' }]);
  }
  return out;
}

/** Whom each agency holds in a household, before duplicates and errors (pure: no draws). */
const HELD: Readonly<Record<Agency, (h: Household) => Held[]>> = {
  council_tax: councilTaxHeld,
  electoral_roll: electoralRollHeld,
  police: policeHeld,
  nhs_gp: gpHeld,
  schools: schoolsHeld,
  housing_benefit: housingBenefitHeld,
  probation: probationHeld,
  dwp: dwpHeld,
};

export class AgencyExtractor {
  readonly profile: AgencyProfile;
  private readonly rng: Prng;

  constructor(
    readonly agency: Agency,
    seed: string,
    private readonly rates: ErrorRates,
    private readonly model: Pick<ErrorModel, 'nicknamesOf' | 'nameSwap' | 'nicknameWithoutDob'> = errorModel('own'),
  ) {
    this.profile = AGENCY_PROFILES[agency];
    // Each agency has its own stream, so choosing a subset of agencies changes no other extract.
    this.rng = Prng.fromSeed(seed, `agency:${agency}`);
  }

  private p(rate: number): boolean {
    return this.rng.chance(rate * this.profile.quality);
  }

  /** The rows this agency holds for one household (duplicates included). */
  extract(h: Household): PendingRecord[] {
    const out: PendingRecord[] = [];
    for (const [p, attrs] of HELD[this.agency](h)) {
      const first = this.row(h, p, attrs, null);
      out.push(first);
      if (this.p(this.rates.duplicate)) out.push(this.row(h, p, attrs, first));
    }
    return out;
  }

  /** One row; `duplicateOf` is the row this one duplicates, which it must not equal. */
  private row(
    h: Household,
    p: Person,
    attrs: Record<string, string>,
    duplicateOf: PendingRecord | null,
  ): PendingRecord {
    const variations: string[] = [];
    const id = this.identity(h, p, variations, duplicateOf !== null);
    if (duplicateOf) variations.unshift('duplicate');
    const values = this.profile.header.map((col) => {
      if (col === 'record_id') return '';
      if (col in id) {
        // Probation holds an NHS number for about half of its cases.
        if (col === 'nhs_number' && this.agency === 'probation' && !this.rng.chance(0.5)) return '';
        return id[col as keyof Identity];
      }
      return attrs[col] ?? '';
    });
    if (duplicateOf && values.every((v, i) => i === 0 || v === duplicateOf.values[i])) {
      // House style (capitals, folding) can undo the forced variation; a typo cannot be undone.
      const g = this.profile.header.indexOf('given_name');
      values[g] = typo(values[g] as string, this.rng);
      if (!variations.includes('typo_given')) variations.push('typo_given');
    }
    return { agency: this.agency, recordId: '', personId: p.id, householdId: h.id, values, variations };
  }

  /**
   * The person's identity as this agency holds it: each step may vary one part and tag what it did. The steps
   * run in a fixed order, as each draws from the agency's stream.
   */
  private identity(h: Household, p: Person, tags: string[], forceVariation: boolean): Identity {
    const nicknames = this.model.nicknamesOf(p.givenName);
    const names = this.names(p, nicknames, tags);
    const dob = this.dateOfBirth(p, tags);
    const address = this.heldAddress(h, tags);
    const r: Rendering = {
      ...names,
      dob,
      address,
      ...this.keyedAddress(address, tags),
      nhs: this.keyedNhsNumber(p, tags),
    };
    this.maybeCaseWhitespace(r, tags);
    // A duplicate is the same person entered again, so it always differs somehow from the first entry.
    if (forceVariation && !tags.some((t) => (FORCEABLE as readonly string[]).includes(t))) {
      this.forceVariation(r, p, nicknames, tags);
    }
    houseStyle(r, this.profile);
    return identityColumns(r, p, this.profile);
  }

  /** Given name and surname, with the name-level variations in a fixed order. */
  private names(p: Person, nicknames: readonly string[], tags: string[]): { given: string; surname: string } {
    let surname = this.heldSurname(p, tags);
    let given = this.usedGivenName(p, nicknames, tags);
    surname = this.respelled(surname, 'surname_variant', tags);
    if (this.p(this.rates.nameFormat)) {
      const s = surnameFormatVariant(surname, this.rng);
      const g = givenFormatVariant(given, this.rng);
      if (s !== surname || g !== given) {
        surname = s;
        given = g;
        tags.push('name_format');
      }
    }
    given = this.maybeTypo(given, 'typo_given', tags);
    surname = this.maybeTypo(surname, 'typo_surname', tags);
    // Drawn only by a model that swaps names, so the own model's streams stay as they were.
    if (this.model.nameSwap > 0 && this.p(this.model.nameSwap)) {
      tags.push('name_swap');
      return { given: surname, surname: given };
    }
    return { given, surname };
  }

  /** The maiden name, when this is the one agency that has not caught up with a change of surname. */
  private heldSurname(p: Person, tags: string[]): string {
    if (p.staleSurnameAgency !== this.agency || p.maidenName === '') return p.surname;
    tags.push('stale_surname');
    return p.maidenName;
  }

  /** The forename the person gave: a middle name they go by, a nickname, a respelling, or both forenames. */
  private usedGivenName(p: Person, nicknames: readonly string[], tags: string[]): string {
    let given = p.givenName;
    // Singh and Kaur are not forenames anyone goes by.
    const middleUsable = p.middleName !== '' && p.middleName !== 'Singh' && p.middleName !== 'Kaur';
    if (middleUsable && this.p(this.rates.middleAsGiven)) {
      given = p.middleName;
      tags.push('middle_as_given');
    } else if (nicknames.length > 0 && this.p(this.rates.nickname)) {
      given = this.rng.pick(nicknames);
      tags.push('nickname');
    } else given = this.respelled(given, 'given_variant', tags);
    if (p.middleName !== '' && given === p.givenName && this.p(this.rates.forenamesCombined)) {
      given = `${given} ${p.middleName}`;
      tags.push('forenames_combined');
    }
    return given;
  }

  /** Sometimes another spelling of the name (tagged only when it really differs). */
  private respelled(name: string, tag: string, tags: string[]): string {
    if (!this.p(this.rates.nameVariant)) return name;
    const v = spellingVariant(name, this.rng);
    if (v !== name) tags.push(tag);
    return v;
  }

  private maybeTypo(value: string, tag: string, tags: string[]): string {
    if (!this.p(this.rates.typo)) return value;
    tags.push(tag);
    return typo(value, this.rng);
  }

  /** The date of birth: missing (some systems rarely hold one), day and month swapped, or a digit wrong. */
  private dateOfBirth(p: Person, tags: string[]): Civil | null {
    const prof = this.profile;
    const dob = civilFromDays(p.dob);
    if (
      this.model.nicknameWithoutDob > 0 &&
      tags.includes('nickname') &&
      this.rng.chance(this.model.nicknameWithoutDob)
    ) {
      tags.push('missing_dob');
      return null;
    }
    if (this.rng.chance(prof.missingDob === 1 ? 1 : prof.missingDob + this.rates.missingDob * prof.quality)) {
      if (prof.missingDob < 1) tags.push('missing_dob');
      return null;
    }
    if (this.p(this.rates.dayMonthSwap)) {
      const swapped = swapDayMonth(dob);
      if (!swapped) return dob;
      tags.push('dob_swap');
      return swapped;
    }
    if (this.p(this.rates.dobDigit)) {
      tags.push('dob_digit');
      return dobDigitError(dob, this.rng);
    }
    return dob;
  }

  /** The previous address, when this is the one agency that has not caught up with a move. */
  private heldAddress(h: Household, tags: string[]): Address {
    if (h.staleAddressAgency !== this.agency || !h.previousAddress) return h.address;
    tags.push('stale_address');
    return h.previousAddress;
  }

  /** The address line and postcode as keyed: no fixed abode (police), another layout, typos, postcode errors. */
  private keyedAddress(address: Address, tags: string[]): { line: string; postcode: string } {
    const r = this.rates;
    if (this.agency === 'police' && this.p(0.03)) {
      tags.push('no_fixed_abode');
      return { line: 'No fixed abode', postcode: '' };
    }
    let line = address.line;
    let postcode = address.postcode;
    if (this.p(r.addressFormat)) {
      line = addressVariant(address, this.rng);
      tags.push('address_format');
    }
    if (this.p(r.addressTypo)) {
      line = typo(line, this.rng);
      tags.push('typo_address');
    }
    if (this.p(r.missingPostcode)) {
      postcode = '';
      tags.push('missing_postcode');
    } else if (this.p(r.postcode)) {
      postcode = postcodeError(postcode, this.rng);
      tags.push('postcode_error');
    }
    return { line, postcode };
  }

  private keyedNhsNumber(p: Person, tags: string[]): string {
    if (p.nhsNumber === '' || !this.p(this.rates.nhsNumber)) return p.nhsNumber;
    tags.push('nhs_error');
    return nhsNumberError(p.nhsNumber, this.rng);
  }

  /** Capitals or stray spaces in one of given name, surname or address line. */
  private maybeCaseWhitespace(r: Rendering, tags: string[]): void {
    if (!this.p(this.rates.caseWhitespace)) return;
    const which = this.rng.int(3);
    if (which === 0) r.given = caseWhitespace(r.given, this.rng);
    else if (which === 1) r.surname = caseWhitespace(r.surname, this.rng);
    else r.line = caseWhitespace(r.line, this.rng);
    tags.push('case_whitespace');
  }

  /** One forced variation, for a duplicate that drew none of its own; a typo in the given name as fallback. */
  private forceVariation(r: Rendering, p: Person, nicknames: readonly string[], tags: string[]): void {
    const kind = FORCEABLE[this.rng.int(FORCEABLE.length)] as (typeof FORCEABLE)[number];
    const swapped = r.dob ? swapDayMonth(r.dob) : null;
    if (kind === 'nickname' && nicknames.length > 0 && r.given === p.givenName) {
      r.given = this.rng.pick(nicknames);
      tags.push('nickname');
    } else if (kind === 'dob_swap' && swapped) {
      r.dob = swapped;
      tags.push('dob_swap');
    } else if (kind === 'address_format' && r.line === r.address.line) {
      r.line = addressVariant(r.address, this.rng);
      tags.push('address_format');
    } else if (kind === 'case_whitespace') {
      r.surname = caseWhitespace(r.surname, this.rng);
      tags.push('case_whitespace');
    } else if (kind === 'typo_surname') {
      r.surname = typo(r.surname, this.rng);
      tags.push('typo_surname');
    } else {
      r.given = typo(r.given, this.rng);
      tags.push('typo_given');
    }
  }
}

/** The agency's house style: a legacy system in capitals without diacritics, or surnames in capitals. */
function houseStyle(r: Rendering, prof: AgencyProfile): void {
  if (prof.legacyUpper) {
    r.given = foldDiacritics(r.given).toUpperCase();
    r.surname = foldDiacritics(r.surname).toUpperCase();
    r.line = foldDiacritics(r.line).toUpperCase();
  } else if (prof.upperSurname) r.surname = r.surname.toUpperCase();
}

/** The identity columns of a row, formatted as the agency writes them. */
function identityColumns(r: Rendering, p: Person, prof: AgencyProfile): Identity {
  return {
    given_name: r.given,
    surname: r.surname,
    dob: r.dob ? formatCivil(r.dob, prof.dobFormat) : '',
    sex: prof.sexStyle === 'word' ? (p.sex === 'F' ? 'Female' : 'Male') : p.sex,
    address: r.line,
    postcode: r.postcode,
    nhs_number: r.nhs,
    ward: r.address.ward,
  };
}
