/**
 * The rows, configurations and row tokens behind tests/fixtures/uk-person-golden.txt: the
 * encodings of blindlink's own schemas, recorded before the encoder's speed work, that every
 * later encoder must reproduce bit for bit (tests/system/encode-equivalence.test.ts).
 *
 * Rows: every agency's synthetic extract (typos, nicknames, swapped day/month, case and white
 * space noise, missing values) mapped onto one header, plus hand-written edge cases (Unicode,
 * hyphens, apostrophes, titles, particles, odd dates, bad values). All deterministic.
 * Regenerate the fixture (only when an encoding change is intended, with a new schema version):
 *   npx tsx tests/helpers/encode-golden.ts > tests/fixtures/uk-person-golden.txt
 */
import { createHash } from 'node:crypto';
import { generateDataset, AGENCY_PROFILES } from '@blindlink/agency-client/synth';
import {
  BUILT_IN_SCHEMAS,
  effectiveSchema,
  parseEncodingSchema,
  RecordEncoder,
  UK_PERSON,
  type EncodingSchema,
  type RecordEncoderSetup,
  type RowResult,
} from '@blindlink/agency-client/encode';

export const GOLDEN_SECRET = new TextEncoder().encode('the golden secret for encoding equivalence');
const UK_PERSON_SALTED = BUILT_IN_SCHEMAS['uk-person-salted']!;
export const GOLDEN_HEADER = [
  'record_id',
  'given_name',
  'surname',
  'dob',
  'sex',
  'address',
  'postcode',
  'nhs_number',
  'band',
];
const FIELDS = GOLDEN_HEADER.slice(1, 8);

