import { createHash } from 'node:crypto';
import { ENGLISH_GIVEN, ENGLISH_SURNAMES } from './name-lists.js';
import {
  DEFAULT_ERROR_RATES,
  DEFAULT_POPULATION_RATES,
  type ErrorRates,
  type Household,
  type Person,
  type PopulationRates,
} from './model.js';
import { nicknamesOf } from './name-variants.js';

/**
 * Error models: how the extracts differ from the truth. `own` is the model the engine was developed
 * against. `independent` is a second one, so that a quality figure is not only a measure of how well
 * the engine fits its own generator: every error rate doubled; English names drawn from lists written
 * apart from the generator's and the encoder's (and nicknames from a table written without looking at
 * the encoder's nickname groups); given name and surname swapped; a nickname often comes with no date
 * of birth; three times the twins, namesakes and fathers and sons of one name; sharers of one surname.
 */
export type ErrorModelName = 'own' | 'independent';
export const ERROR_MODELS: readonly ErrorModelName[] = ['own', 'independent'];

export interface ErrorModel {
  name: ErrorModelName;
  errorRates: ErrorRates;
  populationRates: Partial<PopulationRates>;
  /** Nicknames a person with this given name may be recorded under. */
  nicknamesOf(given: string): readonly string[];
  /** Per record: given name and surname recorded the wrong way round (before the agency's quality factor). */
  nameSwap: number;
  /** Chance that a record holding a nickname has no date of birth either. */
  nicknameWithoutDob: number;
  /** Renames a household in place before its records are drawn (independent name lists); null: no change. */
  rename: ((h: Household) => void) | null;
}

export function errorModel(name: ErrorModelName = 'own'): ErrorModel {
  if (name === 'own')
    return {
      name,
      errorRates: { ...DEFAULT_ERROR_RATES },
      populationRates: {},
      nicknamesOf,
      nameSwap: 0,
      nicknameWithoutDob: 0,
      rename: null,
    };
  if (name !== 'independent')
    throw new Error(`unknown error model "${String(name)}" (known: ${ERROR_MODELS.join(', ')})`);
  const doubled = Object.fromEntries(
    Object.entries(DEFAULT_ERROR_RATES).map(([k, v]) => [k, Math.min(1, 2 * v)]),
  ) as unknown as ErrorRates;
  const p = DEFAULT_POPULATION_RATES;
  return {
    name,
    errorRates: doubled,
    populationRates: { twins: 3 * p.twins, juniorName: 3 * p.juniorName, namesake: 3 * p.namesake },
    nicknamesOf: (given) => INDEPENDENT_NICKNAMES[given] ?? [],
    nameSwap: 0.01,
    nicknameWithoutDob: 0.3,
    rename: renameHousehold,
  };
}

const ENGLISH_MALE = new Set<string>([...ENGLISH_GIVEN.maleOld, ...ENGLISH_GIVEN.maleMid, ...ENGLISH_GIVEN.maleYoung]);
const ENGLISH_FEMALE = new Set<string>([
  ...ENGLISH_GIVEN.femaleOld,
  ...ENGLISH_GIVEN.femaleMid,
  ...ENGLISH_GIVEN.femaleYoung,
]);
const ENGLISH_SURNAME_SET = new Set<string>(ENGLISH_SURNAMES);

/** A fixed map from one list into another: the same name always maps to the same name, in every extract. */
function mapInto(name: string, list: readonly string[], salt: string): string {
  const h = createHash('sha256').update(salt).update('\0').update(name).digest();
  return list[h.readUInt32LE(0) % list.length] as string;
}

function renamedGiven(name: string): string {
  if (ENGLISH_MALE.has(name)) return mapInto(name, INDEPENDENT_MALE, 'male');
  if (ENGLISH_FEMALE.has(name)) return mapInto(name, INDEPENDENT_FEMALE, 'female');
  return name;
}

function renamedSurname(name: string): string {
  return ENGLISH_SURNAME_SET.has(name) ? mapInto(name, INDEPENDENT_SURNAMES, 'surname') : name;
}

function renamePerson(p: Person): void {
  p.givenName = renamedGiven(p.givenName);
  const middle = renamedGiven(p.middleName);
  p.middleName = middle === p.givenName ? '' : middle;
  p.surname = renamedSurname(p.surname);
  if (p.maidenName !== '') p.maidenName = renamedSurname(p.maidenName);
}

/**
 * English names through the independent lists (the same name to the same name, so families, twins,
 * namesakes and juniors keep their relations); in a shared house, the sharers share one surname
 * (two unrelated people of one surname at one address).
 */
function renameHousehold(h: Household): void {
  for (const p of h.persons) renamePerson(p);
  if (h.type === 'shared_house' && h.persons.length >= 2) {
    const first = h.persons[0] as Person;
    for (const p of h.persons.slice(1)) if (p.maidenName === '') p.surname = first.surname;
  }
}

