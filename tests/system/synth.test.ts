// Tests for the synthetic UK population generator (tools/synth, @blindlink/synth).
import t from 'tap';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { csvField } from '@blindlink/agency-client';
import {
  AGENCIES,
  AGENCY_PROFILES,
  ageAt,
  DEFAULT_ERROR_RATES,
  DEFAULT_POPULATION_RATES,
  formatDate,
  generateDataset,
  generatePopulation,
  isTestRangeNhsNumber,
  isValidNhsNumber,
  isValidPostcode,
  nhsCheckDigit,
  NhsNumberAllocator,
  parseIsoDate,
  Prng,
  randomPostcode,
  synthCommand,
} from '@blindlink/synth';
import type { Agency, ErrorRates, Household, SynthRecord } from '@blindlink/synth';
import { ROOT, run } from '../helpers/processes.js';

const SYNTH_BIN = join(ROOT, 'tools/synth/bin/blindlink-synth.js');

type Row = Record<string, string>;

const REF = parseIsoDate('2025-03-31');
const quiet = { info: (): void => {} };

async function readCsv(path: string): Promise<Row[]> {
  return parse(await readFile(path, 'utf8'), { columns: true, skip_empty_lines: true }) as Row[];
}

async function tempDir(label: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `synth-${label}-`));
}

/** Materialise a dataset in memory (mid-size N only). */
function collect(
  persons: number,
  seed: string,
  errorRates?: Partial<ErrorRates>,
): { households: Household[]; records: SynthRecord[] } {
  const households: Household[] = [];
  const records: SynthRecord[] = [];
  for (const ev of generateDataset(persons, seed, errorRates ? { errorRates } : {})) {
    if (ev.kind === 'household') households.push(ev.household);
    else records.push(ev.record);
  }
  return { households, records };
}

const ZERO_RATES: ErrorRates = Object.fromEntries(
  Object.keys(DEFAULT_ERROR_RATES).map((k) => [k, 0]),
) as unknown as ErrorRates;

t.test('PRNG is seeded and never Math.random', async (t) => {
  const a = Prng.fromSeed('s1', 'x');
  const b = Prng.fromSeed('s1', 'x');
  const c = Prng.fromSeed('s2', 'x');
  const d = Prng.fromSeed('s1', 'y');
  const sa = Array.from({ length: 50 }, () => a.nextUint32());
  t.same(
    Array.from({ length: 50 }, () => b.nextUint32()),
    sa,
    'same seed and label, same stream',
  );
  t.not(Array.from({ length: 50 }, () => c.nextUint32()).join(), sa.join(), 'different seed differs');
  t.not(Array.from({ length: 50 }, () => d.nextUint32()).join(), sa.join(), 'different label differs');
  const original = Math.random;
  Math.random = () => {
    throw new Error('Math.random used');
  };
  try {
    let n = 0;
    for (const ev of generateDataset(300, 'no-math-random')) if (ev.kind === 'record') n++;
    t.ok(n > 0, 'generation runs without Math.random');
  } finally {
    Math.random = original;
  }
  // Uniformity sanity: mean of 20,000 draws near 0.5.
  const r = Prng.fromSeed('u');
  let sum = 0;
  for (let i = 0; i < 20000; i++) sum += r.next();
  t.ok(Math.abs(sum / 20000 - 0.5) < 0.01, 'uniform mean');
});

t.test('CSV quoting', async (t) => {
  t.equal(csvField('plain'), 'plain');
  t.equal(csvField('12 Station Road, Anytown'), '"12 Station Road, Anytown"');
  t.equal(csvField('say "hi"'), '"say ""hi"""');
  t.equal(csvField(' leading'), '" leading"');
  t.equal(csvField('trailing  '), '"trailing  "');
  t.equal(csvField('two\nlines'), '"two\nlines"');
  t.equal(csvField("O'Neill"), "O'Neill");
});

