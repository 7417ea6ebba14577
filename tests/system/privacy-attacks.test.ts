// The privacy attacks (broker/src/privacy/) against encodings we know to be vulnerable, and against
// encodings with per-record randomness, on a synthetic GP population encoded here with the agency
// client (tests may import both sides). Every attack must succeed somewhere: cluster-then-denoise
// succeeds on the default (version 3) itself, which this test records as a known weakness; the
// salt-split attack undoes a salt by postcode district on version 2's deterministic filters. The
// attacker's background is the broker's shipped table, drawn from another synthetic population (its
// own seed), and a perturbed copy of it.
// To judge another encoding, add a row to CASES: a schema (built-in name or object), an optional
// transform of the encoded records, and what each attack must (or must not) achieve.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { encodeCsv, readTokenMap } from '@blindlink/agency-client';
import { normaliseDob, normaliseGivenName, normaliseSurname } from '@blindlink/agency-client/normalise';
import { synthCommand } from '@blindlink/synth';
import {
  tokenize,
  UK_PERSON_UNHARDENED,
  type EncodingSchema,
  type HardeningSpec,
} from '@blindlink/agency-client/encode';
import type { EncodedHeader, EncodedRecord } from '@blindlink/protocol';
import {
  dateTokens,
  estimateAlignment,
  loadBackground,
  partitionBySalt,
  partitionByYear,
  privacyReport,
  runPrivacyReport,
  wilson,
  type AttackName,
  type Background,
  type OutcomeName,
  type PrivacyReport,
  type PrivacyReportOptions,
  type Truth,
} from '@blindlink/broker/privacy';
import { BROKER_BIN, run } from '../helpers/processes.js';
import { lcg32, seededRandom } from '@blindlink/broker/prng';

const SECRET = new TextEncoder().encode('test secret shared by the agencies, never the broker');
const PERSONS = 15_000;

type Field = 'given_name' | 'surname' | 'full_name' | 'dob';
type Bounds = Partial<Record<OutcomeName, Partial<Record<Field, number>>>>;
interface Case {
  name: string;
  /** A built-in schema name, or a schema object (written to a file for the encoder). */
  schema: string | EncodingSchema;
  /** Applied to the encoded records before the attack (e.g. per-record randomness). */
  transform?: (records: EncodedRecord[]) => EncodedRecord[];
  background?: 'shipped' | 'perturbed';
  attacks: AttackName[];
  /**
   * Floors on the measured top-1 rate: just under what these attacks reach today. Each must also beat
   * the frequency-guessing floor (its excess's interval above 0).
   */
  atLeast?: Bounds;
  /** Ceilings on the measured top-1 rate: what a hardened encoding must hold every attack to. */
  atMost?: Bounds;
  /** Per-record randomness: no two records may share a filter, so exact repeats give nothing. */
  noRepeats?: boolean;
  /** Salt-split: the share of records whose inferred salt group is their true district's at least this. */
  saltGroupPurity?: number;
  /** Salt by year of birth: the share of records whose inferred group's commonest true year is theirs, at least. */
  yearGroupPurity?: number;
}

/** Flip every bit of every field filter with probability p (seeded): per-record randomness. */
function flipBits(p: number, seed: number): (records: EncodedRecord[]) => EncodedRecord[] {
  return (records) => {
    const rand = seededRandom(seed);
    return records.map((r) => {
      const fields: Record<string, string> = {};
      for (const [f, b64] of Object.entries(r.fields ?? {})) {
        const bytes = Buffer.from(b64, 'base64');
        for (let i = 0; i < bytes.length * 8; i++) if (rand() < p) bytes[i >>> 3]! ^= 0x80 >>> (i & 7);
        fields[f] = bytes.toString('base64');
      }
      return { ...r, fields };
    });
  };
}

const DISTRICT_SALT: HardeningSpec = {
  step: 'salt',
  from: { field: 'postcode', transform: 'district' },
  fields: ['given_name', 'surname'],
};

const YEAR_SALT: HardeningSpec = {
  step: 'salt',
  from: { field: 'dob', transform: 'year' },
  fields: ['given_name', 'surname'],
};

