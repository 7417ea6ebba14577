// blindlink's own encoding (uk-person schema and custom schemas), driven through encodeCsv as the
// CLI drives it, checked on the files it writes.
import t from 'tap';
import type { Test } from 'tap';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Compile } from 'typebox/compile';
import { EncodedHeader, EncodedRecord } from '@blindlink/protocol';
import { encodeCsv, InputError, readEncodedFile, readTokenMap, type EncodeOptions } from '@blindlink/agency-client';

const SECRET = new TextEncoder().encode('a shared linkage secret that only agencies hold');
const OTHER_SECRET = new TextEncoder().encode('another secret, held by somebody else entirely');
const COLUMNS = ['record_id', 'given_name', 'surname', 'dob', 'sex', 'address', 'postcode', 'nhs_number'];

interface Rec {
  token: string;
  clk: string;
  fields?: Record<string, string>;
  blocks?: string[];
}

/** A valid NHS number from nine digits (tries the next until the check digit is not 10). */
function nhs(nine: number): string {
  for (let n = nine; ; n++) {
    const d = String(n).padStart(9, '0');
    let sum = 0;
    for (let i = 0; i < 9; i++) sum += Number(d[i]) * (10 - i);
    const c = (11 - (sum % 11)) % 11;
    if (c !== 10) return d + String(c);
  }
}