/** Hand-written edge cases: [given_name, surname, dob, sex, address, postcode, nhs_number]. */
const EDGE: string[][] = [
  ['Sinéad', "O'Neill", '1984-03-03', 'F', '12 St Mary’s Rd, Anytown', 'SW1A 1AA', '943 476 5919'],
  ['Bill', 'Smith-Jones', '3rd March 1984', 'male', 'Flat 3, 12high St', 'sw1a1aa', '943-476-5919'],
  [
    '  mr  JOHN ',
    'mac donald',
    '03.03.1984',
    '1',
    'flat3 12a Green Lane, London SW1A 1AA',
    ' SW1A  1AA ',
    '9434765919',
  ],
  ['Zoë', 'Łukasiewicz', '29/02/2000', 'F', 'Ærø House, 5 Ståle Gdns', 'EC1A 1BB', ''],
  ['Mohammed', 'Al-Hassan', '19840303', 'M', '1 Saint Albans Ave', 'M1 1AE', '4010232137'],
  ['José María', 'García Márquez', '3 Mar 1984', 'U', 'Apt 7, 22 Rue-de la Paix', 'B33 8TH', ''],
  ['Ｊｏｈｎ', 'ＳＭＩＴＨ', '2001-12-31', 'f', '１２ High Street', 'CR2 6XH', ''],
  ['Anne\u00ADMarie', 'van der Berg', '31/12/1999', 'Female', '10 Downing St, Westminster', 'SW1A 2AA', ''],
  ['Ｍａｒｙ', 'St John', '01-01-1950', '2', "St Mary's Church, St Albans", 'AL1 1AA', ''],
  ['Dr. Alex', 'Le Blanc', '1 January 1950', 'M', '3 The Crescent; Oldtown', 'DN55 1PT', ''],
  ['Æthelred', 'Þórsson', '1950/01/01', 'M', 'Ħouse 4, Ŋew Road', 'W1A 0AX', ''],
  ['Mary-Kate', "D'Arcy", '1 Jan 1950', 'F', '4 Park Pl, Ashford', 'TN23 1AA', ''],
  ['Ahmed', 'MacHin', '15 Sept 1975', 'M', '44 Macclesfield Road', 'SK10 1AA', ''],
  ['Liam', 'Saintclair', '07/07/1977', 'M', '7 Orchard Cl.', 'GIR 0AA', ''],
  ['Jo', 'Van Der Berg', '1977-07-07', 'F', 'Flat B, 9 Mill Ln', 'BT1 1AA', ''],
  ['Christopher', 'Smyth', '1977-7-7', 'M', '9 Mill Lane', 'BT11AA', ''],
  ['', 'Smith', '1977-07-07', 'M', '9 Mill Lane', 'BT1 1AA', ''],
  ['', '', '', '', '', '', ''],
  ['John', 'Smith', '32/01/1980', 'M', '1 Road', 'SW1A 1AA', ''],
  ['John', 'Smith', '29/02/1900', 'M', '1 Road', 'SW1A 1AA', ''],
  ['John', 'Smith', '01/13/1980', 'M', '1 Road', 'SW1A 1AA', ''],
  ['John', 'Smith', '01/01/80', 'M', '1 Road', 'SW1A 1AA', ''],
  ['John', 'Smith', '2999-01-01', 'M', '1 Road', 'SW1A 1AA', ''],
  ['John', 'Smith', '1 Foo 1980', 'M', '1 Road', 'SW1A 1AA', ''],
  ['John', 'Smith', '1899-12-31', 'M', '1 Road', 'SW1A 1AA', ''],
  ['John2', 'Smith', '1980-01-01', 'M', '1 Road', 'SW1A 1AA', ''],
  ['John', 'Sm!th', '1980-01-01', 'M', '1 Road', 'SW1A 1AA', ''],
  ['Mr', 'Smith', '1980-01-01', 'M', '1 Road', 'SW1A 1AA', ''],
  ['John', 'Smith', '1980-01-01', 'X', '1 Road', 'SW1A 1AA', ''],
  ['John', 'Smith', '1980-01-01', 'M', '1 Road', 'QW1A 1AA', ''],
  ['John', 'Smith', '1980-01-01', 'M', '1 Road', 'SW1A 1OA', ''],
  ['John', 'Smith', '1980-01-01', 'M', '1 Road', 'SW1A 1CA', ''],
  ['John', 'Smith', '1980-01-01', 'M', '1 Road', 'A1', ''],
  ['John', 'Smith', '1980-01-01', 'M', ',,,', 'SW1A 1AA', ''],
  ['John', 'Smith', '1980-01-01', 'M', 'SW1A 1AA', 'SW1A 1AA', ''],
  ['John', 'Smith', '1980-01-01', 'M', '1 Road\tEnd', 'SW1A 1AA', ''],
  ['John', 'Smith', '1980-01-01', 'M', 'x'.repeat(301), 'SW1A 1AA', ''],
  ['J'.repeat(101), 'Smith', '1980-01-01', 'M', '1 Road', 'SW1A 1AA', ''],
  ['John', 'Smith', '1980-01-01', 'M', '1 Road', 'SW1A 1AA', '9434765918'],
  ['John', 'Smith', '1980-01-01', 'M', '1 Road', 'SW1A 1AA', '943476591'],
  ['John', 'Smith', '1980-01-01', 'M', '1 Road', 'SW1A 1AA', '94347659x9'],
  ['John', 'Smith', '1980-01-01', 'M', '1 Road', 'SW1A 1AA', '0000000010'],
  ['Ŀuke', 'ŉeill', '1980-01-01', 'M', 'ŉ Road', 'SW1A 1AA', ''],
  ['İsmail', 'Öztürk', '1980-01-01', 'M', 'İstanbul Cd. 5', 'SW1A 1AA', ''],
  ['Renée', 'Dubois-Lefèvre', '1980-01-01', 'F', '12-14 Rue Dubois', 'SW1A 1AA', ''],
  ['Siân', 'ap Rhys', '1980-01-01', 'F', 'Tŷ Newydd, 3 Heol Fawr', 'CF10 1AA', ''],
  ['陈', '伟', '1980-01-01', 'M', '1 Chinatown', 'W1D 6AA', ''],
  ['Ольга', 'Иванова', '1980-01-01', 'F', '1 Road', 'SW1A 1AA', ''],
  ['😀', 'Smith', '1980-01-01', 'M', '1 Road 😀', 'SW1A 1AA', ''],
  ['Ann\u200Be', 'Sm\uFEFFith', '\u200B1980-01-01', 'F', '1\u00A0Road', 'SW1A\u00A01AA', '943\u00A0476\u00A05919'],
  ['Mary Ann', 'St. Clair-Smythe', '5th Nov 1955', 'F', 'Flat 12a, The Old Mill, 1st Avenue', 'NW1 6XE', ''],
  ['Billie-Jo', 'McDonald', '05/11/1955', 'F', 'Apartment 4 Dr Johnson Ct', 'NW1 6XE', ''],
  ['Bob', 'Allan', '5-Nov-1955', 'M', '12A High St, St Ives', 'TR26 1AA', ''],
  ['Ted', 'Gray', '5 November 1955', 'M', '12 st st', 'TR26 1AA', ''],
  ['Kate', 'Reed', '1955-11-05', 'F', '12 Cres', 'TR26 1AA', ''],
];

