import { csvLine } from '@blindlink/agency-client';

/**
 * A small, fixed population for the end-to-end tests: distinctive names (six letters or more, so a
 * search for them in stored bytes cannot hit by chance) and the truth of who is known to whom.
 */
export interface Person {
  given: string;
  surname: string;
  dob: string; // ISO
  sex: 'F' | 'M';
  postcode: string;
}

const GIVEN = [
  'Siobhan',
  'Gwendolyn',
  'Bartholomew',
  'Ignatius',
  'Philippa',
  'Leopold',
  'Rosalind',
  'Cuthbert',
  'Marguerite',
  'Percival',
  'Wilhelmina',
  'Augustus',
  'Henrietta',
  'Ambrose',
  'Clementine',
  'Fitzgerald',
  'Ottoline',
  'Thaddeus',
  'Euphemia',
  'Lancelot',
];
const SURNAME = [
  'Abernathy',
  'Blackwood',
  'Cartwright',
  'Delacroix',
  'Ellsworth',
  'Fairbanks',
  'Greenhalgh',
  'Hollingsworth',
  'Inglethorpe',
  'Jefferson',
  'Kingsbury',
  'Lockhart',
  'Montgomery',
  'Northcott',
  'Oglethorpe',
  'Pemberton',
  'Quartermaine',
  'Rutherford',
  'Sutherland',
  'Thistlewood',
];
const POSTCODES = ['SW1A 1AA', 'EC1A 1BB', 'M1 1AE', 'B33 8TH', 'CR2 6XH', 'DN55 1PT', 'W1A 0AX', 'LS1 4DY'];

export function population(n: number): Person[] {
  const out: Person[] = [];
  for (let i = 0; i < n; i++) {
    const y = 1940 + ((i * 7) % 60);
    const m = 1 + ((i * 5) % 12);
    const d = 1 + ((i * 11) % 28);
    out.push({
      given: GIVEN[i % GIVEN.length]!,
      surname: SURNAME[(i * 3 + Math.floor(i / GIVEN.length)) % SURNAME.length]!,
      dob: `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
      sex: i % 2 ? 'M' : 'F',
      postcode: POSTCODES[i % POSTCODES.length]!,
    });
  }
  return out;
}

/** UK-style DD/MM/YYYY, as one of the agencies exports dates. */
export function ukDate(iso: string): string {
  const [y, m, d] = iso.split('-');
  return `${d}/${m}/${y}`;
}

/** One typo that a keyed bigram encoding should tolerate: swap two inner letters. */
export function typo(s: string): string {
  const i = Math.floor(s.length / 2);
  return s.slice(0, i - 1) + s[i] + s[i - 1] + s.slice(i + 1);
}

/** A CSV file's text, quoted as the agency client quotes the files it writes. */
export function csv(header: string[], rows: string[][]): string {
  return [header, ...rows].map(csvLine).join('');
}