const CASES: Case[] = [
  {
    name: 'uk-person version 2, unhardened: every attack succeeds',
    schema: 'uk-person-unhardened',
    attacks: ['frequency', 'mining', 'graph'],
    atLeast: {
      frequency: { given_name: 0.04, surname: 0.08 },
      mining: { given_name: 0.5, surname: 0.35, full_name: 0.2 },
      graph: { given_name: 0.06, surname: 0.015 },
      // Statistics alone cannot label a date's tokens (digits 3, 5, 7, 8 of months and days permute
      // together unseen); the dates of 50 records settle the labels and the rest decodes (76.5%).
      'mining-known-dates': { dob: 0.5 },
    },
  },
  {
    name: 'uk-person version 2 against a perturbed background (noisy counts, a fifth of the names missing)',
    schema: 'uk-person-unhardened',
    background: 'perturbed',
    attacks: ['frequency', 'mining'],
    atLeast: { frequency: { given_name: 0.015 }, mining: { given_name: 0.4, surname: 0.05 } },
  },
  {
    // Balancing hides the popcount, not the bit patterns: complementary position pairs undo it.
    name: 'uk-person version 2 with balance: undone, then mined',
    schema: { ...UK_PERSON_UNHARDENED, id: 'uk-person-balanced', hardening: [{ step: 'balance' }] },
    attacks: ['mining'],
    atLeast: { mining: { given_name: 0.4, surname: 0.2 } },
  },
  {
    name: 'uk-person version 2 with every filter bit flipped with probability 0.25 per record',
    schema: 'uk-person-unhardened',
    transform: flipBits(0.25, 13),
    attacks: ['frequency'],
    noRepeats: true,
  },
  {
    // A salt gives each district its own bit positions, which beats attacks on the whole file; but the
    // postcode filters tell the districts apart, and each district's deterministic filters then fall
    // to the usual attacks. Measured 0.13% of given names by mining the whole file, 70.6% within districts
    // (surnames 47.4%, full names 33.9%; after denoising 35.1% and 30.1%).
    name: 'uk-person version 2 salted by postcode district: split by salt, then mined',
    schema: { ...UK_PERSON_UNHARDENED, id: 'uk-person-district', hardening: [DISTRICT_SALT] },
    attacks: ['mining', 'salt-split'],
    saltGroupPurity: 0.98,
    atMost: { mining: { given_name: 0.01, surname: 0.01 } },
    atLeast: {
      'split-mining': { given_name: 0.5, surname: 0.35, full_name: 0.25 },
      'split-denoise-mining': { given_name: 0.25, surname: 0.2 },
    },
  },
  {
    // A year-of-birth salt hides names from the whole-file attacks, but the blocking tokens that hold the
    // year (surname-soundex+yob) and the dob filters give the years back: 86.1% of records in a group of
    // their year (114 groups), and each year's deterministic filters are mined: measured 6.25% of given
    // names (floor 1.71%), 3.68% of surnames (floor 2.56%), 0.37% of full names; whole-file mining 0.00%.
    name: 'uk-person version 2 salted by year of birth: split by year, then mined',
    schema: { ...UK_PERSON_UNHARDENED, id: 'uk-person-yob', hardening: [YEAR_SALT] },
    attacks: ['mining', 'salt-split'],
    yearGroupPurity: 0.8,
    atMost: { mining: { given_name: 0.01, surname: 0.01 } },
    atLeast: { 'split-mining': { given_name: 0.05, surname: 0.03, full_name: 0.003 } },
  },
  {
    // uk-person-salted: names salted by year of birth on top of the default's flips. The split finds the
    // years from the blocking tokens and the flipped dob filters: 88.9% of records in a group of their year
    // (108 groups). Its attacks within each year (about 140 records, too few for cluster-then-denoise) were
    // measured at or below the floor (docs/privacy-report.md); they take two minutes, so only the partition
    // is checked here, and the exact-repeat attack that flips defeat.
    name: 'uk-person-salted (version 3 + year-of-birth salt): the years are found from tokens and dob filters',
    schema: 'uk-person-salted',
    attacks: ['frequency'],
    noRepeats: true,
    yearGroupPurity: 0.85,
    atMost: { frequency: { given_name: 0.001, surname: 0.001 } },
  },
  {
    // The default: names and date of birth flipped per record by the encoder (docs/encoding.md).
    name: 'uk-person version 3, the default: the single-record attacks fail, cluster-then-denoise does not',
    schema: 'uk-person',
    // salt-split: nothing to split (unsalted), so no rows and a note saying why.
    attacks: ['frequency', 'mining', 'graph', 'denoise', 'clk-mining', 'salt-split'],
    noRepeats: true,
    // The goal is at most 0.1% for every attack and field. Pattern mining still reads given names a
    // little above it on this population (0.2–0.43%; 0.09% on bench:privacy's): a ceiling at what holds
    // today, so that a change that weakens the default fails here (docs/encoding.md).
    atMost: {
      frequency: { given_name: 0.001, surname: 0.001, full_name: 0.001, dob: 0.001 },
      mining: { given_name: 0.006, surname: 0.001, full_name: 0.001, dob: 0.001 },
      graph: { given_name: 0.001, surname: 0.001, full_name: 0.001 },
      'mining-known-dates': { dob: 0.001 },
      'denoise-mining': { dob: 0.001 },
    },
    // Known weakness (issue 13): flips of one value average away over the records that carry it.
    // Measured 19.3% of given names, 12.1% of surnames, 2.9% of full names (denoised, then mined).
    atLeast: {
      'denoise-mining': { given_name: 0.1, surname: 0.06, full_name: 0.01 },
      'denoise-frequency': { given_name: 0.02, surname: 0.05 },
    },
  },
];