function csvText(rows: string[][], header = COLUMNS): string {
  return (
    [header, ...rows]
      .map((r) => r.map((v) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(','))
      .join('\n') + '\n'
  );
}

let fileNo = 0;
async function encode(
  dir: string,
  rows: string[][],
  opts: Partial<EncodeOptions> & { header?: string[]; schemaJson?: unknown } = {},
) {
  const n = fileNo++;
  const input = join(dir, `in${n}.csv`);
  writeFileSync(input, csvText(rows, opts.header));
  let schema = opts.schema ?? 'uk-person';
  if (opts.schemaJson !== undefined) {
    schema = join(dir, `schema${n}.json`);
    writeFileSync(schema, JSON.stringify(opts.schemaJson));
  }
  const out = join(dir, `out${n}.enc`);
  const { header: _header, schemaJson: _schemaJson, ...rest } = opts;
  const summary = await encodeCsv({
    input,
    out,
    secret: SECRET,
    map: {},
    idColumn: 'record_id',
    ignore: [],
    onInvalid: 'fail',
    threads: 1,
    ...rest,
    schema,
  });
  const lines = readFileSync(out, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  const header = JSON.parse(lines[0]!) as EncodedHeader;
  const records = lines.slice(1).map((l) => JSON.parse(l) as Rec);
  return { summary, header, records, out, text: readFileSync(out, 'utf8') };
}

/** The promise must reject with an InputError whose message matches every pattern. */
async function rejectsWith(t: Test, p: Promise<unknown>, patterns: RegExp[], label: string): Promise<void> {
  try {
    await p;
    t.fail(`${label}: expected a rejection`);
  } catch (e) {
    t.ok(e instanceof InputError, `${label}: an InputError`);
    for (const re of patterns) t.match((e as Error).message, re, label);
  }
}

const bytes = (b64: string): Buffer => Buffer.from(b64, 'base64');
function popcount(b: Uint8Array): number {
  let n = 0;
  for (let x of b) for (; x; x &= x - 1) n++;
  return n;
}
function dice(a: string, b: string): number {
  const x = bytes(a),
    y = bytes(b);
  let both = 0;
  for (let i = 0; i < x.length; i++) {
    for (let v = x[i]! & y[i]!; v; v &= v - 1) both++;
  }
  return (2 * both) / (popcount(x) + popcount(y));
}

const UK_PERSON_JSON = {
  format: 'blindlink-encoding-schema',
  formatVersion: 1,
  id: 'test-person',
  version: 1,
  clkBits: 1024,
  fields: [
    {
      name: 'given_name',
      normaliser: 'given_name',
      tokens: { kind: 'name', q: 2 },
      clkBitsPerToken: 8,
      filter: { bits: 256, bitsPerToken: 8 },
    },
    {
      name: 'surname',
      normaliser: 'surname',
      tokens: { kind: 'name', q: 2 },
      clkBitsPerToken: 8,
      filter: { bits: 256, bitsPerToken: 8 },
    },
    {
      name: 'dob',
      normaliser: 'dob',
      tokens: { kind: 'date' },
      clkBitsPerToken: 5,
      filter: { bits: 256, bitsPerToken: 6 },
    },
    {
      name: 'sex',
      normaliser: 'sex',
      tokens: { kind: 'exact' },
      clkBitsPerToken: 8,
      filter: { bits: 64, bitsPerToken: 8 },
    },
    {
      name: 'postcode',
      normaliser: 'postcode',
      tokens: { kind: 'postcode', q: 2 },
      clkBitsPerToken: 6,
      filter: { bits: 256, bitsPerToken: 8 },
    },
  ],
  blockingKeys: [
    {
      name: 'surname-soundex+yob',
      parts: [
        { field: 'surname', transform: 'soundex', alternatives: true },
        { field: 'dob', transform: 'year' },
      ],
    },
  ],
  hardening: [] as unknown[],
};
const withHardening = (hardening: unknown[], extra: Record<string, unknown> = {}) => ({
  ...UK_PERSON_JSON,
  hardening,
  ...extra,
});
const SHORT = ['record_id', 'given_name', 'surname', 'dob', 'sex', 'postcode'];

t.test('the same person written differently scores high; different people score low', async (t) => {
  const dir = t.testdir({});
  // Normalisation is what this checks, so without the per-record noise of the default's flip step.
  const n1 = nhs(943476591);
  const rows = [
    ['A1', 'William', "O'Neill", '03/04/1984', 'M', '12 High St, London', 'SW1A 1AA', n1],
    [
      'A2',
      'Bill',
      'ONeill',
      '1984-04-03',
      'male',
      '12 High Street London',
      'sw1a1aa',
      n1.replace(/(\d{3})(\d{3})(\d{4})/, '$1 $2 $3'),
    ],
    ['B1', 'Siân', 'Smith-Jones', '22 Jul 1991', 'F', 'Flat 2, 5 Mill Lane', 'M1 1AE', ''],
    ['B2', 'Sian', 'Smith Jones', '19910722', '2', 'flat 2 5 mill ln', 'M11AE', ''],
    ['C1', 'Margaret', 'Thistlewood', '17/11/1952', 'F', '99 Long Road, Leeds', 'LS1 4DY', nhs(401023213)],
  ];
  const { records } = await encode(dir, rows, { schema: 'uk-person-unhardened' });
  const [a1, a2, b1, b2, c1] = records as [Rec, Rec, Rec, Rec, Rec];
  t.ok(dice(a1.clk, a2.clk) >= 0.85, `William O'Neill vs Bill ONeill, CLK Dice ${dice(a1.clk, a2.clk).toFixed(3)}`);
  t.ok(
    dice(b1.clk, b2.clk) >= 0.9,
    `Siân Smith-Jones vs Sian Smith Jones, CLK Dice ${dice(b1.clk, b2.clk).toFixed(3)}`,
  );
  for (const f of ['surname', 'dob', 'sex', 'postcode', 'nhs_number']) {
    t.equal(dice(a1.fields![f]!, a2.fields![f]!), 1, `${f}: formatting differences vanish after normalisation`);
  }
  t.ok(
    dice(a1.fields!.given_name!, a2.fields!.given_name!) >= 0.75,
    `Bill ~ William via the canonical variant, field Dice ` +
      `${dice(a1.fields!.given_name!, a2.fields!.given_name!).toFixed(3)}`,
  );
  t.ok(
    dice(a1.fields!.address!, a2.fields!.address!) >= 0.9,
    `address abbreviations, field Dice ${dice(a1.fields!.address!, a2.fields!.address!).toFixed(3)}`,
  );
  for (const f of ['given_name', 'surname', 'dob', 'sex', 'postcode', 'address']) {
    t.equal(
      dice(b1.fields![f]!, b2.fields![f]!),
      1,
      `${f}: Siân/Sian, hyphen/space, date formats, postcode spacing all equal`,
    );
  }
  t.notOk(b1.fields!.nhs_number, 'a missing field has no field filter');
  for (const [x, y, label] of [
    [a1, c1, 'A vs C'],
    [b1, c1, 'B vs C'],
    [a1, b1, 'A vs B'],
  ] as const) {
    t.ok(dice(x.clk, y.clk) < 0.5, `${label}: unrelated people, CLK Dice ${dice(x.clk, y.clk).toFixed(3)}`);
    // Chance level: a long double-barrelled surname fills a 256-bit filter to about 40%.
    t.ok(
      dice(x.fields!.surname!, y.fields!.surname!) < 0.5,
      `${label}: unrelated surnames, field Dice ${dice(x.fields!.surname!, y.fields!.surname!).toFixed(3)}`,
    );
  }
  // Nickname without the variant table would share little: the variant is doing the work.
  const noVariants = withHardening([], {
    fields: UK_PERSON_JSON.fields.map((f) =>
      f.name === 'given_name' ? { ...f, tokens: { kind: 'name', q: 2, variants: false } } : f,
    ),
  });
  const plain = await encode(
    dir,
    rows.map((r) => [r[0]!, r[1]!, r[2]!, r[3]!, r[4]!, r[6]!]),
    { header: SHORT, schemaJson: noVariants },
  );
  t.ok(
    dice(plain.records[0]!.fields!.given_name!, plain.records[1]!.fields!.given_name!) < 0.5,
    'without variants Bill and William share little',
  );
});

t.test('header, field filters, blocking keys and the protocol schemas', async (t) => {
  const dir = t.testdir({});
  const rows = [['X1', 'Anna', 'Kowalski', '01/02/1990', 'F', '1 Church Road', 'B33 8TH', nhs(123456780)]];
  const { header, records, out, summary } = await encode(dir, rows);
  const checkHeader = Compile(EncodedHeader);
  const checkRecord = Compile(EncodedRecord);
  t.ok(
    checkHeader.Check(header),
    `header matches the protocol: ${JSON.stringify([...checkHeader.Errors(header)][0] ?? '')}`,
  );
  for (const r of records) t.ok(checkRecord.Check(r), 'record matches the protocol');
  t.match(header, {
    schema: {
      id: 'uk-person',
      version: 3,
      fields: ['given_name', 'surname', 'dob', 'sex', 'address', 'postcode', 'nhs_number'],
    },
    clkBits: 1024,
    hardening: ['flip:0.2:given_name+surname+dob'],
  });
  t.same(header.blockingKeys, ['surname-soundex+yob', 'postcode-sector+sex', 'nhs-number', 'given-initial+dob']);
  t.same(
    header.fieldFilters?.map((f) => f.field),
    header.schema.fields.filter((f) => f !== 'sex'),
    'every field but sex has a filter: two values would split every record by sex',
  );
  t.same(
    header.fieldFilters?.filter((f) => f.flip).map((f) => [f.field, f.flip]),
    [
      ['given_name', 0.2],
      ['surname', 0.2],
      ['dob', 0.2],
    ],
    'names and date of birth are flipped per record',
  );
  for (const f of header.fieldFilters!)
    t.equal(
      bytes(records[0]!.fields![f.field]!).length * 8,
      f.bits,
      `${f.field} filter has the declared ${f.bits} bits`,
    );
  t.equal(bytes(records[0]!.clk).length * 8, header.clkBits);
  t.equal(records[0]!.blocks!.length, 4, 'one blocking token per key for a simple record');
  t.same(summary.header, header, 'the summary carries the header written');
  const read = readEncodedFile(out);
  t.equal(read.body.records.length, 1, "the client's own reader accepts the file");
  const text = readFileSync(out, 'utf8');
  t.notMatch(text, /secret/i, 'no secret in the file');
});

t.test('fill rates stay in the targeted band', async (t) => {
  const dir = t.testdir({});
  const given = ['Oliver', 'Amelia', 'Mohammed', 'Isla', 'Jack', 'Olivia', 'Harry', 'Emily', 'Thomas', 'Sophie'];
  const surnames = ['Smith', 'Jones', 'Williams', 'Taylor', 'Brown', 'Davies', 'Evans', 'Wilson', 'Thomas', 'Johnson'];
  const rows = given.map((g, i) => [
    `F${i}`,
    g,
    surnames[i]!,
    `${10 + i}/0${1 + (i % 9)}/19${50 + i * 4}`,
    i % 2 ? 'M' : 'F',
    `${i + 3} Station Road, Anytown`,
    'CR2 6XH',
    nhs(200000000 + i * 7919),
  ]);
  const { records } = await encode(dir, rows);
  const fill = (b64: string): number => popcount(bytes(b64)) / (bytes(b64).length * 8);
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const clkFill = mean(records.map((r) => fill(r.clk)));
  t.ok(clkFill > 0.2 && clkFill < 0.5, `record CLK mean fill ${clkFill.toFixed(3)}`);
  for (const f of ['given_name', 'surname', 'dob', 'postcode', 'address']) {
    const m = mean(records.map((r) => fill(r.fields![f]!)));
    t.ok(m > 0.1 && m < 0.5, `${f} filter mean fill ${m.toFixed(3)}`);
  }
});

t.test('hardening: balancing, folding and salting each do what they claim', async (t) => {
  const dir = t.testdir({});
  const rows = [
    ['H1', 'Jo', 'Li', '01/01/1980', 'F', 'E1 6AN'],
    ['H2', 'Bartholomew', 'Hollingsworth-Montgomery', '31/12/1999', 'M', 'SW1A 1AA'],
    ['H3', 'Ann', '', '', '', ''],
  ];
  const plain = await encode(dir, rows, { header: SHORT, schemaJson: withHardening([]) });
  const weights = plain.records.map((r) => popcount(bytes(r.clk)));
  t.ok(new Set(weights).size === 3, `unhardened popcounts differ with name length: ${weights.join(', ')}`);

  const balanced = await encode(dir, rows, { header: SHORT, schemaJson: withHardening([{ step: 'balance' }]) });
  t.equal(balanced.header.clkBits, 2048, 'balancing doubles the CLK');
  t.same(balanced.header.hardening, ['balance']);
  for (const r of balanced.records) {
    t.equal(popcount(bytes(r.clk)), 1024, 'balanced CLK has exactly half its bits set');
    for (const [f, b] of Object.entries(r.fields!))
      t.equal(popcount(bytes(b)) * 2, bytes(b).length * 8, `balanced ${f} filter is half full`);
  }
  // Balancing is a bijection on bits: identical inputs stay identical, and Dice becomes 1 − Hamming/L.
  const again = await encode(dir, rows, { header: SHORT, schemaJson: withHardening([{ step: 'balance' }]) });
  t.equal(again.records[1]!.clk, balanced.records[1]!.clk, 'the keyed permutation is stable for one secret');

  const folded = await encode(dir, rows, { header: SHORT, schemaJson: withHardening([{ step: 'xor-fold' }]) });
  t.equal(folded.header.clkBits, 512, 'folding halves the CLK');
  folded.records.forEach((r, i) => {
    const p = bytes(plain.records[i]!.clk);
    const expected = Buffer.alloc(p.length / 2);
    for (let j = 0; j < expected.length; j++) expected[j] = p[j]! ^ p[j + expected.length]!;
    t.same(bytes(r.clk), expected, 'folded CLK is the XOR of the two halves of the unhardened one');
    for (const [f, b] of Object.entries(r.fields!))
      t.equal(bytes(b).length * 2, bytes(plain.records[i]!.fields![f]!).length, `${f} filter halved`);
  });
  const both = await encode(dir, rows, {
    header: SHORT,
    schemaJson: withHardening([{ step: 'balance' }, { step: 'xor-fold' }]),
  });
  t.equal(both.header.clkBits, 1024, 'steps compose: balance then fold');
  t.same(both.header.hardening, ['balance', 'xor-fold']);

  // Salting: the same names with different years of birth.
  const names = ['Olivia', 'Mohammed', 'Gwendolyn', 'Siobhan', 'Kowalczyk', 'Thistlewood', 'Nguyen', 'Patel'];
  const cohort = (year: number) =>
    names.map((n, i) => [`S${year}-${i}`, n, names[(i + 3) % names.length]!, `15/06/${year}`, 'F', 'LS1 4DY']);
  const salt = [{ step: 'salt', from: { field: 'dob', transform: 'year' }, fields: ['given_name', 'surname'] }];
  const s1 = await encode(dir, cohort(1971), { header: SHORT, schemaJson: withHardening(salt) });
  const s2 = await encode(dir, cohort(1988), { header: SHORT, schemaJson: withHardening(salt) });
  const s3 = await encode(
    dir,
    cohort(1971).map((r, i) => [`T${i}`, ...r.slice(1)]),
    { header: SHORT, schemaJson: withHardening(salt) },
  );
  const u1 = await encode(dir, cohort(1971), { header: SHORT, schemaJson: withHardening([]) });
  const u2 = await encode(dir, cohort(1988), { header: SHORT, schemaJson: withHardening([]) });
  t.same(s1.header.hardening, ['salt:dob.year']);
  for (let i = 0; i < names.length; i++) {
    for (const f of ['given_name', 'surname']) {
      t.equal(
        dice(u1.records[i]!.fields![f]!, u2.records[i]!.fields![f]!),
        1,
        `unsalted: ${f} bits identical across years`,
      );
      t.equal(dice(s1.records[i]!.fields![f]!, s3.records[i]!.fields![f]!), 1, `salted: same year, same ${f} bits`);
      const d = dice(s1.records[i]!.fields![f]!, s2.records[i]!.fields![f]!);
      t.ok(d < 0.5, `salted: different year of birth shares only chance ${f} bits (Dice ${d.toFixed(3)})`);
    }
    t.equal(
      dice(s1.records[i]!.fields!.postcode!, s2.records[i]!.fields!.postcode!),
      1,
      'unsalted fields are untouched by the salt',
    );
  }
  // Salt positions for a given name, averaged: equal to what unrelated values share by chance.
  const sharedAcross = names.map((_, i) =>
    dice(s1.records[i]!.fields!.given_name!, s2.records[i]!.fields!.given_name!),
  );
  const chance = names.map((_, i) =>
    dice(s1.records[i]!.fields!.given_name!, s1.records[(i + 1) % names.length]!.fields!.given_name!),
  );
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  t.ok(
    Math.abs(avg(sharedAcross) - avg(chance)) < 0.1,
    `same name across years (${avg(sharedAcross).toFixed(3)}) ≈ different names (${avg(chance).toFixed(3)})`,
  );
});

t.test('blocking tokens: keyed, equal for equal keys, different under another secret', async (t) => {
  const dir = t.testdir({});
  const rows = [
    ['K1', 'John', 'Smith', '01/02/1970', 'M', 'M1 1AE'],
    ['K2', 'Jon', 'Smyth', '05/09/1970', 'M', 'M1 1AE'],
    ['K3', 'John', 'Smith', '01/02/1971', 'M', 'M1 1AE'],
    ['K4', 'Ann', 'Smith-Brown', '03/03/1970', 'F', 'M1 1AE'],
  ];
  const a = await encode(dir, rows, { header: SHORT, schemaJson: withHardening([]) });
  const b = await encode(dir, rows, { header: SHORT, schemaJson: withHardening([]) });
  const c = await encode(dir, rows, { header: SHORT, schemaJson: withHardening([]), secret: OTHER_SECRET });
  const [k1, k2, k3, k4] = a.records.map((r) => r.blocks ?? []) as [string[], string[], string[], string[]];
  t.equal(k1.length, 1);
  t.same(k1, k2, 'Smith 1970 and Smyth 1970 share the soundex+yob block');
  t.not(k1[0], k3[0], 'a different year of birth gives a different block');
  t.ok(k4.includes(k1[0]!), 'a double-barrelled surname also blocks on each part');
  t.same(
    b.records.map((r) => r.blocks),
    a.records.map((r) => r.blocks),
    'stable across runs with one secret',
  );
  const other = new Set(c.records.flatMap((r) => r.blocks ?? []));
  t.notOk(
    a.records.some((r) => (r.blocks ?? []).some((x) => other.has(x))),
    'no block token survives a change of secret',
  );
  t.not(c.records[0]!.clk, a.records[0]!.clk, 'nor does the CLK');
});

t.test('no unkeyed hash of any identifier appears in the output', async (t) => {
  const dir = t.testdir({});
  const n = nhs(987654321);
  const rows = [['U1', 'William', "O'Neill", '03/04/1984', 'M', '12 High St', 'SW1A 1AA', n]];
  const { text } = await encode(dir, rows);
  const values = [
    'william',
    'oneill',
    "O'Neill",
    'William',
    '1984-04-03',
    '1984',
    '19840403',
    'm',
    'M',
    'SW1A 1AA',
    'SW1A1AA',
    'SW1A 1',
    'sw1a 1aa',
    n,
    'O540',
    'O5401984',
    'O540\u001f1984',
    'surname-soundex+yob\u001fO540\u001f1984',
    'w',
    'w1984-04-03',
    '12 high street',
  ];
  const forms = (d: Buffer): string[] => [
    d.toString('hex'),
    d.toString('base64'),
    d.toString('base64url'),
    d.subarray(0, 16).toString('base64url'),
    d.subarray(0, 16).toString('base64'),
  ];
  const found: string[] = [];
  for (const v of values) {
    for (const alg of ['md5', 'sha1', 'sha256', 'sha512', 'blake2b512']) {
      for (const f of forms(createHash(alg).update(v, 'utf8').digest())) {
        if (text.includes(f.slice(0, 20))) found.push(`${alg}(${v})`);
      }
    }
    if (text.toLowerCase().includes(v.toLowerCase()) && v.length > 3) found.push(`plaintext ${v}`);
  }
  t.same(found, [], 'no plain or unkeyed-hashed identifier in the encoded file');
});

t.test('fingerprint covers the schema, not the secret', async (t) => {
  const dir = t.testdir({});
  const rows = [['P1', 'Ann', 'Lee', '01/01/1990', 'F', 'E1 6AN']];
  const fp = async (schemaJson: unknown, secret = SECRET) =>
    (await encode(dir, rows, { header: SHORT, schemaJson, secret })).header.schema.fingerprint;
  const base = await fp(withHardening([]));
  t.equal(await fp(withHardening([]), OTHER_SECRET), base, 'another secret: same fingerprint');
  t.equal(
    await fp(withHardening([], { description: 'words only' })),
    base,
    'the description changes no bit and not the fingerprint',
  );
  const changed = [
    withHardening([{ step: 'balance' }]),
    withHardening([], { clkBits: 2048 }),
    withHardening([], { version: 2 }),
    withHardening([], { fields: UK_PERSON_JSON.fields.map((f, i) => (i === 0 ? { ...f, clkBitsPerToken: 9 } : f)) }),
    withHardening([], {
      fields: UK_PERSON_JSON.fields.map((f, i) => (i === 1 ? { ...f, tokens: { kind: 'name', q: 3 } } : f)),
    }),
    withHardening([], { blockingKeys: [] }),
  ];
  const fps = await Promise.all(changed.map((s) => fp(s)));
  t.equal(new Set([base, ...fps]).size, changed.length + 1, 'each schema change gives a new fingerprint');
  const missingPostcode = await encode(
    dir,
    rows.map((r) => r.slice(0, 5)),
    { header: SHORT.slice(0, 5), schemaJson: withHardening([]) },
  );
  t.equal(
    missingPostcode.header.schema.fingerprint,
    base,
    'an agency without a postcode column keeps the schema fingerprint, so it still links with the others',
  );
  t.same(
    missingPostcode.header.schema.fields,
    ['given_name', 'surname', 'dob', 'sex'],
    'the header lists the fields it holds',
  );
  const builtIn = await encode(dir, rows, { header: SHORT });
  t.match(builtIn.header.schema.fingerprint, /^sha256:[0-9a-f]{64}$/);
});

t.test('bad rows are reported with row numbers and never encoded; fail mode leaves nothing behind', async (t) => {
  const dir = t.testdir({});
  const rows = [
    ['R1', 'Ann', 'Lee', '01/01/1990', 'F', 'E1 6AN'],
    ['R2', 'Bob', 'Ray', '31/02/1990', 'M', 'E1 6AN'],
    ['R3', 'Cat', 'Day', '01/01/1990', 'F', 'QQ1 1AA'],
    ['R4', 'Dan', 'Fox', '01/01/1990', 'X', 'E1 6AN'],
    ['', 'Eve', 'Gil', '01/01/1990', 'F', 'E1 6AN'],
    ['R6', '', '', '', '', ''],
    ['R7', 'Fay', 'Hu', '2/2/1990', 'F', 'e16an'],
  ];
  const rejectsFile = join(dir, 'rejects.csv');
  const r = await encode(dir, rows, { header: SHORT, onInvalid: 'skip', rejectsFile });
  t.equal(r.summary.rows, 7);
  t.equal(r.summary.encoded, 2);
  t.same(
    r.summary.rejectedRows.map((x) => [x.row, x.line]),
    [
      [2, 3],
      [3, 4],
      [4, 5],
      [5, 6],
      [6, 7],
    ],
    'row and line numbers of each bad row',
  );
  t.match(r.summary.rejectedRows[0]!.reason, /^dob: date of birth does not exist/);
  t.match(r.summary.rejectedRows[1]!.reason, /^postcode: /);
  t.match(r.summary.rejectedRows[2]!.reason, /^sex: /);
  t.match(r.summary.rejectedRows[3]!.reason, /record_id: empty record id/);
  t.match(r.summary.rejectedRows[4]!.reason, /every identifier is empty/);
  t.equal(
    Object.values(r.summary.rejected).reduce((a, b) => a + b, 0),
    5,
  );
  t.equal(
    readFileSync(rejectsFile, 'utf8').trim().split('\n').length,
    6,
    'rejects file: header + one line per bad row',
  );
  t.notMatch(readFileSync(rejectsFile, 'utf8'), /QQ1|Bob|Ray/, 'reasons never quote the values');
  t.same([...readTokenMap(r.out + '.tokens.csv').values()], ['R1', 'R7']);

  const out = join(dir, 'fail.enc');
  const input = join(dir, 'fail.csv');
  writeFileSync(input, csvText(rows, SHORT));
  await rejectsWith(
    t,
    encodeCsv({
      input,
      out,
      secret: SECRET,
      schema: 'uk-person',
      map: {},
      idColumn: 'record_id',
      ignore: [],
      onInvalid: 'fail',
      threads: 1,
    }),
    [/line 3: dob: date of birth does not exist.*\(data row 2;/],
    'fail mode',
  );
  t.notOk(
    existsSync(out) ||
      existsSync(`${out}.part`) ||
      existsSync(`${out}.tokens.csv`) ||
      existsSync(`${out}.tokens.csv.part`),
    'no partial output kept',
  );
});

t.test('custom schema files are validated with errors naming the path', async (t) => {
  const dir = t.testdir({});
  const rows = [['V1', 'Ann', 'Lee', '01/01/1990', 'F', 'E1 6AN']];
  const cases: [unknown, RegExp][] = [
    [
      withHardening([], { fields: [{ ...UK_PERSON_JSON.fields[0], filter: { bits: 100, bitsPerToken: 8 } }] }),
      /fields\[0\]\.filter\.bits: must be a multiple of 16/,
    ],
    [
      withHardening([], { fields: [{ ...UK_PERSON_JSON.fields[2], tokens: { kind: 'name' } }] }),
      /fields\[0\]\.tokens\.kind: "name" tokens need the given_name or surname normaliser/,
    ],
    [
      withHardening([
        { step: 'balance' },
        { step: 'salt', from: { field: 'dob', transform: 'year' }, fields: ['surname'] },
      ]),
      /hardening\[1\]: salt must be the first hardening step/,
    ],
    [
      withHardening([], { blockingKeys: [{ name: 'x', parts: [{ field: 'nope', transform: 'value' }] }] }),
      /blockingKeys\[0\]\.parts\[0\]\.field: names "nope"/,
    ],
    [withHardening([], { format: 'clkhash' }), /format: must be "blindlink-encoding-schema"/],
    [withHardening([], { clkBits: 1024, extra: 1 }), /\(top\): unknown property "extra"/],
  ];
  for (const [schemaJson, pattern] of cases) {
    await rejectsWith(
      t,
      encode(dir, rows, { header: SHORT, schemaJson }),
      [/schema\d+\.json: /, pattern],
      String(pattern),
    );
  }
  await t.rejects(encode(dir, rows, { header: SHORT, schema: 'no-such-schema' }), /unknown schema "no-such-schema"/);
  const mapped = await encode(dir, [['V1', 'Ann', 'Lee', '01/01/1990']], {
    header: ['record_id', 'FORENAME', 'surname', 'DATE_OF_BIRTH'],
    map: { given_name: 'FORENAME', dob: 'DATE_OF_BIRTH' },
  });
  t.same(mapped.header.schema.fields, ['given_name', 'surname', 'dob'], '--map takes fields from other columns');
});

t.test('output order and token map stay consistent across threads', async (t) => {
  const dir = t.testdir({});
  const given = ['Ann', 'Bob', 'Cat', 'Dan', 'Eve', 'Fay', 'Gus', 'Hal'];
  const rows: string[][] = [];
  for (let i = 0; i < 3000; i++) {
    const bad = i % 250 === 7;
    rows.push([
      `ID${i}`,
      given[i % 8]!,
      `Surname${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + (((i / 26) | 0) % 26))}`,
      bad ? '30/02/1990' : `${1 + (i % 28)}/${1 + (i % 12)}/${1930 + (i % 80)}`,
      i % 2 ? 'M' : 'F',
      'E1 6AN',
    ]);
  }
  const one = await encode(dir, rows, { header: SHORT, threads: 1, onInvalid: 'skip' });
  const pool = await encode(dir, rows, { header: SHORT, threads: 3, batchRows: 100, onInvalid: 'skip' });
  t.equal(pool.summary.threads, 3);
  t.equal(one.records.length, 3000 - 12);
  const strip = (r: Rec) => ({ clk: r.clk, fields: r.fields, blocks: r.blocks });
  t.same(pool.records.map(strip), one.records.map(strip), 'same encodings in the same order with a worker pool');
  t.same(
    pool.summary.rejectedRows.map((r) => r.row),
    one.summary.rejectedRows.map((r) => r.row),
  );
  const map = readTokenMap(pool.out + '.tokens.csv');
  t.same(
    [...map.keys()],
    pool.records.map((r) => r.token),
    "token map lists the records' tokens in file order",
  );
  t.same(
    [...map.values()],
    rows.filter((_, i) => i % 250 !== 7).map((r) => r[0]),
    "and maps them to the agency's ids in input order",
  );
  t.equal(new Set(pool.records.map((r) => r.token)).size, pool.records.length, 'row tokens are unique');
  t.equal(pool.header.recordCount, pool.records.length);
  t.equal(readEncodedFile(pool.out).body.records.length, pool.records.length, 'the padded header reads back');
});
