import { ageAt, civilFromDays, daysFromCivil, dobWindow, parseIsoDate } from './dates.js';
import { AddressAllocator } from './geography.js';
import type { Culture } from './name-lists.js';
import { birthSurname, givenName, middleName, pickCulture, surnameForSex } from './name-sampler.js';
import {
  type Address,
  type Agency,
  DEFAULT_POPULATION_RATES,
  type Household,
  type HouseholdType,
  householdId,
  OFFENCE_CATEGORIES,
  type OffenceCategory,
  type Person,
  type PoliceIncident,
  type PopulationRates,
  type Pupil,
  personId,
  type Role,
  type Sex,
} from './model.js';
import { NhsNumberAllocator } from './nhs-number.js';
import { Prng, WeightedList } from './prng.js';

/**
 * The synthetic population: households at addresses, people with roles and consistent ages, and the
 * facts that decide which agency holds a record of whom (the ground truth). Pure and seeded: the same
 * (persons, seed, options) always yields the same households in the same order.
 */

export const DEFAULT_REFERENCE_DATE = '2025-03-31';

export interface PopulationOptions {
  /** The "as at" date of every extract (YYYY-MM-DD); ages and dates are relative to it. */
  referenceDate?: string;
  rates?: Partial<PopulationRates>;
}

const YEAR = 365.2425;

const HOUSEHOLD_TYPES = new WeightedList<HouseholdType>(
  [
    'single_adult',
    'single_pensioner',
    'couple',
    'pensioner_couple',
    'couple_with_children',
    'lone_parent',
    'couple_with_adult_children',
    'lone_parent_with_adult_children',
    'shared_house',
    'multigenerational',
  ],
  [16, 13, 17, 10, 18, 7, 6, 3, 5, 3],
);

// Every category but domestic abuse (drawn separately), in the model's order, with its share.
const OFFENCES = new WeightedList<OffenceCategory>(
  OFFENCE_CATEGORIES.filter((c) => c !== 'domestic_abuse'),
  [30, 20, 15, 10, 8, 8, 4, 3, 1, 1],
);

const BANDS = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'] as const;
const BAND_WEIGHTS = [24, 20, 22, 15, 9, 5, 4, 1];

const PRIMARY_SCHOOLS = [
  "St Mary's C of E Primary School",
  'Millbrook Primary School',
  'Eastfield Infant and Junior School',
  'Oakwood Academy',
  "St Joseph's Catholic Primary School",
  'Riverside Community Primary',
  'Highfield Primary School',
  'Kingsmere Park Primary',
  'Ysgol Gymraeg Y Ddraig',
  'Castle Hill Primary School',
  'Abbey Road Primary',
  'Brookside Primary Academy',
];
const SECONDARY_SCHOOLS = [
  'Anytown Academy',
  'Kingsmere High School',
  "St Bede's Catholic College",
  'Westmoor School',
  'Eastfield Community College',
  'Northgate Grammar School',
];
const GP_PRACTICES = [
  'Station Road Surgery',
  'The Health Centre',
  'Castle Medical Practice',
  'Riverside Medical Centre',
  'Abbey Practice',
  'Market Street Surgery',
  'Highfield Family Practice',
  'Brookside Health Centre',
  'Kingsmere Medical Group',
  'Oakwood Surgery',
  'Millfield Medical Centre',
  'Eastgate Practice',
];

/** A person before ids are assigned (households may be redrafted to fit the requested total). */
interface Draft {
  role: Role;
  sex: Sex;
  dob: number;
  culture: Culture;
  given: string;
  middle: string;
  surname: string;
  maiden: string;
  expectant: boolean;
  links: { kind: 'twin_of' | 'same_name_as'; other: Draft }[];
  namesakeOf: string;
  person?: Person;
}

interface Identity {
  id: string;
  given: string;
  surname: string;
  sex: Sex;
  dob: number;
  culture: Culture;
}

/** The parents of a drafted family, in household order, and what their children inherit. */
interface Parents {
  adults: Draft[];
  dad: Draft | null;
  familySurname: string;
  namingCulture: Culture;
}
/** Where a household lives and how it is doing; drawn once, before its members' facts. */
interface Circumstances {
  address: Address;
  previousAddress: Address | null;
  /** Latent level of need, 0..1 (most households little, a few a lot). */
  need: number;
  wardIndex: number;
  tenure: Household['tenure'];
  lowIncome: boolean;
  loneParent: boolean;
  worklessHousehold: boolean;
  band: string;
  childInNeedHousehold: boolean;
}