t.test('NHS numbers: modulus 11 and the 999 test range', async (t) => {
  t.equal(nhsCheckDigit('943476591'), 9, 'published example 943 476 5919');
  t.ok(isValidNhsNumber('9434765919'));
  t.notOk(isValidNhsNumber('9434765918'), 'wrong check digit');
  t.notOk(isValidNhsNumber('943476591'), 'too short');
  t.notOk(isTestRangeNhsNumber('9434765919'), 'valid but outside the test range');
  // Exhaust the allocator: every valid body in the range exactly once, then null.
  const alloc = new NhsNumberAllocator([1, 2, 3, 4]);
  const seen = new Set<string>();
  let bad = 0;
  for (;;) {
    const n = alloc.next();
    if (n === null) break;
    if (!isTestRangeNhsNumber(n)) bad++;
    seen.add(n);
  }
  t.equal(bad, 0, 'all allocated numbers valid and in the 999 range');
  let capacity = 0;
  for (let v = 0; v < 1_000_000; v++) if (nhsCheckDigit(`999${String(v).padStart(6, '0')}`) !== null) capacity++;
  t.equal(seen.size, capacity, 'allocator yields each valid test-range number once');
  t.ok(capacity > 900_000 && capacity < 920_000, `capacity ${capacity}`);
});

t.test('postcode format rules', async (t) => {
  for (const pc of ['M1 1AE', 'B33 8TH', 'CR2 6XH', 'DN55 1PT', 'W1A 0AX', 'EC1A 1BB']) t.ok(isValidPostcode(pc), pc);
  for (const pc of [
    'QA1 1AA',
    'VA1 1AA',
    'XA1 1AA',
    'AI1 1AA',
    'AJ1 1AA',
    'AZ1 1AA',
    'AB1 1CA',
    'AB1 1AI',
    'AB1 1AK',
    'AB1 1MA',
    'AB1 1AO',
    'AB1 1VA',
    'AB11AA',
    'ab1 1aa',
    'AB1 AAA',
    'AB123 1AA',
  ]) {
    t.notOk(isValidPostcode(pc), `rejects ${pc}`);
  }
  const rng = Prng.fromSeed('postcodes');
  let invalid = 0;
  for (let i = 0; i < 20000; i++) if (!isValidPostcode(randomPostcode(rng))) invalid++;
  t.equal(invalid, 0, 'random postcodes are all well formed');
});

t.test('byte-identical output for the same seed; different for another seed', async (t) => {
  const a = await tempDir('a');
  const b = await tempDir('b');
  const c = await tempDir('c');
  t.teardown(async () => {
    for (const d of [a, b, c]) await rm(d, { recursive: true, force: true });
  });
  const ra = await synthCommand({ persons: 3000, seed: 'alpha', out: a }, quiet);
  await synthCommand({ persons: 3000, seed: 'alpha', out: b }, quiet);
  await synthCommand({ persons: 3000, seed: 'beta', out: c }, quiet);
  const names = ra.files.map((f) => f.slice(a.length + 1)).sort();
  t.same(
    names,
    [
      'council_tax.csv',
      'dwp.csv',
      'electoral_roll.csv',
      'housing_benefit.csv',
      'manifest.json',
      'nhs_gp.csv',
      'police.csv',
      'probation.csv',
      'schools.csv',
      'truth/households.csv',
      'truth/persons.csv',
      'truth/records.csv',
    ].sort(),
  );
  t.same((await readdir(a)).sort(), (await readdir(b)).sort());
  for (const name of names) {
    const fa = await readFile(join(a, name));
    const fb = await readFile(join(b, name));
    const fc = await readFile(join(c, name));
    t.ok(fa.equals(fb), `${name} identical for the same seed`);
    if (name !== 'manifest.json') t.notOk(fa.equals(fc), `${name} differs for another seed`);
  }
  const manifest = JSON.parse(await readFile(join(a, 'manifest.json'), 'utf8')) as {
    seed: string;
    persons: number;
    version: string;
    counts: Record<string, number>;
    files: { path: string; rows: number }[];
  };
  t.equal(manifest.seed, 'alpha');
  t.equal(manifest.persons, 3000);
  t.match(manifest.version, /^\d+\.\d+\.\d+$/);
  t.equal(manifest.counts.persons, 3000);
  t.same(manifest.counts, ra.counts);
  for (const f of manifest.files) {
    const rows = await readCsv(join(a, f.path));
    t.equal(rows.length, f.rows, `manifest row count for ${f.path}`);
  }
  // The pure iterator agrees with itself too.
  const h1 = [...generatePopulation(500, 'p')].map((h) =>
    JSON.stringify(h, (k, v) => (k === 'liable' || k === 'housingBenefit' ? undefined : v)),
  );
  const h2 = [...generatePopulation(500, 'p')].map((h) =>
    JSON.stringify(h, (k, v) => (k === 'liable' || k === 'housingBenefit' ? undefined : v)),
  );
  t.same(h1, h2, 'generatePopulation is deterministic');
});