// Lists written for this model from general knowledge of names common in England and Wales across
// birth cohorts, deliberately not copied from name-lists.ts (their overlap is natural: common names).
const INDEPENDENT_MALE: readonly string[] = [
  'Alan',
  'Alfie',
  'Alistair',
  'Ashley',
  'Barry',
  'Bernard',
  'Bradley',
  'Brian',
  'Callum',
  'Cameron',
  'Carl',
  'Cecil',
  'Clifford',
  'Colin',
  'Craig',
  'Curtis',
  'Dale',
  'Darren',
  'Dean',
  'Declan',
  'Derek',
  'Dominic',
  'Douglas',
  'Duncan',
  'Elliot',
  'Ewan',
  'Fergus',
  'Finley',
  'Francis',
  'Gareth',
  'Gary',
  'Gavin',
  'Geoffrey',
  'Gordon',
  'Graham',
  'Harvey',
  'Howard',
  'Hugh',
  'Ian',
  'Jake',
  'Jason',
  'Jeremy',
  'Jordan',
  'Keith',
  'Kieran',
  'Kyle',
  'Lee',
  'Leslie',
  'Lewis',
  'Malcolm',
  'Marcus',
  'Martin',
  'Maurice',
  'Neil',
  'Nigel',
  'Norman',
  'Owen',
  'Phillip',
  'Ralph',
  'Reece',
  'Rhys',
  'Roger',
  'Ross',
  'Roy',
  'Russell',
  'Ryan',
  'Scott',
  'Shane',
  'Simon',
  'Stanley',
  'Stuart',
  'Terence',
  'Toby',
  'Trevor',
  'Tyler',
  'Vincent',
  'Wayne',
  'Zachary',
  'Angus',
  'Dennis',
];

const INDEPENDENT_FEMALE: readonly string[] = [
  'Abigail',
  'Alison',
  'Amanda',
  'Amber',
  'Andrea',
  'Angela',
  'Annette',
  'Beverley',
  'Bridget',
  'Caroline',
  'Carol',
  'Chantelle',
  'Charlene',
  'Charlotte',
  'Cheryl',
  'Claire',
  'Danielle',
  'Dawn',
  'Denise',
  'Donna',
  'Eleanor',
  'Eileen',
  'Emily',
  'Fiona',
  'Gail',
  'Gemma',
  'Georgia',
  'Gillian',
  'Gwendolyn',
  'Hayley',
  'Heather',
  'Helen',
  'Imogen',
  'Isabel',
  'Jacqueline',
  'Janet',
  'Jasmine',
  'Joanne',
  'Julie',
  'Karen',
  'Kerry',
  'Kirsty',
  'Lauren',
  'Leanne',
  'Lesley',
  'Linda',
  'Lorraine',
  'Louise',
  'Lynn',
  'Maureen',
  'Megan',
  'Michelle',
  'Natasha',
  'Nicola',
  'Olivia',
  'Paula',
  'Philippa',
  'Rachel',
  'Rosemary',
  'Samantha',
  'Sandra',
  'Sharon',
  'Sheila',
  'Shirley',
  'Sophie',
  'Stephanie',
  'Tanya',
  'Theresa',
  'Tracey',
  'Valerie',
  'Vanessa',
  'Wendy',
  'Yvonne',
  'Zoe',
  'Amelia',
  'Camilla',
  'Georgina',
  'Harriet',
  'Jodie',
  'Kayleigh',
];

const INDEPENDENT_SURNAMES: readonly string[] = [
  'Ackroyd',
  'Ainsworth',
  'Appleby',
  'Armitage',
  'Ashworth',
  'Atherton',
  'Barraclough',
  'Beckett',
  'Birtwistle',
  'Blackburn',
  'Bramley',
  'Brierley',
  'Broadbent',
  'Brocklehurst',
  'Butterworth',
  'Cartwright',
  'Clegg',
  'Crabtree',
  'Crowther',
  'Dawson',
  'Dewhurst',
  'Eastwood',
  'Entwistle',
  'Fairclough',
  'Firth',
  'Fletcher',
  'Gledhill',
  'Greenwood',
  'Hargreaves',
  'Haworth',
  'Heywood',
  'Hirst',
  'Holroyd',
  'Horsfall',
  'Howarth',
  'Ibbotson',
  'Illingworth',
  'Jagger',
  'Kershaw',
  'Lockwood',
  'Lumb',
  'Marsden',
  'Mellor',
  'Micklethwaite',
  'Moorhouse',
  'Naylor',
  'Nuttall',
  'Oldroyd',
  'Ormerod',
  'Pickles',
  'Priestley',
  'Ramsden',
  'Rushworth',
  'Sagar',
  'Shackleton',
  'Sharples',
  'Sowerby',
  'Stansfield',
  'Sutcliffe',
  'Swales',
  'Thackeray',
  'Tattersall',
  'Uttley',
  'Wadsworth',
  'Whiteley',
  'Whittaker',
  'Wilde',
  'Womersley',
  'Wrigley',
  'Yates',
  'Bassett',
  'Boswell',
  'Chadwick',
  'Colclough',
  'Cotterill',
  'Dakin',
  'Dunning',
  'Eccles',
  'Fenwick',
  'Gaskell',
  'Goodall',
  'Hadfield',
  'Hollins',
  'Jepson',
  'Kenyon',
  'Lomax',
  'Mottram',
  'Openshaw',
  'Pilling',
  'Rigby',
  'Scholes',
  'Slater',
  'Tomlinson',
  'Unsworth',
  'Wardle',
  'Whitworth',
  'Ashton',
  'Bardsley',
  'Cockshott',
  'Duckworth',
  'Fielding',
  'Grimshaw',
  'Holden',
  'Lord',
  'Marsh',
  'Pollard',
  'Riley',
  'Seddon',
  'Tootill',
  'Walmsley',
  'Heap',
  'Smith',
  'Jones',
  'Taylor',
  'Brown',
  'Wilson',
  'Evans',
  'Thomas',
  'Roberts',
  'Walker',
  'Wright',
];