interface CouncilTax {
  liable: Person[];
  spdClaimed: boolean;
  spdFraud: boolean;
}

const NAMESAKE_POOL = 1024;

class PopulationBuilder {
  private readonly rng: Prng;
  private readonly rates: PopulationRates;
  private readonly ref: number;
  private readonly addresses: AddressAllocator;
  private readonly nhs: NhsNumberAllocator;
  private readonly nhsShare: number;
  private readonly academicYearEnd: number;
  private personsMade = 0;
  private householdsMade = 0;
  private incidentCount = 0;
  private readonly namesakes: { working: Identity[]; pensioner: Identity[] } = { working: [], pensioner: [] };

  constructor(
    private readonly total: number,
    seed: string,
    options: PopulationOptions,
  ) {
    if (!Number.isInteger(total) || total < 0) throw new Error('persons must be a non-negative integer');
    this.rng = Prng.fromSeed(seed, 'population');
    this.rates = { ...DEFAULT_POPULATION_RATES, ...options.rates };
    this.ref = parseIsoDate(options.referenceDate ?? DEFAULT_REFERENCE_DATE);
    this.addresses = new AddressAllocator(Prng.fromSeed(seed, 'addresses'), Math.ceil(total / 2.3));
    const keys = Prng.fromSeed(seed, 'nhs');
    this.nhs = new NhsNumberAllocator([keys.nextUint32(), keys.nextUint32(), keys.nextUint32(), keys.nextUint32()]);
    // The 999 test range holds ~909,000 valid numbers; above that, some people go without one.
    this.nhsShare = Math.min(1, (0.985 * 909_000) / Math.max(1, total));
    const r = civilFromDays(this.ref);
    this.academicYearEnd = daysFromCivil(r.m >= 9 ? r.y : r.y - 1, 8, 31);
  }

  get wards(): readonly string[] {
    return this.addresses.wards;
  }

  *households(): Generator<Household> {
    while (this.personsMade < this.total) {
      const remaining = this.total - this.personsMade;
      let type: HouseholdType = 'single_adult';
      let drafts: Draft[] = [];
      for (let attempt = 0; attempt < 20; attempt++) {
        type = HOUSEHOLD_TYPES.pick(this.rng);
        drafts = this.draft(type);
        if (drafts.length <= remaining) break;
      }
      // Adults come first in a draft, so trimming the very last household drops children only.
      if (drafts.length > remaining) drafts = drafts.slice(0, remaining);
      yield this.finalise(type, drafts);
    }
  }

  // ---------------------------------------------------------------- drafting people

  private dobAged(minAge: number, maxAge: number): number {
    const [lo, hi] = dobWindow(this.ref, minAge, maxAge);
    return this.rng.range(lo, hi);
  }

  private workingAge(): number {
    const r = this.rng.next();
    if (r < 0.42) return this.rng.range(18, 34);
    if (r < 0.7) return this.rng.range(35, 49);
    return this.rng.range(50, 65);
  }

  private pensionerAge(): number {
    return 66 + Math.floor(33 * this.rng.next() ** 1.7);
  }

  private person(role: Role, culture: Culture, sex: Sex, dob: number): Draft {
    const year = civilFromDays(dob).y;
    const given = givenName(this.rng, culture, sex, year);
    return {
      role,
      sex,
      dob,
      culture,
      given,
      middle: middleName(this.rng, culture, sex, year, given),
      surname: birthSurname(this.rng, culture, sex),
      maiden: '',
      expectant: false,
      links: [],
      namesakeOf: '',
    };
  }

  private sex(): Sex {
    return this.rng.chance(0.5) ? 'F' : 'M';
  }

  private partnerCulture(culture: Culture): Culture {
    return this.rng.chance(0.85) ? culture : pickCulture(this.rng);
  }

  /** Sometimes a person living alone has the same name and date of birth as another resident. */
  private maybeNamesake(d: Draft, pensioner: boolean): void {
    const pool = pensioner ? this.namesakes.pensioner : this.namesakes.working;
    if (pool.length === 0 || !this.rng.chance(this.rates.namesake)) return;
    const other = this.rng.pick(pool);
    d.given = other.given;
    d.surname = other.surname;
    d.sex = other.sex;
    d.dob = other.dob;
    d.culture = other.culture;
    if (d.middle === d.given) d.middle = '';
    d.namesakeOf = other.id;
  }