t.test('choosing a subset of agencies changes no extract', async (t) => {
  const full = await tempDir('full');
  const part = await tempDir('part');
  t.teardown(async () => {
    await rm(full, { recursive: true, force: true });
    await rm(part, { recursive: true, force: true });
  });
  await synthCommand({ persons: 2000, seed: 'subset', out: full }, quiet);
  const r = await synthCommand({ persons: 2000, seed: 'subset', out: part, agencies: ['police,nhs_gp'] }, quiet);
  t.same(
    Object.keys(r.counts)
      .filter((k) => (AGENCIES as readonly string[]).includes(k))
      .sort(),
    ['nhs_gp', 'police'],
  );
  for (const name of ['police.csv', 'nhs_gp.csv', 'truth/persons.csv', 'truth/households.csv']) {
    t.ok((await readFile(join(full, name))).equals(await readFile(join(part, name))), `${name} unchanged`);
  }
  await t.rejects(synthCommand({ persons: 10, seed: 's', out: part, agencies: ['hmrc'] }, quiet), /unknown agency/);
  await t.rejects(synthCommand({ persons: 0, seed: 's', out: part }, quiet), /persons/);
  await t.rejects(synthCommand({ persons: 10, seed: '', out: part }, quiet), /seed/);
});

t.test('the blindlink-synth command writes the same files, and refuses bad options with a clear line', async (t) => {
  const lib = await tempDir('lib');
  const cli = await tempDir('cli');
  t.teardown(async () => {
    for (const d of [lib, cli]) await rm(d, { recursive: true, force: true });
  });
  await synthCommand({ persons: 200, seed: 'cli', out: lib, agencies: ['nhs_gp'] }, quiet);
  const ok = await run(SYNTH_BIN, ['--persons', '200', '--seed', 'cli', '--out', cli, '--agencies', 'nhs_gp']);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stderr, /synth: wrote 200 persons/);
  for (const name of ['nhs_gp.csv', 'truth/records.csv', 'manifest.json']) {
    t.ok((await readFile(join(lib, name))).equals(await readFile(join(cli, name))), `${name} as the library writes it`);
  }
  const bad = await run(SYNTH_BIN, ['--persons', '10', '--seed', 's', '--out', cli, '--agencies', 'hmrc']);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /^blindlink-synth: error: unknown agency "hmrc"/);
  const zero = await run(SYNTH_BIN, ['--persons', '0', '--seed', 's', '--out', cli]);
  t.not(zero.code, 0);
  t.match(zero.stderr, /--persons must be a whole number/);
});

