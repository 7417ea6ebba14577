import { type Civil, civilFromDays, daysFromCivil } from './dates.js';
import type { Address } from './model.js';
import { INWARD_LETTERS } from './postcode.js';
import type { Prng } from './prng.js';

/** Data-entry errors and layout differences, as pure functions of a value and a random stream. */

const KEYBOARD_ROWS = ['qwertyuiop', 'asdfghjkl', 'zxcvbnm'];
/** The keys around one key: left and right, and the touching keys in the rows above and below. */
function neighboursAt(r: number, i: number): string {
  const row = KEYBOARD_ROWS[r] as string;
  const above = KEYBOARD_ROWS[r - 1];
  const below = KEYBOARD_ROWS[r + 1];
  let n = (row[i - 1] ?? '') + (row[i + 1] ?? '');
  if (above) n += (above[i] ?? '') + (above[i + 1] ?? '');
  if (below) n += (below[i - 1] ?? '') + (below[i] ?? '');
  return n;
}

function keyboardNeighbours(): ReadonlyMap<string, string> {
  const m = new Map<string, string>();
  for (let r = 0; r < KEYBOARD_ROWS.length; r++) {
    const row = KEYBOARD_ROWS[r] as string;
    for (let i = 0; i < row.length; i++) m.set(row.charAt(i), neighboursAt(r, i));
  }
  return m;
}

const NEIGHBOURS = keyboardNeighbours();

function matchCase(c: string, like: string): string {
  return like !== like.toLowerCase() ? c.toUpperCase() : c;
}

function nearbyKey(c: string, rng: Prng): string {
  const lower = c.toLowerCase();
  const n = NEIGHBOURS.get(lower);
  if (!n) return matchCase(String.fromCharCode(97 + rng.int(26)), c);
  return matchCase(n.charAt(rng.int(n.length)), c);
}

/**
 * One keyboard typo: substitute a neighbouring key, delete, insert or transpose. Works on code points
 * so that Łukasz or Siân are never split mid-character. The first letter is rarely wrong.
 */
export function typo(value: string, rng: Prng): string {
  const chars = Array.from(value);
  if (chars.length < 2) return value;
  const pos = rng.chance(0.15) ? 0 : 1 + rng.int(chars.length - 1);
  const c = chars[pos] as string;
  const op = rng.weightedIndex([35, 25, 20, 20]);
  if (op === 0) chars[pos] = nearbyKey(c, rng);
  else if (op === 1) chars.splice(pos, 1);
  else if (op === 2) chars.splice(pos, 0, nearbyKey(c, rng).toLowerCase());
  else {
    const j = pos === chars.length - 1 ? pos - 1 : pos + 1;
    const other = chars[j] as string;
    chars[j] = c;
    chars[pos] = other;
  }
  const out = chars.join('');
  // A transposition of two equal letters changes nothing; fall back to a deletion.
  return out === value
    ? chars
        .slice(0, pos)
        .concat(chars.slice(pos + 1))
        .join('')
    : out;
}

/** Capitals, spacing and stray whitespace as typed into different systems. */
export function caseWhitespace(value: string, rng: Prng): string {
  if (value === '') return value;
  switch (rng.int(5)) {
    case 0:
      return value.toUpperCase();
    case 1:
      return value.toLowerCase();
    case 2:
      return ` ${value}`;
    case 3:
      return `${value}  `;
    default:
      return value.includes(' ') ? value.replace(' ', '  ') : `${value} `;
  }
}

const ABBREVIATIONS: readonly [RegExp, string][] = [
  [/ Road\b/, ' Rd'],
  [/ Street\b/, ' St'],
  [/ Avenue\b/, ' Ave'],
  [/ Close\b/, ' Cl'],
  [/ Lane\b/, ' Ln'],
  [/ Drive\b/, ' Dr'],
  [/ Crescent\b/, ' Cres'],
  [/ Gardens\b/, ' Gdns'],
  [/ Place\b/, ' Pl'],
  [/ Court\b/, ' Ct'],
  [/ Terrace\b/, ' Terr'],
  [/ Square\b/, ' Sq'],
  [/ Grove\b/, ' Gr'],
  [/^St /, 'Saint '],
];

/** The same address laid out differently: abbreviations, town dropped, flats written another way. */
export function addressVariant(a: Address, rng: Prng): string {
  const { street, town, flatStyle } = streetAndTownVariant(a, rng);
  return a.flat === 0 ? `${a.houseNumber} ${street}${town}` : flatLayout(a, street, town, flatStyle);
}