  private couple(culture: Culture, headAge: number, married: number, allowSameSex: boolean): [Draft, Draft] {
    const headSex = this.sex();
    const sameSex = allowSameSex && this.rng.chance(0.04);
    const partnerSex: Sex = sameSex ? headSex : headSex === 'F' ? 'M' : 'F';
    const head = this.person('head', culture, headSex, this.dobAged(headAge, headAge));
    const gap = Math.round(this.rng.normal(headSex === 'M' ? -2 : 2, 3.5) * YEAR);
    let pdob = head.dob - gap;
    const [lo, hi] = dobWindow(this.ref, 18, 99);
    pdob = Math.min(hi, Math.max(lo, pdob));
    const partner = this.person('partner', this.partnerCulture(culture), partnerSex, pdob);
    if (!sameSex) {
      const [wife, husband] = headSex === 'F' ? [head, partner] : [partner, head];
      this.marry(husband, wife, married);
    }
    return [head, partner];
  }

  private marry(husband: Draft, wife: Draft, marriedShare: number): boolean {
    if (!this.rng.chance(marriedShare)) return false;
    if (wife.surname === 'Begum' || wife.surname === 'Kaur') return true; // customarily kept
    const r = this.rng.next();
    const change = this.rates.marriedNameChange;
    if (r < change) {
      wife.maiden = wife.surname;
      wife.surname = surnameForSex(husband.surname, 'F');
    } else if (r < change + 0.03) {
      husband.maiden = husband.surname;
      husband.surname = surnameForSex(wife.surname, 'M');
    } else if (r < change + 0.07 && husband.surname !== wife.surname) {
      const joined = `${surnameForSex(husband.surname, 'M')}-${surnameForSex(wife.surname, 'M')}`;
      husband.maiden = husband.surname;
      wife.maiden = wife.surname;
      husband.surname = joined;
      wife.surname = joined;
    }
    return true;
  }

  /**
   * Children's dates of birth, youngest first, consistent with the mother's age (18–46 at each
   * birth) and with the household type; twins share a date of birth.
   */
  private childDobs(motherDob: number, youngestAge: number, maxAge: number): number[] {
    const want = 1 + this.rng.weightedIndex([45, 38, 12, 4, 1]);
    const dobs: number[] = [];
    let dob = this.dobAged(youngestAge, youngestAge);
    for (let born = 0; born < want; born++) {
      if (born > 0) dob -= this.rng.range(400, 1900);
      const motherAge = (dob - motherDob) / YEAR;
      if (motherAge < 18 || motherAge > 46 || ageAt(dob, this.ref) > maxAge) break;
      dobs.push(dob);
      if (this.rng.chance(this.rates.twins)) dobs.push(dob);
    }
    return dobs;
  }

  /** A family household: parents (or a lone parent), their children, and for some a grandparent. */
  private family(type: HouseholdType): Draft[] {
    const adultKids = type === 'couple_with_adult_children' || type === 'lone_parent_with_adult_children';
    const twoParents = type !== 'lone_parent' && type !== 'lone_parent_with_adult_children';
    const youngest = adultKids ? this.rng.range(18, 30) : this.rng.range(0, 17);
    // A quarter of families with dependent children also have an older, non-dependent child at home.
    const maxAge = adultKids ? 40 : this.rng.chance(0.25) ? 24 : 17;
    const motherAtYoungest = Math.min(45, Math.max(18, Math.round(this.rng.normal(31, 5.5))));
    const culture = pickCulture(this.rng);
    const mumDob = this.dobAged(youngest, youngest) - Math.round(motherAtYoungest * YEAR) - this.rng.int(365);
    const mum = this.person('head', culture, 'F', mumDob);
    const dobs = this.childDobs(mum.dob, youngest, maxAge);
    const eldest = dobs[dobs.length - 1] ?? mum.dob;
    const parents: Parents = twoParents
      ? this.twoParents(type, mum, eldest, adultKids)
      : { adults: [mum], dad: null, familySurname: this.loneParent(mum), namingCulture: culture };
    if (this.rng.chance(this.rates.expectant) && mum.sex === 'F' && ageAt(mum.dob, this.ref) <= 45)
      mum.expectant = true;
    const kids = this.children(dobs, parents.namingCulture, parents.familySurname);
    const dad = parents.dad;
    if (dad && parents.familySurname === dad.surname) this.maybeJuniorName(kids, dad);
    const out = parents.adults;
    // The grandparent is more often the mother's parent than the father's.
    if (type === 'multigenerational') out.push(this.grandparent(dad && !this.rng.chance(0.6) ? dad : mum));
    return out.concat(kids);
  }