t.test('files on disk: truth is consistent with the extracts', async (t) => {
  const dir = await tempDir('truth');
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const persons = 6000;
  await synthCommand({ persons, seed: 'truth', out: dir }, quiet);
  const truthPersons = await readCsv(join(dir, 'truth', 'persons.csv'));
  const truthHouseholds = await readCsv(join(dir, 'truth', 'households.csv'));
  const truthRecords = await readCsv(join(dir, 'truth', 'records.csv'));
  t.equal(truthPersons.length, persons);

  const personById = new Map(truthPersons.map((p) => [p.person_id as string, p]));
  t.equal(personById.size, persons, 'person ids unique');
  const sizes = new Map<string, number>();
  for (const p of truthPersons) sizes.set(p.household_id as string, (sizes.get(p.household_id as string) ?? 0) + 1);
  t.equal(sizes.size, truthHouseholds.length, 'every household has persons');
  let sizeMismatch = 0;
  let addressMismatch = 0;
  for (const h of truthHouseholds) {
    if (Number(h.size) !== sizes.get(h.household_id as string)) sizeMismatch++;
  }
  const householdById = new Map(truthHouseholds.map((h) => [h.household_id as string, h]));
  let badNhs = 0;
  let badPostcode = 0;
  const nhsSeen = new Set<string>();
  for (const p of truthPersons) {
    const h = householdById.get(p.household_id as string);
    if (!h || h.address !== p.address || h.postcode !== p.postcode) addressMismatch++;
    if (!isTestRangeNhsNumber(p.nhs_number as string)) badNhs++;
    nhsSeen.add(p.nhs_number as string);
    if (!isValidPostcode(p.postcode as string)) badPostcode++;
  }
  t.equal(sizeMismatch, 0, 'household sizes match persons');
  t.equal(addressMismatch, 0, 'persons live at their household address');
  t.equal(badNhs, 0, 'every NHS number valid and in the 999 test range');
  t.equal(nhsSeen.size, persons, 'NHS numbers unique');
  t.equal(badPostcode, 0, 'every true postcode well formed');
  const perPostcode = truthHouseholds.length / new Set(truthHouseholds.map((h) => h.postcode)).size;
  t.ok(perPostcode > 11 && perPostcode < 19, `about 15 addresses per postcode (${perPostcode.toFixed(1)})`);
  const wards = new Set(truthHouseholds.map((h) => h.ward));
  t.ok(wards.size >= 3 && wards.size <= 12, `a handful of wards (${wards.size})`);

  // Every extract row has exactly one truth record, and every truth record one row.
  const truthByKey = new Map(truthRecords.map((r) => [`${r.agency}|${r.record_id}`, r]));
  t.equal(truthByKey.size, truthRecords.length, 'record ids unique within each agency');
  let rows = 0;
  for (const agency of AGENCIES) {
    const extract = await readCsv(join(dir, `${agency}.csv`));
    rows += extract.length;
    const header = Object.keys(extract[0] ?? {});
    t.same(header, AGENCY_PROFILES[agency].header, `${agency} header`);
    let orphan = 0;
    let wrongHousehold = 0;
    let badId = 0;
    for (const row of extract) {
      const rec = truthByKey.get(`${agency}|${row.record_id}`);
      if (!rec || !personById.has(rec.person_id as string)) {
        orphan++;
        continue;
      }
      if (personById.get(rec.person_id as string)?.household_id !== rec.household_id) wrongHousehold++;
      if (!(row.record_id as string).startsWith(AGENCY_PROFILES[agency].prefix) || /^P\d/.test(row.record_id as string))
        badId++;
    }
    t.equal(orphan, 0, `${agency}: every record maps to a person`);
    t.equal(wrongHousehold, 0, `${agency}: records carry the person's household`);
    t.equal(badId, 0, `${agency}: agency-local record ids`);
  }
  t.equal(rows, truthRecords.length, 'records.csv covers every extract row');
});