/** The shipped background with each count scaled by a factor in [0.5, 1.5) and every fifth name dropped. */
function perturbed(bg: Background): Background {
  const word = lcg32(7);
  const rand = (): number => word() / 4294967296;
  const fields = new Map(
    [...bg.fields].map(([f, vs]) => [
      f,
      vs
        .filter((_, i) => i % 5 !== 2)
        .map((v) => ({ value: v.value, count: v.count * (0.5 + rand()) }))
        .sort((a, b) => b.count - a.count),
    ]),
  );
  return { ...bg, source: `${bg.source} (perturbed)`, fields };
}

const dir = mkdtempSync(join(tmpdir(), 'blindlink-privacy-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** The synthetic GP extract, once, and the truth: each row's normalised values, by row token. */
async function population(): Promise<{ csv: string; ignore: string[] }> {
  await synthCommand(
    { persons: PERSONS, seed: 'privacy-attacked', out: join(dir, 'synth'), agencies: ['nhs_gp'] },
    { info: () => {} },
  );
  const csv = join(dir, 'synth/nhs_gp.csv');
  const header = (readFileSync(csv, 'utf8').split('\n')[0] ?? '').split(',');
  const identifiers = ['record_id', 'given_name', 'surname', 'dob', 'sex', 'address', 'postcode', 'nhs_number'];
  return { csv, ignore: header.filter((h) => !identifiers.includes(h)) };
}

async function encoded(
  spec: string | EncodingSchema,
  pop: { csv: string; ignore: string[] },
): Promise<{ header: EncodedHeader; records: EncodedRecord[]; truth: Truth; district: Map<string, string> }> {
  const schema = typeof spec === 'string' ? spec : join(dir, `${spec.id}.schema.json`);
  if (typeof spec !== 'string') writeFileSync(schema, JSON.stringify(spec));
  const out = join(dir, `${typeof spec === 'string' ? spec : spec.id}.enc`);
  await encodeCsv({
    input: pop.csv,
    out,
    secret: SECRET,
    schema,
    map: {},
    idColumn: 'record_id',
    ignore: pop.ignore,
    onInvalid: 'missing',
  });
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  const rows = new Map(
    (parse(readFileSync(pop.csv), { columns: true }) as Record<string, string>[]).map((r) => [r.record_id!, r]),
  );
  const truth: Truth = new Map();
  const district = new Map<string, string>();
  for (const [token, id] of readTokenMap(`${out}.tokens.csv`)) {
    const row = rows.get(id)!;
    district.set(token, (row.postcode ?? '').trim().toUpperCase().split(/\s+/)[0] ?? '');
    const g = normaliseGivenName(row.given_name ?? '');
    const s = normaliseSurname(row.surname ?? '');
    const d = normaliseDob(row.dob ?? '');
    truth.set(token, {
      ...(g.ok ? { given_name: g.value } : {}),
      ...(s.ok ? { surname: s.value } : {}),
      ...(d.ok ? { dob: d.value } : {}),
    });
  }
  return {
    header: JSON.parse(lines[0]!) as EncodedHeader,
    records: lines.slice(1).map((l) => JSON.parse(l) as EncodedRecord),
    truth,
    district,
  };
}

t.test('Wilson interval and the alignment estimate', async (t) => {
  const w = wilson(0, 100);
  t.equal(w.rate, 0);
  t.ok(w.hi > 0.02 && w.hi < 0.05, 'zero successes still has an upper bound');
  const h = wilson(50, 100);
  t.ok(h.lo > 0.39 && h.lo < 0.41 && h.hi > 0.59 && h.hi < 0.61, 'half: about ±10 points at n = 100');
  const bg = loadBackground().fields.get('surname')!;
  const unique = Array.from({ length: 500 }, (_, i) => `f${i}`);
  t.same(estimateAlignment(unique, bg, 's').rate, 0, 'no two records share a filter: the estimate is 0');
  const repeated = Array.from({ length: 5000 }, (_, i) => `f${i % 40}`);
  t.ok(estimateAlignment(repeated, bg, 's').rate > 0, 'repeated filters: a positive estimate');
});

t.test("the date attack's tokens are the encoder's (the public scheme it reads)", async (t) => {
  for (const raw of ['1985-03-13', '2001-12-01', '1950-02-28', '1999-10-05', '2020-02-29']) {
    const r = normaliseDob(raw);
    if (!r.ok) throw new Error(raw);
    t.same(dateTokens(r.value).sort(), tokenize(r, { kind: 'date' }).sort(), raw);
  }
});

t.test('attacks against known-vulnerable and randomised encodings', async (t) => {
  const pop = await population();
  const shipped = loadBackground();
  const encodings = new Map<string, Awaited<ReturnType<typeof encoded>>>();
  for (const c of CASES) {
    await t.test(c.name, async (t) => {
      const key = typeof c.schema === 'string' ? c.schema : c.schema.id;
      if (!encodings.has(key)) encodings.set(key, await encoded(c.schema, pop));
      const e = encodings.get(key)!;
      const records = c.transform ? c.transform(e.records) : e.records;
      const background = c.background === 'perturbed' ? perturbed(shipped) : shipped;
      const report = privacyReport([{ name: 'gp', header: e.header, records }], {
        background,
        truth: e.truth,
        attacks: c.attacks,
      });
      const field = (f: Field) => report.fields.find((x) => x.field === f)!;
      // The floor, counted here from the truth: how many records hold the background's commonest value.
      for (const f of ['given_name', 'surname'] as const) {
        const top = background.fields.get(f)![0]!.value;
        const filters = records.map((r) => r.fields?.[f] ?? null);
        const n = records.filter((r, i) => filters[i] !== null && e.truth.get(r.token)?.[f] !== undefined).length;
        const k = records.filter((r, i) => filters[i] !== null && e.truth.get(r.token)?.[f] === top).length;
        const floor = field(f).floor?.measured;
        t.same(floor && [floor.k, floor.n], [k, n], `${f}: the floor is the share holding "${top}" (${k}/${n})`);
      }
      for (const [attack, floors] of Object.entries(c.atLeast ?? {}) as [
        OutcomeName,
        Partial<Record<Field, number>>,
      ][]) {
        for (const [f, floor] of Object.entries(floors) as [Field, number][]) {
          const o = field(f).attacks[attack];
          const m = o?.measured;
          t.ok(
            m && m.top1.rate >= floor,
            `${attack} re-identifies ≥ ${floor * 100}% of ${f} (measured ` +
              `${m ? (100 * m.top1.rate).toFixed(1) : '-'}%, n ${m?.top1.n})`,
          );
          t.ok(
            m && m.top1.lo <= m.top1.rate && m.top1.rate <= m.top1.hi && m.top10.rate >= m.top1.rate,
            'with its interval, and top-10 at least top-1',
          );
          const fl = field(f).floor?.measured;
          t.ok(
            o?.excess && fl && Math.abs(o.excess.rate - (m!.top1.rate - fl.rate)) < 0.01 && o.excess.lo > 0,
            `and beats the frequency-guessing floor (excess ${o?.excess ? (100 * o.excess.rate).toFixed(1) : '-'}%, ` +
              `interval above 0)`,
          );
        }
      }
      for (const [attack, ceilings] of Object.entries(c.atMost ?? {}) as [
        OutcomeName,
        Partial<Record<Field, number>>,
      ][]) {
        for (const [f, ceiling] of Object.entries(ceilings) as [Field, number][]) {
          const m = field(f).attacks[attack]?.measured;
          t.ok(
            m && m.top1.rate <= ceiling,
            `${attack} re-identifies at most ${ceiling * 100}% of ${f} (measured ` +
              `${m ? (100 * m.top1.rate).toFixed(3) : '-'}%, ${m ? Math.round(m.top1.rate * m.top1.n) : '-'} ` +
              `of ${m?.top1.n})`,
          );
        }
      }
      if (c.saltGroupPurity !== undefined) {
        // Against the districts the CSV holds: each inferred group counts its commonest district.
        const bits = e.header.fieldFilters!.find((f) => f.field === 'postcode')!.bits;
        const p = partitionBySalt(
          'postcode.district',
          records.map((r) => r.fields?.postcode ?? null),
          bits,
        )!;
        const counts = new Map<string, number>();
        records.forEach((r, i) => {
          const k = `${p.groupOf[i]} ${e.district.get(r.token)}`;
          counts.set(k, (counts.get(k) ?? 0) + 1);
        });
        const top = new Map<number, number>();
        for (const [k, n] of counts) {
          const g = Number(k.split(' ')[0]);
          top.set(g, Math.max(top.get(g) ?? 0, n));
        }
        const purity = [...top.values()].reduce((a, b) => a + b, 0) / records.length;
        const districts = new Set(e.district.values());
        t.ok(
          purity >= c.saltGroupPurity,
          `the salt groups are the districts: ${(100 * purity).toFixed(2)}% of records with their group's ` +
            `commonest district (${p.groups} groups, ${districts.size} districts as written, typos included)`,
        );
      }
      if (c.yearGroupPurity !== undefined) {
        // Against the years the CSV holds (the truth's dates): each inferred group counts its commonest year.
        const p = partitionByYear(
          records.map((r) => r.fields?.dob ?? null),
          e.header.fieldFilters!.find((f) => f.field === 'dob')!.bits,
          records.map((r) => r.blocks),
          'blindlink-privacy-report:salt-year', // the report's own (its default seed)
        )!;
        const counts = new Map<string, number>();
        const size = new Map<number, number>();
        records.forEach((r, i) => {
          const k = `${p.groupOf[i]} ${e.truth.get(r.token)?.dob?.slice(0, 4) ?? '-'}`;
          counts.set(k, (counts.get(k) ?? 0) + 1);
          size.set(p.groupOf[i]!, (size.get(p.groupOf[i]!) ?? 0) + 1);
        });
        const top = new Map<number, number>();
        for (const [k, n] of counts) {
          const g = Number(k.split(' ')[0]);
          top.set(g, Math.max(top.get(g) ?? 0, n));
        }
        const purity = [...top.values()].reduce((a, b) => a + b, 0) / records.length;
        const covered = [...size.values()].filter((n) => n >= 50).reduce((a, b) => a + b, 0) / records.length;
        t.ok(
          purity >= c.yearGroupPurity,
          `the salt groups are years of birth: ${(100 * purity).toFixed(2)}% of records with their group's ` +
            `commonest year (${p.groups} groups, ${(100 * covered).toFixed(1)}% of records in groups of 50 or more)`,
        );
        if (c.attacks.includes('salt-split'))
          t.match(report.notes.join('\n'), /groups of one inferred year of birth/, 'the note says how it split');
      }
      if (c.attacks.includes('salt-split') && !report.inputs[0]!.hardening.some((h) => h.startsWith('salt:'))) {
        t.match(report.notes.join('\n'), /salt-split: the names are not salted/, 'unsalted: the split says why');
        t.notOk(field('given_name').attacks['split-mining'], 'and adds no rows');
      }
      for (const a of c.attacks.filter((x) => x === 'clk-mining'))
        for (const f of ['given_name', 'surname'] as const)
          t.ok(field(f).attacks[a]?.measured, `${a} on ${f}: measured (${field(f).attacks[a]?.measured?.top1.rate})`);
      if (c.noRepeats) {
        for (const f of ['given_name', 'surname', 'full_name', 'dob'] as const) {
          const x = report.fields.find((r) => r.field === f)!;
          t.equal(x.groups.repeatedShare, 0, `${f}: no two records share a filter`);
          t.equal(x.groups.distinct, x.groups.records, `${f}: every group has one record`);
          if (x.attacks.frequency) {
            t.equal(x.attacks.frequency.estimated!.rate, 0, `${f}: the no-truth estimate is 0`);
            t.ok(
              x.attacks.frequency.measured!.top1.rate < 0.002,
              `${f}: alignment re-identifies next to no one (` +
                `${(100 * x.attacks.frequency.measured!.top1.rate).toFixed(2)}%)`,
            );
          }
        }
      } else {
        // A year salt gives each name about a hundred encodings: fewer repeats (48.97% measured), still many.
        const repeats = c.yearGroupPurity === undefined ? 0.5 : 0.3;
        t.ok(field('given_name').groups.repeatedShare > repeats, 'deterministic filters repeat');
      }
    });
  }
});

t.test('blindlink-broker privacy-report: text, JSON with a reproducible digest, and bad input', async (t) => {
  const pop = { csv: join(dir, 'small.csv'), ignore: [] as string[] };
  const rows = ['record_id,given_name,surname,dob,sex'];
  const given = ['Olivia', 'Oliver', 'Amelia', 'George', 'Isla', 'Harry'];
  const surnames = ['Smith', 'Jones', 'Taylor', 'Brown', 'Khan'];
  for (let i = 0; i < 300; i++)
    rows.push(
      `R${i},${given[(i * 7) % 6]},${surnames[(i * 3) % 5]},${1950 + (i % 50)}-0${1 + (i % 9)}-1${i % 10},` +
        `${i % 2 ? 'F' : 'M'}`,
    );
  writeFileSync(pop.csv, rows.join('\n') + '\n');
  const e = await encoded('uk-person', pop);
  const file = join(dir, 'uk-person.enc');
  const truthCsv = join(dir, 'truth.csv');
  writeFileSync(
    truthCsv,
    [
      'token,field,value',
      ...[...e.truth].flatMap(([tok, v]) => Object.entries(v).map(([f, x]) => `${tok},${f},${x}`)),
    ].join('\n') + '\n',
  );

  const text = await run(BROKER_BIN, ['privacy-report', file]);
  t.equal(text.code, 0, text.stderr);
  t.match(text.stdout, /no truth given: no rate below is measured/, 'says nothing is measured without truth');
  t.match(text.stdout, /estimated top-1/, 'estimates the alignment');
  t.match(text.stdout, /attacker's own confidence \(not measured\)/, 'labels the confidence for what it is');
  t.match(text.stdout, /digest sha256:[0-9a-f]{64}/);

  const json = await run(BROKER_BIN, ['privacy-report', file, '--json', '--truth', truthCsv]);
  t.equal(json.code, 0, json.stderr);
  const report = JSON.parse(json.stdout) as PrivacyReport;
  t.equal(report.truth?.rows, 300);
  const inProcess = privacyReport([{ name: 'uk-person', header: e.header, records: e.records }], {
    background: loadBackground(),
    truth: e.truth,
  });
  t.equal(report.digest, inProcess.digest, 'the digest is reproducible: the same files give the same report');
  t.ok(report.fields.find((f) => f.field === 'given_name')!.attacks.frequency!.measured, 'with truth: measured rates');

  // One bad input through the command line (exit code and error line); the rest in-process, the same code.
  const notJson = join(dir, 'bad.enc');
  writeFileSync(notJson, 'not json\n');
  const bad = await run(BROKER_BIN, ['privacy-report', notJson]);
  t.equal(bad.code, 1, 'a bad file: exit 1');
  t.match(
    bad.stderr,
    /^blindlink-broker: error: .*bad\.enc line 1: not JSON$/m,
    'one error line naming the file and line',
  );
  t.equal(bad.stdout, '', 'and no report');
  const fails = (args: string[], opts: PrivacyReportOptions, message: RegExp) =>
    t.throws(() => runPrivacyReport(args, opts), message, message.source);
  fails([join(dir, 'missing.enc')], {}, /cannot read encoded file .*missing\.enc: ENOENT/);
  const truncated = join(dir, 'short.enc');
  writeFileSync(truncated, readFileSync(file, 'utf8').split('\n').slice(0, 10).join('\n') + '\n');
  fails([truncated], {}, /header says 300 records but the file holds 9/);
  const badBackground = join(dir, 'bg.csv');
  writeFileSync(badBackground, 'field,value,count\ngiven_name,Olivia,3\n');
  fails([file], { background: badBackground }, /bg\.csv line 2: value must be normalised/);
  fails([file], { attacks: 'frequency,rainbow' }, /unknown attack "rainbow"/);
  const strangers = join(dir, 'strangers.csv');
  writeFileSync(strangers, 'token,field,value\nAAAAAAAAAAAAAAAAAAAAAA,given_name,olivia\n');
  fails([file], { truth: strangers }, /names none of the row tokens/);
  fails([file, file], {}, /two inputs share the source name/);
});