  /** The father joins the mother (either may head the household); the children's surname and naming culture. */
  private twoParents(type: HouseholdType, mum: Draft, eldest: number, adultKids: boolean): Parents {
    let dadDob = mum.dob - Math.round(this.rng.normal(2.5, 3.5) * YEAR);
    const latest = eldest - Math.round(18 * YEAR) - this.rng.int(365);
    if (dadDob > latest) dadDob = latest;
    const dad = this.person('partner', this.partnerCulture(mum.culture), 'M', dadDob);
    const married = this.marry(dad, mum, type === 'multigenerational' ? 0.8 : adultKids ? 0.75 : 0.68);
    let adults: Draft[];
    if (this.rng.chance(0.5)) {
      dad.role = 'head';
      mum.role = 'partner';
      adults = [dad, mum];
    } else adults = [mum, dad];
    const namingCulture = this.rng.chance(0.6) ? dad.culture : mum.culture;
    const r = this.rng.next();
    let familySurname: string;
    if (married && (mum.maiden !== '' || mum.surname === dad.surname)) familySurname = dad.surname;
    else if (r < 0.7) familySurname = dad.surname;
    else if (mum.surname === 'Begum' || mum.surname === dad.surname) familySurname = dad.surname;
    else if (r < 0.85) familySurname = mum.surname;
    else familySurname = `${surnameForSex(dad.surname, 'M')}-${surnameForSex(mum.surname, 'M')}`;
    return { adults, dad, familySurname, namingCulture };
  }

  /** A lone parent (sometimes the father, redrawn in place); returns the children's surname. */
  private loneParent(parent: Draft): string {
    const culture = parent.culture;
    if (this.rng.chance(0.1)) {
      // Lone fathers: same dates, the parent is the father.
      parent.sex = 'M';
      parent.given = givenName(this.rng, culture, 'M', civilFromDays(parent.dob).y);
      parent.middle = middleName(this.rng, culture, 'M', civilFromDays(parent.dob).y, parent.given);
      parent.surname = surnameForSex(
        parent.surname === 'Begum' ? birthSurname(this.rng, culture, 'M') : parent.surname,
        'M',
      );
      return parent.surname;
    }
    const r = this.rng.next();
    if (r < 0.4 && parent.surname !== 'Begum') {
      // Divorced, kept the married name the children share.
      parent.maiden = parent.surname;
      parent.surname = surnameForSex(birthSurname(this.rng, culture, 'M'), 'F');
      return parent.surname;
    }
    if (r < 0.75 && parent.surname !== 'Begum') return parent.surname;
    return birthSurname(this.rng, culture, 'M');
  }

  /** Children, eldest first; twins share a date of birth but never a given name. */
  private children(dobs: number[], namingCulture: Culture, familySurname: string): Draft[] {
    const kids: Draft[] = [];
    for (let i = dobs.length - 1; i >= 0; i--) {
      const dob = dobs[i] as number;
      const sex = this.sex();
      const kid = this.person(ageAt(dob, this.ref) >= 18 ? 'adult_child' : 'child', namingCulture, sex, dob);
      kid.surname = surnameForSex(familySurname, sex);
      for (let tries = 0; tries < 6 && kids.some((k) => k.given === kid.given); tries++) {
        kid.given = givenName(this.rng, namingCulture, sex, civilFromDays(dob).y);
      }
      const prev = kids[kids.length - 1];
      if (prev && prev.dob === dob) {
        kid.links.push({ kind: 'twin_of', other: prev });
        prev.links.push({ kind: 'twin_of', other: kid });
      }
      kids.push(kid);
    }
    return kids;
  }

  /** Sometimes a son is named after his father (a junior), unless a sibling already has that name. */
  private maybeJuniorName(kids: Draft[], dad: Draft): void {
    if (!this.rng.chance(this.rates.juniorName)) return;
    const son = kids.find((k) => k.sex === 'M' && !kids.some((o) => o !== k && o.given === dad.given));
    if (!son) return;
    son.given = dad.given;
    if (this.rng.chance(0.5)) son.middle = dad.middle;
    son.links.push({ kind: 'same_name_as', other: dad });
  }