t.test('clean records equal the truth; error rates of zero give clean extracts', async (t) => {
  const { households, records } = collect(3000, 'zero', ZERO_RATES);
  const persons = new Map(households.flatMap((h) => h.persons.map((p) => [p.id, { p, h }] as const)));
  let mismatched = 0;
  let checked = 0;
  const allowed = new Set(['stale_surname', 'stale_address', 'missing_dob', 'no_fixed_abode']);
  const unexpected = new Set<string>();
  for (const r of records) {
    for (const v of r.variations) if (!allowed.has(v)) unexpected.add(v);
    // Population facts (maiden name, old address) and systems without a dob are not errors.
    if (r.variations.some((v) => v !== 'missing_dob')) continue;
    const entry = persons.get(r.personId);
    if (!entry) continue;
    const { p, h } = entry;
    const prof = AGENCY_PROFILES[r.agency];
    const v = (col: string): string | undefined => {
      const i = prof.header.indexOf(col);
      return i < 0 ? undefined : r.values[i];
    };
    const legacy = (s: string): string =>
      prof.legacyUpper
        ? s
            .normalize('NFD')
            .replace(/[\u0300-\u036f]/g, '')
            .replace(/Ł/g, 'L')
            .replace(/ł/g, 'l')
            .toUpperCase()
        : s;
    checked++;
    const expectSurname = prof.upperSurname ? p.surname.toUpperCase() : legacy(p.surname);
    if (v('given_name') !== legacy(p.givenName) || v('surname') !== expectSurname) mismatched++;
    const dob = v('dob');
    if (dob !== undefined && dob !== '' && dob !== formatDate(p.dob, prof.dobFormat)) mismatched++;
    const postcode = v('postcode');
    if (postcode !== undefined && postcode !== h.address.postcode) mismatched++;
    const nhs = v('nhs_number');
    if (nhs !== undefined && nhs !== '' && nhs !== p.nhsNumber) mismatched++;
  }
  t.ok(checked > 5000, `checked ${checked} clean records`);
  t.equal(mismatched, 0, 'clean records carry the true identifiers');
  t.same([...unexpected], [], 'no record errors when every rate is zero');
});