export interface GoldenConfig {
  name: string;
  schema: EncodingSchema;
  /** Fields the input holds (the others' columns are left out of the effective schema). */
  present: string[];
  invalidAsMissing: boolean;
  attributes: boolean;
  cacheSize?: number;
}

/** A schema exercising the other normalisers, token kinds and the post-hash hardening steps. */
export const HARDENED_TEST_SCHEMA = parseEncodingSchema(
  {
    format: 'blindlink-encoding-schema',
    formatVersion: 1,
    id: 'golden-hardened',
    version: 1,
    clkBits: 512,
    fields: [
      {
        name: 'given_name',
        normaliser: 'given_name',
        tokens: { kind: 'name', q: 3, parts: false, variants: true },
        clkBitsPerToken: 6,
        filter: { bits: 128, bitsPerToken: 5 },
      },
      { name: 'surname', normaliser: 'surname', tokens: { kind: 'qgrams', q: 1 }, clkBitsPerToken: 4, filter: null },
      {
        name: 'dob',
        normaliser: 'dob',
        tokens: { kind: 'date' },
        clkBitsPerToken: 3,
        filter: { bits: 64, bitsPerToken: 40 },
      },
      {
        name: 'sex',
        normaliser: 'text',
        tokens: { kind: 'exact' },
        clkBitsPerToken: 0,
        filter: { bits: 32, bitsPerToken: 3 },
      },
      {
        name: 'address',
        normaliser: 'text',
        tokens: { kind: 'qgrams', q: 3 },
        clkBitsPerToken: 2,
        filter: { bits: 512, bitsPerToken: 2 },
      },
      {
        name: 'postcode',
        normaliser: 'postcode',
        tokens: { kind: 'postcode', q: 1 },
        clkBitsPerToken: 3,
        filter: null,
      },
      {
        name: 'nhs_number',
        normaliser: 'identifier',
        tokens: { kind: 'qgrams', q: 4 },
        clkBitsPerToken: 1,
        filter: { bits: 64, bitsPerToken: 2 },
      },
    ],
    blockingKeys: [
      {
        name: 'sn-initial+sector',
        parts: [
          { field: 'surname', transform: 'initial', alternatives: true },
          { field: 'postcode', transform: 'district' },
        ],
      },
      { name: 'given', parts: [{ field: 'given_name', transform: 'value', alternatives: true }] },
    ],
    hardening: [
      { step: 'salt', from: { field: 'postcode', transform: 'sector' }, fields: ['given_name', 'address'] },
      { step: 'balance' },
      { step: 'xor-fold' },
    ],
  },
  'golden-hardened',
);