  /** A parent of one of the parents, 20–40 years older, named after that side of the family. */
  private grandparent(parent: Draft): Draft {
    const sex = this.sex();
    const gapYears = this.rng.range(20, 40);
    const [lo] = dobWindow(this.ref, 0, 99);
    const gdob = Math.max(lo, parent.dob - Math.round(gapYears * YEAR) - this.rng.int(365));
    const gp = this.person('grandparent', parent.culture, sex, gdob);
    gp.surname = surnameForSex(parent.maiden !== '' ? parent.maiden : parent.surname, sex);
    if (sex === 'F' && this.rng.chance(0.7)) gp.maiden = birthSurname(this.rng, parent.culture, 'F');
    return gp;
  }

  private draft(type: HouseholdType): Draft[] {
    switch (type) {
      case 'single_adult': {
        const age = this.workingAge();
        const d = this.person('single', pickCulture(this.rng), this.sex(), this.dobAged(age, age));
        if (d.sex === 'F' && age <= 45 && this.rng.chance(this.rates.expectant / 2)) d.expectant = true;
        this.maybeNamesake(d, false);
        return [d];
      }
      case 'single_pensioner': {
        const age = this.pensionerAge();
        const d = this.person(
          'single',
          pickCulture(this.rng),
          this.rng.chance(0.62) ? 'F' : 'M',
          this.dobAged(age, age),
        );
        if (d.sex === 'F' && this.rng.chance(0.75)) {
          d.maiden = birthSurname(this.rng, d.culture, 'F'); // widowed or married long ago
          if (d.maiden === d.surname) d.maiden = '';
        }
        this.maybeNamesake(d, true);
        return [d];
      }
      case 'couple': {
        const couple = this.couple(pickCulture(this.rng), this.rng.range(20, 65), 0.55, true);
        for (const p of couple) {
          if (p.sex === 'F' && ageAt(p.dob, this.ref) <= 45 && this.rng.chance(this.rates.expectant * 1.5))
            p.expectant = true;
        }
        return couple;
      }
      case 'pensioner_couple':
        return this.couple(pickCulture(this.rng), this.pensionerAge(), 0.85, true).map((p) => {
          if (ageAt(p.dob, this.ref) < 60) p.dob = this.dobAged(60, 70);
          return p;
        });
      case 'shared_house': {
        const n = this.rng.range(2, 5);
        const out: Draft[] = [];
        for (let i = 0; i < n; i++) {
          const d = this.person('sharer', pickCulture(this.rng), this.sex(), this.dobAged(19, 40));
          this.maybeNamesake(d, false);
          out.push(d);
        }
        return out;
      }
      default:
        return this.family(type);
    }
  }

  // ---------------------------------------------------------------- facts and finalising

  private yearGroup(dob: number): number {
    return ageAt(dob, this.academicYearEnd) - 4;
  }

  private incident(category: OffenceCategory, role: 'suspect' | 'victim', ref?: string): PoliceIncident {
    return {
      ref: ref ?? `INC${String(++this.incidentCount).padStart(7, '0')}`,
      date: this.ref - this.rng.range(1, 730),
      category,
      role,
    };
  }

  /** A drafted household becomes a real one: ids, circumstances, each member's facts, then the agencies' view. */
  private finalise(type: HouseholdType, drafts: Draft[]): Household {
    const hIndex = this.householdsMade++;
    const hId = householdId(hIndex);
    const c = this.circumstances(type);
    const persons = this.admit(drafts, hId);
    for (const p of persons) this.personFacts(p, c);
    this.maybeDomesticAbuse(persons, c.need);
    const tax = this.councilTax(type, persons, c.need);
    const housingBenefit = this.housingBenefit(c, tax.liable);
    const household: Household = {
      index: hIndex,
      id: hId,
      type,
      address: c.address,
      previousAddress: c.previousAddress,
      staleAddressAgency: null,
      persons,
      liable: tax.liable,
      band: c.band,
      tenure: c.tenure,
      lowIncome: c.lowIncome,
      need: Math.round(c.need * 1000) / 1000,
      spdClaimed: tax.spdClaimed,
      spdFraud: tax.spdFraud,
      housingBenefit,
    };
    this.pickStaleSources(household);
    this.rememberNamesakes(drafts);
    return household;
  }