/** Diminutives heard in England and Wales, for the names above. */
const INDEPENDENT_NICKNAMES: Readonly<Record<string, readonly string[]>> = {
  Alan: ['Al'],
  Alfie: ['Alf'],
  Alistair: ['Ali'],
  Barry: ['Baz'],
  Bernard: ['Bernie'],
  Bradley: ['Brad'],
  Callum: ['Cal'],
  Cameron: ['Cam'],
  Clifford: ['Cliff'],
  Craig: ['Craigy'],
  Darren: ['Daz'],
  Derek: ['Del'],
  Dominic: ['Dom'],
  Douglas: ['Dougie', 'Doug'],
  Elliot: ['Eli'],
  Fergus: ['Fergie'],
  Finley: ['Finn'],
  Francis: ['Frank', 'Frankie'],
  Gareth: ['Gaz'],
  Gary: ['Gaz'],
  Geoffrey: ['Geoff'],
  Gordon: ['Gordy'],
  Jeremy: ['Jez'],
  Leslie: ['Les'],
  Lewis: ['Lew'],
  Malcolm: ['Mal'],
  Marcus: ['Marc'],
  Martin: ['Marty'],
  Maurice: ['Mo'],
  Nigel: ['Nige'],
  Norman: ['Norm'],
  Phillip: ['Phil', 'Pip'],
  Stanley: ['Stan'],
  Stuart: ['Stu'],
  Terence: ['Terry', 'Tel'],
  Trevor: ['Trev'],
  Vincent: ['Vince', 'Vinny'],
  Zachary: ['Zak', 'Zac'],
  Angus: ['Gus'],
  Dennis: ['Den'],
  Abigail: ['Abi', 'Abbie'],
  Alison: ['Ali'],
  Amanda: ['Mandy'],
  Andrea: ['Andi'],
  Angela: ['Angie', 'Ange'],
  Beverley: ['Bev'],
  Bridget: ['Biddy', 'Bridie'],
  Caroline: ['Caz', 'Carrie'],
  Charlotte: ['Lottie', 'Charlie'],
  Cheryl: ['Chez'],
  Danielle: ['Dani'],
  Eleanor: ['Ellie', 'Nell'],
  Emily: ['Em', 'Emmy'],
  Fiona: ['Fi'],
  Georgia: ['George'],
  Gillian: ['Gill', 'Jill'],
  Gwendolyn: ['Gwen', 'Wendy'],
  Isabel: ['Izzy', 'Bella'],
  Jacqueline: ['Jackie'],
  Jasmine: ['Jas', 'Jazz'],
  Joanne: ['Jo'],
  Kerry: ['Kez'],
  Lesley: ['Les'],
  Louise: ['Lou'],
  Michelle: ['Shell', 'Chelle'],
  Natasha: ['Tash', 'Tasha'],
  Nicola: ['Nicky', 'Nikki'],
  Olivia: ['Liv', 'Livvy'],
  Philippa: ['Pippa', 'Pip'],
  Rosemary: ['Rosie'],
  Samantha: ['Sam'],
  Sandra: ['Sandy'],
  Sharon: ['Shaz'],
  Sophie: ['Soph'],
  Stephanie: ['Steph'],
  Theresa: ['Tess', 'Tessa'],
  Valerie: ['Val'],
  Vanessa: ['Nessa'],
  Amelia: ['Millie', 'Mia'],
  Camilla: ['Milly'],
  Georgina: ['Gina'],
  Harriet: ['Hattie'],
  Kayleigh: ['Kay'],
};
