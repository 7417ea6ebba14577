import { CULTURE_WEIGHTS, CULTURES, type Culture, ENGLISH_GIVEN, ENGLISH_SURNAMES } from './name-lists.js';
import { feminineSurname, masculineSurname } from './name-variants.js';
import type { Sex } from './model.js';
import { type Prng, WeightedList } from './prng.js';

/** Chooses culturally coherent, cohort-appropriate names. Lists are built once per process. */

const CULTURE_LIST = new WeightedList(Object.keys(CULTURE_WEIGHTS) as Culture[], Object.values(CULTURE_WEIGHTS));

const ENGLISH = {
  maleOld: WeightedList.zipf(ENGLISH_GIVEN.maleOld),
  maleMid: WeightedList.zipf(ENGLISH_GIVEN.maleMid),
  maleYoung: WeightedList.zipf(ENGLISH_GIVEN.maleYoung),
  femaleOld: WeightedList.zipf(ENGLISH_GIVEN.femaleOld),
  femaleMid: WeightedList.zipf(ENGLISH_GIVEN.femaleMid),
  femaleYoung: WeightedList.zipf(ENGLISH_GIVEN.femaleYoung),
  surnames: WeightedList.zipf(ENGLISH_SURNAMES, 0.75, 3),
};

interface CultureLists {
  male: WeightedList<string>;
  female: WeightedList<string>;
  surnames: WeightedList<string>;
}

const OTHER = new Map<Culture, CultureLists>(
  (Object.entries(CULTURES) as [Culture, (typeof CULTURES)[keyof typeof CULTURES]][]).map(([c, n]) => [
    c,
    {
      male: WeightedList.zipf(n.male, 0.8),
      female: WeightedList.zipf(n.female, 0.8),
      surnames: WeightedList.zipf(n.surnames, 0.8),
    },
  ]),
);

/** Share of people given an English name, by culture (Scottish, Welsh, Irish names mix freely). */
const ENGLISH_NAME_SHARE: Readonly<Record<Culture, number>> = {
  english: 1,
  scottish: 0.45,
  welsh: 0.45,
  irish: 0.4,
  pakistani_bangladeshi: 0,
  indian: 0,
  sikh: 0,
  polish: 0,
  african_caribbean: 0.3,
  chinese: 0.2,
  other_european: 0.1,
};

const MIDDLE_NAME_SHARE: Readonly<Record<Culture, number>> = {
  english: 0.65,
  scottish: 0.65,
  welsh: 0.6,
  irish: 0.6,
  pakistani_bangladeshi: 0.3,
  indian: 0.2,
  sikh: 1, // Singh / Kaur
  polish: 0.1,
  african_caribbean: 0.55,
  chinese: 0.1,
  other_european: 0.3,
};

export function pickCulture(rng: Prng): Culture {
  return CULTURE_LIST.pick(rng);
}

function englishGiven(rng: Prng, sex: Sex, birthYear: number): string {
  const r = rng.next();
  let cohort: 'Old' | 'Mid' | 'Young';
  if (birthYear < 1960) cohort = r < 0.9 ? 'Old' : 'Mid';
  else if (birthYear < 1990) cohort = r < 0.8 ? 'Mid' : r < 0.93 ? 'Old' : 'Young';
  else cohort = r < 0.85 ? 'Young' : 'Mid';
  const list = ENGLISH[`${sex === 'M' ? 'male' : 'female'}${cohort}`];
  return list.pick(rng);
}

export function givenName(rng: Prng, culture: Culture, sex: Sex, birthYear: number): string {
  const lists = OTHER.get(culture);
  let englishShare = ENGLISH_NAME_SHARE[culture];
  // Children of minority-culture families born here are more often given English names.
  if (birthYear >= 1995 && englishShare < 0.15) englishShare = 0.15;
  if (!lists || rng.chance(englishShare)) return englishGiven(rng, sex, birthYear);
  return (sex === 'M' ? lists.male : lists.female).pick(rng);
}

export function middleName(rng: Prng, culture: Culture, sex: Sex, birthYear: number, given: string): string {
  if (culture === 'sikh') return sex === 'M' ? 'Singh' : 'Kaur';
  if (!rng.chance(MIDDLE_NAME_SHARE[culture])) return '';
  for (let i = 0; i < 4; i++) {
    const m = givenName(rng, culture, sex, birthYear - 30); // middle names honour an older relative
    if (m !== given) return m;
  }
  return '';
}

/** A birth surname; gendered forms and naming customs are applied here. */
export function birthSurname(rng: Prng, culture: Culture, sex: Sex): string {
  if (culture === 'sikh' && rng.chance(0.3)) return sex === 'M' ? 'Singh' : 'Kaur';
  if (culture === 'pakistani_bangladeshi' && sex === 'F' && rng.chance(0.2)) return 'Begum';
  const lists = OTHER.get(culture);
  const s = lists ? lists.surnames.pick(rng) : ENGLISH.surnames.pick(rng);
  return culture === 'polish' && sex === 'F' ? feminineSurname(s) : s;
}

/** A family surname worn by someone of the given sex: Kowalski / Kowalska, Singh / Kaur. */
export function surnameForSex(surname: string, sex: Sex): string {
  if (surname === 'Singh' || surname === 'Kaur') return sex === 'M' ? 'Singh' : 'Kaur';
  return sex === 'F' ? feminineSurname(surname) : masculineSurname(surname);
}