  /** Where the household lives and how it is doing, drawn before any member's facts. */
  private circumstances(type: HouseholdType): Circumstances {
    const rng = this.rng;
    const address = this.addresses.next();
    let previousAddress: Address | null = null;
    if (rng.chance(this.rates.moved)) {
      previousAddress =
        (rng.chance(0.65) ? this.addresses.pastLocalAddress(rng) : null) ?? AddressAllocator.elsewhere(rng);
    }
    // A latent level of need: most households have little, a few have a lot, and problems cluster.
    const need = rng.next() ** 3;
    const wardIndex = Math.max(0, this.addresses.wards.indexOf(address.ward));
    const pensionerHousehold = type === 'single_pensioner' || type === 'pensioner_couple';
    const tenureDraw = rng.next();
    const ownerShare = 0.65 - 0.55 * need + (pensionerHousehold ? 0.1 : 0);
    const tenure = tenureDraw < ownerShare ? 'owner' : rng.chance(0.5 + 0.3 * need) ? 'social_rent' : 'private_rent';
    const lowIncome = rng.chance(0.1 + 0.6 * need + (pensionerHousehold ? 0.05 : 0));
    const loneParent = type === 'lone_parent' || type === 'lone_parent_with_adult_children';
    const worklessHousehold = !pensionerHousehold && rng.chance(0.04 + 0.5 * need + (loneParent ? 0.15 : 0));
    const bandShift = Math.round(need * 3);
    const band = BANDS[Math.min(7, Math.max(0, rng.weightedIndex(BAND_WEIGHTS) - bandShift))] as string;
    const childInNeedHousehold = rng.chance(0.015 + 0.25 * need);
    return {
      address,
      previousAddress,
      need,
      wardIndex,
      tenure,
      lowIncome,
      loneParent,
      worklessHousehold,
      band,
      childInNeedHousehold,
    };
  }

  /** Drafts become persons with ids, in order; twin and same-name links are noted once all ids exist. */
  private admit(drafts: Draft[], hId: string): Person[] {
    const persons = drafts.map((d) => {
      const index = this.personsMade++;
      d.person = blankPerson(d, index, hId);
      return d.person;
    });
    for (const d of drafts) {
      for (const link of d.links) {
        if (link.other.person && d.person) d.person.notes.push(`${link.kind}=${link.other.person.id}`);
      }
    }
    return persons;
  }

  /** One member's facts, in a fixed order of draws: services, work, school, then offending. */
  private personFacts(p: Person, c: Circumstances): void {
    const age = ageAt(p.dob, this.ref);
    this.registrations(p, age, c);
    if (age >= 18 && age <= 65) this.employment(p, c);
    this.schooling(p, c);
    this.offending(p, age, c.need);
  }

  /** NHS number, GP registration, the electoral roll and a health need. */
  private registrations(p: Person, age: number, c: Circumstances): void {
    const rng = this.rng;
    if (rng.chance(this.nhsShare)) p.nhsNumber = this.nhs.next() ?? '';
    if (rng.chance(this.rates.gpCoverage - (p.sex === 'M' && age >= 18 && age < 35 ? 0.04 : 0) + 0.012)) {
      p.gpPractice = GP_PRACTICES[(c.wardIndex + (rng.chance(0.3) ? 1 : 0)) % GP_PRACTICES.length] as string;
    }
    if (age >= 18) {
      p.onElectoralRoll = rng.chance(this.rates.electoralCoverage);
      p.openRegister = p.onElectoralRoll && rng.chance(0.45);
    }
    p.healthNeed = rng.chance(age >= 18 ? 0.06 + 0.3 * c.need : 0.02 + 0.1 * c.need);
  }

  /** Worklessness for a working-age adult, and most workless adults claim a benefit. */
  private employment(p: Person, c: Circumstances): void {
    const rng = this.rng;
    p.workless =
      p.role === 'adult_child' || p.role === 'sharer' ? rng.chance(0.06 + 0.3 * c.need) : c.worklessHousehold;
    if (!p.workless || !rng.chance(0.9)) return;
    const benefit =
      p.healthNeed && rng.chance(0.4)
        ? 'esa'
        : c.loneParent && p.role === 'head' && rng.chance(0.25)
          ? 'income_support'
          : rng.chance(0.8)
            ? 'universal_credit'
            : 'jsa';
    p.dwp = { benefit, start: this.ref - rng.range(20, 1800) };
  }