export const GOLDEN_CONFIGS: GoldenConfig[] = [
  { name: 'uk-person', schema: UK_PERSON, present: FIELDS, invalidAsMissing: false, attributes: false },
  { name: 'uk-person-missing', schema: UK_PERSON, present: FIELDS, invalidAsMissing: true, attributes: true },
  { name: 'uk-person-salted', schema: UK_PERSON_SALTED, present: FIELDS, invalidAsMissing: true, attributes: false },
  {
    name: 'uk-person-salted-no-dob',
    schema: UK_PERSON_SALTED,
    present: ['given_name', 'surname', 'sex', 'address', 'postcode'],
    invalidAsMissing: false,
    attributes: false,
  },
  { name: 'hardened', schema: HARDENED_TEST_SCHEMA, present: FIELDS, invalidAsMissing: true, attributes: false },
];

/** The golden rows: header GOLDEN_HEADER (the last column, band, is an attribute). */
export function goldenRows(): string[][] {
  const rows: string[][] = [];
  const perAgency = new Map<string, number>();
  for (const ev of generateDataset(700, 'encode-golden')) {
    if (ev.kind !== 'record') continue;
    const r = ev.record;
    const n = perAgency.get(r.agency) ?? 0;
    if (n >= 320) continue;
    perAgency.set(r.agency, n + 1);
    const header = AGENCY_PROFILES[r.agency].header;
    const at = (col: string): string => {
      const i = header.indexOf(col);
      return i >= 0 ? (r.values[i] ?? '') : '';
    };
    rows.push([`${r.agency}-${n}`, ...FIELDS.map(at), at('band') || at('ward')]);
  }
  EDGE.forEach((e, i) => {
    rows.push([`edge-${i}`, ...e, i % 3 === 0 ? '' : ` band ${'ABC'[i % 3]} `]);
  });
  // Repeats in another order, so a cache hit must give what the miss gave.
  for (let i = rows.length - 1; i >= 0; i -= 7) rows.push([`again-${i}`, ...rows[i]!.slice(1)]);
  // Malformed: a short row and an empty record id.
  rows.push(['short', 'John']);
  rows.push(['  ', 'John', 'Smith', '1980-01-01', 'M', '1 Road', 'SW1A 1AA', '', '']);
  return rows;
}

/** The row token of golden row i: deterministic, in the encoder's format (22 base64url characters). */
export function goldenToken(i: number): string {
  return createHash('sha256').update(`golden-token-${i}`).digest().subarray(0, 16).toString('base64url');
}

export function goldenSetup(c: GoldenConfig, cacheSize?: number): RecordEncoderSetup {
  const schema = effectiveSchema(c.schema, c.present);
  return {
    schema,
    secret: GOLDEN_SECRET,
    columns: schema.fields.map((f) => GOLDEN_HEADER.indexOf(f.name)),
    idColumn: 0,
    idName: 'record_id',
    width: GOLDEN_HEADER.length,
    invalidAsMissing: c.invalidAsMissing,
    ...(c.attributes ? { attributes: [{ name: 'band', column: 8 }] } : {}),
    ...(cacheSize !== undefined ? { cacheSize } : {}),
  };
}

/** One row's outcome as a single string: the line (and any fields left out), or the rejection. */
export function resultText(r: RowResult): string {
  return 'line' in r ? r.line + (r.leftOut ? `\n${r.leftOut.join('\n')}` : '') : `rejected: ${r.reason}`;
}

export function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

/** Golden file lines: per row, its number then one digest per configuration (GOLDEN_CONFIGS order). */
export function goldenLines(
  encoderFor: (setup: RecordEncoderSetup) => { encode(row: readonly string[], token: string): RowResult },
): string[] {
  const rows = goldenRows();
  const out = rows.map((_, i) => String(i));
  for (const c of GOLDEN_CONFIGS) {
    const enc = encoderFor(goldenSetup(c));
    rows.forEach((row, i) => {
      out[i] += ` ${digestOf(resultText(enc.encode(row, goldenToken(i))))}`;
    });
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(goldenLines((s) => new RecordEncoder(s)).join('\n') + '\n');
}