/**
 * The street and town as written: street abbreviated, town dropped or its comma missing; or (flatStyle 1–3) a
 * different layout of the flat, with the street abbreviated or the town dropped when there is no flat.
 */
function streetAndTownVariant(a: Address, rng: Prng): { street: string; town: string; flatStyle: number } {
  const abbreviated = ABBREVIATIONS.find(([re]) => re.test(a.street));
  const short = abbreviated ? a.street.replace(abbreviated[0], abbreviated[1]) : a.street;
  const town = `, ${a.town}`;
  switch (rng.int(4)) {
    case 0:
      return abbreviated ? { street: short, town, flatStyle: 0 } : { street: a.street, town: '', flatStyle: 0 };
    case 1:
      return { street: a.street, town: '', flatStyle: 0 };
    case 2:
      return { street: a.street, town: ` ${a.town}`, flatStyle: 0 }; // missing comma
    default: {
      const flatStyle = 1 + rng.int(3);
      if (a.flat !== 0) return { street: a.street, town, flatStyle };
      return abbreviated ? { street: short, town, flatStyle } : { street: a.street, town: '', flatStyle };
    }
  }
}

function flatLayout(a: Address, street: string, town: string, flatStyle: number): string {
  switch (flatStyle) {
    case 1:
      return `${a.flat}/${a.houseNumber} ${street}${town}`;
    case 2:
      return `${a.houseNumber} ${street}, Flat ${a.flat}${town}`;
    case 3:
      return `Flat ${a.flat} ${a.houseNumber} ${street}${town}`;
    default:
      return `Flat ${a.flat}, ${a.houseNumber} ${street}${town}`;
  }
}

/** A mistyped or mis-keyed postcode (many results are no longer valid postcodes). */
export function postcodeError(pc: string, rng: Prng): string {
  const [out = '', inw = ''] = pc.split(' ');
  const options: (() => string)[] = [
    () => out + inw, // space lost
    () => `${out} ${inw.charAt(0)}${rng.pick(Array.from(INWARD_LETTERS))}${inw.charAt(2)}`,
    () => `${out} ${inw.charAt(0)}${inw.charAt(2)}${inw.charAt(1)}`,
    () => `${out} ${String((Number(inw.charAt(0)) + 1 + rng.int(8)) % 10)}${inw.slice(1)}`,
    () => `${out.replace(/\d(?!.*\d)/, (d) => String((Number(d) + 1) % 10))} ${inw}`,
    () => (pc.includes('0') ? pc.replace('0', 'O') : pc.replace('O', '0').replace('I', '1')),
    () => out, // inward code missing
    () => pc.toLowerCase(),
  ];
  for (let i = 0; i < 4; i++) {
    const v = (options[rng.int(options.length)] as () => string)();
    if (v !== pc) return v;
  }
  return out + inw;
}

/** Day and month swapped (only possible when the day is 12 or less and differs from the month). */
export function swapDayMonth(c: Civil): Civil | null {
  if (c.d > 12 || c.d === c.m) return null;
  return { y: c.y, m: c.d, d: c.m };
}

/** One digit of a date wrong: a slipped day, or a year off by one or ten. */
export function dobDigitError(c: Civil, rng: Prng): Civil {
  const r = rng.int(4);
  if (r === 0) return { ...c, y: c.y + (rng.chance(0.5) ? 1 : -1) };
  if (r === 1) return { ...c, y: c.y + (rng.chance(0.5) ? 10 : -10) };
  // Normalise through days so that the result is still a calendar date.
  const shifted = civilFromDays(
    daysFromCivil(c.y, c.m, c.d) + (rng.chance(0.5) ? 1 : -1) * (1 + rng.int(r === 2 ? 3 : 10)),
  );
  return { y: c.y, m: shifted.m === c.m ? shifted.m : c.m, d: shifted.m === c.m ? shifted.d : c.d === 1 ? 2 : c.d - 1 };
}

/** An NHS number keyed wrongly: two digits transposed or one digit changed. */
export function nhsNumberError(nhs: string, rng: Prng): string {
  if (nhs.length !== 10) return nhs;
  const digits = nhs.split('');
  const i = 3 + rng.int(6); // the 999 prefix is kept so the value stays in the test range
  if (rng.chance(0.5) && digits[i] !== digits[i + 1]) {
    const t = digits[i] as string;
    digits[i] = digits[i + 1] as string;
    digits[i + 1] = t;
  } else digits[i] = String((Number(digits[i]) + 1 + rng.int(9)) % 10);
  return digits.join('');
}