  /** School-age children on a school roll, with attendance and (in year 6) a secondary school application. */
  private schooling(p: Person, c: Circumstances): void {
    const rng = this.rng;
    const yg = this.yearGroup(p.dob);
    if (yg < 0 || yg > 11 || !rng.chance(this.rates.schoolCoverage)) return;
    const school =
      yg <= 6
        ? (PRIMARY_SCHOOLS[(c.wardIndex * 2 + rng.int(2)) % PRIMARY_SCHOOLS.length] as string)
        : (SECONDARY_SCHOOLS[(rng.chance(0.8) ? c.wardIndex : rng.int(6)) % SECONDARY_SCHOOLS.length] as string);
    const attendance = Math.max(30, Math.min(100, 100 - Math.abs(rng.normal(0, 3.5)) - c.need * rng.next() * 30));
    let application: Pupil['application'] = null;
    if (yg === 6 && rng.chance(0.95)) {
      const fake = rng.chance(this.rates.falseSchoolAddress) ? this.addresses.pastLocalAddress(rng) : null;
      application =
        fake && fake.line !== c.address.line
          ? { address: fake, falseAddress: true }
          : { address: c.address, falseAddress: false };
    }
    p.pupil = {
      school,
      yearGroup: yg,
      attendance: Math.round(attendance * 10) / 10,
      childInNeed: c.childInNeedHousehold && rng.chance(0.8),
      application,
    };
  }

  /** Police incidents as a suspect (by sex, age and need), and probation orders that mostly follow them. */
  private offending(p: Person, age: number, need: number): void {
    const rng = this.rng;
    if (age >= 10) {
      const sexFactor = p.sex === 'M' ? 1.6 : 0.45;
      const ageFactor = age < 18 ? 1.3 : age <= 30 ? 1.8 : age <= 50 ? 1 : age <= 65 ? 0.4 : 0.1;
      if (rng.chance(0.011 * sexFactor * ageFactor * (1 + 6 * need))) {
        const n = 1 + (rng.chance(0.3) ? 1 + (rng.chance(0.3) ? 1 : 0) : 0);
        for (let i = 0; i < n; i++) p.incidents.push(this.incident(OFFENCES.pick(rng), 'suspect'));
      }
    }
    if (age >= 18 && (p.incidents.length > 0 ? rng.chance(0.2) : rng.chance(0.0008))) {
      p.probation = {
        orderType: rng.pick(['community_order', 'community_order', 'suspended_sentence_order', 'licence']),
        start: this.ref - rng.range(10, 900),
      };
    }
  }

  /** Domestic abuse: an incident between the partners, recorded against both. */
  private maybeDomesticAbuse(persons: Person[], need: number): void {
    const head = persons.find((p) => p.role === 'head');
    const partner = persons.find((p) => p.role === 'partner');
    if (!head || !partner || !this.rng.chance(0.008 + 0.1 * need)) return;
    const [suspect, victim] =
      head.sex !== partner.sex ? (head.sex === 'M' ? [head, partner] : [partner, head]) : [head, partner];
    const inc = this.incident('domestic_abuse', 'suspect');
    suspect.incidents.push(inc);
    victim.incidents.push({ ...inc, role: 'victim' });
  }

  /** Council tax: liable adults, and the single person discount (legitimate or not). */
  private councilTax(type: HouseholdType, persons: Person[], need: number): CouncilTax {
    const rng = this.rng;
    const adults = persons.filter((p) => ageAt(p.dob, this.ref) >= 18);
    let liable: Person[];
    if (type === 'shared_house') liable = adults.slice();
    else liable = persons.filter((p) => p.role === 'single' || p.role === 'head' || p.role === 'partner');
    if (liable.length === 0) liable = adults.slice(0, 1);
    if (liable.length === 0 && persons[0]) liable = [persons[0]];
    let spdClaimed = false;
    let spdFraud = false;
    if (adults.length <= 1) spdClaimed = rng.chance(0.97);
    else if (rng.chance(this.rates.spdFraud + 0.1 * need)) {
      spdClaimed = true;
      spdFraud = true;
      liable = liable.slice(0, 1); // the other adults are not declared
    }
    return { liable, spdClaimed, spdFraud };
  }