t.test('population structure, coverage and error phenomena at mid-size N', async (t) => {
  const N = 20000;
  const { households, records } = collect(N, 'phenomena');
  const people = households.flatMap((h) => h.persons);
  t.equal(people.length, N);
  const age = (dob: number): number => ageAt(dob, REF);

  // Household roles are consistent with ages.
  let roleErrors = 0;
  for (const h of households) {
    const parents = h.persons.filter((p) => p.role === 'head' || p.role === 'partner');
    for (const p of h.persons) {
      const a = age(p.dob);
      if (p.role === 'child' && a > 17) roleErrors++;
      if (p.role === 'adult_child' && a < 18) roleErrors++;
      if (['head', 'partner', 'single', 'sharer', 'grandparent'].includes(p.role) && a < 18) roleErrors++;
      if (p.role === 'child' || p.role === 'adult_child') {
        if (parents.some((q) => (p.dob - q.dob) / 365.25 < 16)) roleErrors++;
      }
    }
  }
  t.equal(roleErrors, 0, 'ages consistent with household roles');
  const share = (f: (a: number) => boolean): number => people.filter((p) => f(age(p.dob))).length / N;
  t.ok(share((a) => a < 16) > 0.13 && share((a) => a < 16) < 0.24, 'children 0–15 roughly a fifth');
  t.ok(share((a) => a >= 65) > 0.12 && share((a) => a >= 65) < 0.25, 'pensioners roughly a fifth');
  const avgSize = N / households.length;
  t.ok(avgSize > 2.1 && avgSize < 2.6, `average household size ${avgSize.toFixed(2)}`);
  t.ok(households.some((h) => h.type === 'single_adult') && households.some((h) => h.type === 'single_pensioner'));
  t.ok(
    people.some((p) => p.expectant),
    'some expectant parents',
  );
  t.ok(
    households.some((h) => h.type === 'couple' && h.persons.some((p) => p.expectant)),
    'expectant couples without children',
  );

  // Names: Unicode, particles, Mc/Mac, hyphenated, transliterations all occur.
  const allNames = people.flatMap((p) => [p.givenName, p.surname]);
  for (const re of [/[âëłóíáéú]/i, /^O'/, /^Mc/, /^Mac/, /-/, /^(Mohammed|Muhammad)$/]) {
    t.ok(
      allNames.some((n) => re.test(n)),
      `names matching ${re}`,
    );
  }

  const by = (agency: Agency): SynthRecord[] => records.filter((r) => r.agency === agency);
  const adults = people.filter((p) => age(p.dob) >= 18).length;
  const er = by('electoral_roll').filter((r) => !r.variations.includes('duplicate')).length / adults;
  t.ok(er > 0.86 && er < 0.94, `electoral roll covers ~90% of adults (${er.toFixed(3)})`);
  const gp = by('nhs_gp').filter((r) => !r.variations.includes('duplicate')).length / N;
  t.ok(gp > 0.95 && gp <= 1, `GP registers nearly everyone (${gp.toFixed(3)})`);
  const schoolAge = people.filter((p) => {
    const a = age(p.dob);
    return a >= 4 && a <= 16;
  });
  const pupilRows = by('schools').filter((r) => !r.variations.includes('duplicate'));
  const pupils = new Set(pupilRows.map((r) => r.personId));
  const schoolCover = pupils.size / schoolAge.length;
  t.ok(schoolCover > 0.8 && schoolCover < 1, `schools cover most children 4–16 (${schoolCover.toFixed(3)})`);
  t.ok(
    people.filter((p) => pupils.has(p.id)).every((p) => age(p.dob) >= 4 && age(p.dob) <= 16),
    'pupils aged 4–16',
  );
  const police = new Set(by('police').map((r) => r.personId)).size / N;
  t.ok(police > 0.005 && police < 0.08, `police hold a small share (${police.toFixed(3)})`);
  const probation = new Set(by('probation').map((r) => r.personId)).size;
  t.ok(probation > 0 && probation < police * N, 'probation smaller than police');
  t.ok(
    by('dwp').every((r) => {
      const p = people.find((x) => x.id === r.personId);
      return p !== undefined && age(p.dob) >= 18 && age(p.dob) <= 65;
    }),
    'DWP claimants are working age',
  );
  t.ok(by('housing_benefit').length > 0, 'housing benefit claims exist');
  t.ok(
    by('police').some((r) => r.values[AGENCY_PROFILES.police.header.indexOf('offence_category')] === 'domestic_abuse'),
    'domestic abuse incidents',
  );

  // Council tax: one row per liable adult per address; SPD fraud households have more adults.
  const ct = by('council_tax').filter((r) => !r.variations.includes('duplicate'));
  const ctPerHousehold = new Map<string, number>();
  for (const r of ct) ctPerHousehold.set(r.householdId, (ctPerHousehold.get(r.householdId) ?? 0) + 1);
  t.equal(ctPerHousehold.size, households.length, 'every address has a council tax account');
  t.ok(
    households.every((h) => ctPerHousehold.get(h.id) === h.liable.length),
    'one row per liable adult',
  );
  const fraud = households.filter((h) => h.spdFraud);
  const multiAdult = households.filter((h) => h.persons.filter((p) => age(p.dob) >= 18).length >= 2).length;
  const fraudRate = fraud.length / multiAdult;
  t.ok(fraudRate > 0.02 && fraudRate < 0.12, `SPD fraud rate ${fraudRate.toFixed(3)}`);
  t.ok(
    fraud.every((h) => h.spdClaimed && h.persons.filter((p) => age(p.dob) >= 18).length >= 2),
    'fraud means more adults live there',
  );
  const spdCol = AGENCY_PROFILES.council_tax.header.indexOf('single_person_discount');
  t.ok(
    ct.filter((r) => fraud.some((h) => h.id === r.householdId)).every((r) => r.values[spdCol] === 'yes'),
    'fraudulent accounts show the discount',
  );

  // School applications, some from false addresses.
  const apps = people.filter((p) => p.pupil?.application);
  t.ok(apps.length > 50, 'school place applications');
  t.ok(
    apps.some((p) => p.pupil?.application?.falseAddress),
    'some applications use a false address',
  );

  // Twins, parent and child with the same name, namesakes.
  const twins = people.filter((p) => p.notes.some((n) => n.startsWith('twin_of=')));
  const births = people.filter((p) => p.role === 'child' || p.role === 'adult_child').length;
  const twinShare = twins.length / 2 / births;
  t.ok(
    twinShare > DEFAULT_POPULATION_RATES.twins / 3 && twinShare < DEFAULT_POPULATION_RATES.twins * 3,
    `twin pairs per child ${twinShare.toFixed(4)}`,
  );
  const byId = new Map(people.map((p) => [p.id, p]));
  t.ok(
    twins.every((p) => {
      const other = byId.get((p.notes.find((n) => n.startsWith('twin_of=')) as string).slice(8));
      return (
        other !== undefined &&
        other.dob === p.dob &&
        other.householdId === p.householdId &&
        other.givenName !== p.givenName
      );
    }),
    'twins share dob and address, not given name',
  );
  const juniors = people.filter((p) => p.notes.some((n) => n.startsWith('same_name_as=')));
  t.ok(
    juniors.length > 0 &&
      juniors.every((p) => {
        const parent = byId.get((p.notes.find((n) => n.startsWith('same_name_as=')) as string).slice(13));
        return (
          parent !== undefined &&
          parent.givenName === p.givenName &&
          parent.surname === p.surname &&
          parent.householdId === p.householdId
        );
      }),
    'parent and child with the same name',
  );
  const namesakes = people.filter((p) => p.notes.some((n) => n.startsWith('namesake_of=')));
  t.ok(
    namesakes.length > 0 &&
      namesakes.every((p) => {
        const other = byId.get((p.notes.find((n) => n.startsWith('namesake_of=')) as string).slice(12));
        return (
          other !== undefined &&
          other.givenName === p.givenName &&
          other.surname === p.surname &&
          other.dob === p.dob &&
          other.householdId !== p.householdId
        );
      }),
    `different people sharing a name and date of birth (${namesakes.length})`,
  );

  // Marriage name changes and moves, with exactly one stale source.
  const changed = people.filter((p) => p.maidenName !== '');
  t.ok(changed.length / N > 0.05, 'surname changes on marriage');
  const staleName = records.filter((r) => r.variations.includes('stale_surname'));
  t.ok(staleName.length > 0, 'a source still holds the maiden name');
  t.ok(
    staleName.every((r) => byId.get(r.personId)?.staleSurnameAgency === r.agency),
    'only the stale source has it',
  );
  const moved = households.filter((h) => h.previousAddress).length / households.length;
  t.ok(Math.abs(moved - DEFAULT_POPULATION_RATES.moved) < 0.02, `moved households ${moved.toFixed(3)}`);
  const staleAddr = records.filter((r) => r.variations.includes('stale_address'));
  const hById = new Map(households.map((h) => [h.id, h]));
  const addrCol = (a: Agency): number => AGENCY_PROFILES[a].header.indexOf('address');
  t.ok(
    staleAddr.length > 0 &&
      staleAddr.every((r) => {
        const h = hById.get(r.householdId);
        const clean =
          r.variations.length === 1 || !r.variations.some((v) => v.includes('address') || v === 'case_whitespace');
        return (
          h?.staleAddressAgency === r.agency &&
          (!clean || r.values[addrCol(r.agency)]?.toUpperCase() === h.previousAddress?.line.toUpperCase())
        );
      }),
    'stale addresses are the previous address, in the one stale source',
  );

  // Per-record error rates near the configured rate × agency quality.
  for (const [tag, rate] of [
    ['typo_given', DEFAULT_ERROR_RATES.typo],
    ['typo_surname', DEFAULT_ERROR_RATES.typo],
    ['duplicate', DEFAULT_ERROR_RATES.duplicate],
    ['postcode_error', DEFAULT_ERROR_RATES.postcode * (1 - DEFAULT_ERROR_RATES.missingPostcode)],
    ['address_format', DEFAULT_ERROR_RATES.addressFormat],
  ] as const) {
    let expected = 0;
    let observed = 0;
    for (const r of records) {
      // duplicates get a forced extra variation
      if (r.variations.includes('duplicate') && tag !== 'duplicate') continue;
      if (r.variations.includes('no_fixed_abode') && (tag === 'postcode_error' || tag === 'address_format')) continue;
      expected += rate * AGENCY_PROFILES[r.agency].quality;
      if (r.variations.includes(tag)) observed++;
    }
    const ratio = observed / expected;
    t.ok(ratio > 0.75 && ratio < 1.3, `${tag}: observed/expected ${ratio.toFixed(2)} (${observed} records)`);
  }
  for (const tag of [
    'nickname',
    'middle_as_given',
    'given_variant',
    'surname_variant',
    'dob_swap',
    'dob_digit',
    'missing_dob',
    'case_whitespace',
    'name_format',
    'forenames_combined',
    'typo_address',
    'missing_postcode',
    'nhs_error',
  ]) {
    t.ok(
      records.some((r) => r.variations.includes(tag)),
      `${tag} occurs`,
    );
  }
  // A duplicate is the same person in the same source twice, and the two rows differ.
  const dups = records.filter((r) => r.variations.includes('duplicate'));
  const key = (r: SynthRecord): string => `${r.agency}|${r.personId}`;
  const groups = new Map<string, SynthRecord[]>();
  for (const r of records) {
    const list = groups.get(key(r));
    if (list) list.push(r);
    else groups.set(key(r), [r]);
  }
  t.ok(
    dups.length > 0 &&
      dups.every((d) => {
        const g = groups.get(key(d)) ?? [];
        return g.length >= 2 && g.some((o) => o !== d && o.values.slice(1).join('|') !== d.values.slice(1).join('|'));
      }),
    'duplicates exist and differ from the original',
  );

  // Date formats follow each agency's convention.
  const formats: Record<string, RegExp> = {
    iso: /^\d{4}-\d{2}-\d{2}$/,
    dmy: /^\d{2}\/\d{2}\/\d{4}$/,
    dmon: /^\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}$/,
  };
  for (const agency of AGENCIES) {
    const prof = AGENCY_PROFILES[agency];
    const col = prof.header.indexOf('dob');
    if (col < 0) continue;
    const re = formats[prof.dobFormat] as RegExp;
    t.ok(
      by(agency).every((r) => r.values[col] === '' || re.test(r.values[col] as string)),
      `${agency} dob format ${prof.dobFormat}`,
    );
  }
});

t.test('configured error rates drive the observed rates', async (t) => {
  const high = collect(4000, 'rates', { typo: 0.2, duplicate: 0.1 }).records;
  const base = high.filter((r) => !r.variations.includes('duplicate'));
  let expected = 0;
  for (const r of base) expected += 0.2 * AGENCY_PROFILES[r.agency].quality;
  const observed = base.filter((r) => r.variations.includes('typo_given')).length;
  t.ok(
    observed / expected > 0.85 && observed / expected < 1.15,
    `typo 0.2 → ratio ${(observed / expected).toFixed(2)}`,
  );
  let expectedDup = 0;
  for (const r of base) expectedDup += 0.1 * AGENCY_PROFILES[r.agency].quality;
  const dups = high.length - base.length;
  t.ok(
    dups / expectedDup > 0.85 && dups / expectedDup < 1.15,
    `duplicate 0.1 → ratio ${(dups / expectedDup).toFixed(2)}`,
  );
});