  /** Housing benefit: low-income renters (and workless renters). */
  private housingBenefit(c: Circumstances, liable: Person[]): Household['housingBenefit'] {
    const rng = this.rng;
    const claimant = liable[0];
    const renting = c.tenure !== 'owner';
    if (!claimant || !renting || !(c.lowIncome || c.worklessHousehold) || !rng.chance(0.8)) return null;
    const partner = liable[1] && liable[1].role === 'partner' ? liable[1] : null;
    return {
      claimant,
      partner,
      start: this.ref - rng.range(20, 2500),
      weeklyRent: Math.round((c.tenure === 'social_rent' ? rng.range(85, 140) : rng.range(120, 260)) * 100) / 100,
    };
  }

  /** Which one source lags behind a change of surname or address (chosen among sources that hold them). */
  private pickStaleSources(household: Household): void {
    const rng = this.rng;
    for (const p of household.persons) {
      if (p.maidenName !== '' && rng.chance(this.rates.staleSurname)) {
        const held = agenciesHolding(household, p).filter((a) => a !== 'schools');
        if (held.length > 0) p.staleSurnameAgency = rng.pick(held);
      }
    }
    if (household.previousAddress && rng.chance(this.rates.staleAddress)) {
      const held = new Set<Agency>();
      for (const p of household.persons) {
        for (const a of agenciesHolding(household, p)) if (a !== 'council_tax') held.add(a);
      }
      const list = [...held].sort();
      if (list.length > 0) household.staleAddressAgency = rng.pick(list);
    }
  }

  /** People living alone or sharing join a fixed-size reservoir that later namesakes are drawn from. */
  private rememberNamesakes(drafts: Draft[]): void {
    for (const d of drafts) {
      if (d.role !== 'single' && d.role !== 'sharer') continue;
      const p = d.person as Person;
      if (p.notes.length > 0) continue;
      const pool = ageAt(p.dob, this.ref) >= 66 ? this.namesakes.pensioner : this.namesakes.working;
      const id: Identity = {
        id: p.id,
        given: p.givenName,
        surname: p.surname,
        sex: p.sex,
        dob: p.dob,
        culture: p.culture,
      };
      if (pool.length < NAMESAKE_POOL) pool.push(id);
      else pool[this.rng.int(NAMESAKE_POOL)] = id;
    }
  }
}

/** A person as drafted, before any facts are drawn. */
function blankPerson(d: Draft, index: number, hId: string): Person {
  return {
    index,
    id: personId(index),
    householdId: hId,
    role: d.role,
    culture: d.culture,
    givenName: d.given,
    middleName: d.middle,
    surname: d.surname,
    maidenName: d.maiden === d.surname ? '' : d.maiden,
    sex: d.sex,
    dob: d.dob,
    nhsNumber: '',
    notes: d.namesakeOf ? [`namesake_of=${d.namesakeOf}`] : [],
    staleSurnameAgency: null,
    gpPractice: '',
    onElectoralRoll: false,
    openRegister: false,
    expectant: d.expectant,
    healthNeed: false,
    workless: false,
    dwp: null,
    pupil: null,
    incidents: [],
    probation: null,
  };
}

/** The agencies whose extracts will include this person (before duplicates and errors). */
export function agenciesHolding(h: Household, p: Person): Agency[] {
  const out: Agency[] = [];
  if (h.liable.includes(p)) out.push('council_tax');
  if (p.onElectoralRoll) out.push('electoral_roll');
  if (p.incidents.length > 0) out.push('police');
  if (p.gpPractice !== '') out.push('nhs_gp');
  if (p.pupil) out.push('schools');
  if (h.housingBenefit && (h.housingBenefit.claimant === p || h.housingBenefit.partner === p))
    out.push('housing_benefit');
  if (p.probation) out.push('probation');
  if (p.dwp) out.push('dwp');
  return out;
}

/**
 * The synthetic population, household by household. Pure and deterministic: no I/O, no clock, no
 * Math.random. Memory stays flat (only small fixed-size reservoirs and the set of street names).
 */
export function* generatePopulation(
  persons: number,
  seed: string,
  options: PopulationOptions = {},
): Generator<Household> {
  yield* new PopulationBuilder(persons, seed, options).households();
}

export function referenceDays(options: PopulationOptions): number {
  return parseIsoDate(options.referenceDate ?? DEFAULT_REFERENCE_DATE);
}
