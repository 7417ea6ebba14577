/**
 * `npm run bench:privacy [-- --quick]`: the privacy attacks (broker/src/privacy/) against each
 * hardening option, beside the linkage quality that option leaves. The attacked file is the synthetic
 * NHS GP extract (the attacker holds only it, the public scheme and the broker's shipped background,
 * drawn from another population); re-identification is top-1, measured against the generator's truth.
 * F1: council tax × NHS GP (as bench:quality computes it) and FEBRL4 with every column a field filter.
 * Figures, not assertions. --quick: fewer persons and no FEBRL (tens of seconds); --only NAME[,NAME]:
 * the options whose name contains one of them (e.g. --only balance). BENCH_PRIVACY_PERSONS=N sets the
 * population: cluster-then-denoise needs many records per value (it gains nothing at 5,000 persons).
 * --error-model independent: the generator's second error model (F1 and the attacked extract).
 * BENCH_PRIVACY_DEBUG=1 prints the linkage model's reasoning per option; BENCH_PRIVACY_DENOISE_SAMPLE=N
 * gives cluster-then-denoise N filters to find clusters in (default 2,000); BENCH_PRIVACY_SEED another
 * population. The merged-filter options (issue 13: no stand-alone name filter, so that records cluster
 * per person rather than per name) are modelled after encoding (mergeFile) and attacked with the merged
 * filter standing for each field merged into it.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parse } from 'csv-parse/sync';
import {
  UK_PERSON,
  UK_PERSON_SALTED,
  UK_PERSON_UNHARDENED,
  type EncodingSchema,
  type HardeningSpec,
} from '@blindlink/agency-client/encode';
import { normaliseDob, normaliseGivenName, normaliseSurname } from '@blindlink/agency-client/normalise';
import { readTokenMap } from '@blindlink/agency-client';
import {
  loadBackground,
  privacyReport,
  type FieldReport,
  type OutcomeName,
  type PrivacyReport,
  type Rate,
  type Truth,
} from '@blindlink/broker/privacy';
import { seededRandom } from '@blindlink/broker/prng';
import type { ErrorModelName } from '@blindlink/synth';
import type { EncodedHeader, EncodedRecord } from '@blindlink/protocol';
import { encodeAgencies, febrlFieldLevel, linkAgencies, ROOT, synthAgencies } from './quality.js';

const QUICK = process.argv.includes('--quick');
const PERSONS = Number(process.env.BENCH_PRIVACY_PERSONS) || (QUICK ? 5_000 : 10_000);
/** The synthetic population's seed (BENCH_PRIVACY_SEED), to repeat a measurement on another population. */
const SEED = process.env.BENCH_PRIVACY_SEED || 'bench-privacy';
const WORK = join(tmpdir(), `blindlink-bench-privacy-${process.pid}`);
const AGENCIES = ['council_tax', 'nhs_gp'];
const ERROR_MODEL = process.argv.includes('--error-model')
  ? (process.argv[process.argv.indexOf('--error-model') + 1] as ErrorModelName)
  : 'own';
const ONLY = process.argv.includes('--only')
  ? (process.argv[process.argv.indexOf('--only') + 1] ?? '').split(',')
  : null;

const SALT: HardeningSpec = {
  step: 'salt',
  from: { field: 'dob', transform: 'year' },
  fields: ['given_name', 'surname'],
};

/** A hardening option: schema steps, and optionally bits flipped at random after encoding. */
interface HardeningOption {
  name: string;
  /** The schema the steps apply to; default uk-person version 2 (256-bit name filters, unhardened). */
  base?: EncodingSchema;
  hardening: HardeningSpec[];
  /** Every bit of every filter (field filters and CLK) flipped after encoding, undeclared to the broker. */
  flip?: number;
  /** FEBRL4's steps when they differ (its postcode is plain text: no district). */
  febrlHardening?: HardeningSpec[];
  /**
   * Issue 13's candidate (a), modelled after encoding: these fields' (unflipped) filters are merged into one
   * per-record filter and flipped, and their stand-alone filters dropped, so a name can only be compared
   * together with the person's other merged attributes (see mergeFile).
   */
  merge?: MergeSpec;
}

interface MergeSpec {
  /** The merged filter's field name. */
  into: string;
  fields: string[];
  flip: number;
  /**
   * `concat` (default): each field its own segment, positions permuted (a bit still belongs to one field,
   * which an attacker might work out from correlations); `shared`: the fields' filters (of one length,
   * each hashed with its own key) OR-ed, as if every field's tokens were hashed into one filter, so a
   * position is set by tokens of every field.
   */
  layout?: 'concat' | 'shared';
}

const FLIP = (probability: number): HardeningSpec => ({
  step: 'flip',
  probability,
  fields: ['given_name', 'surname', 'dob'],
});

/** The options compared: version 2 filters with each step, and the default, uk-person version 3. */
export const OPTIONS: HardeningOption[] = [
  { name: 'none (uk-person v2)', hardening: [] },
  { name: 'uk-person-salted', hardening: [SALT] },
  { name: 'balance', hardening: [{ step: 'balance' }] },
  { name: 'xor-fold', hardening: [{ step: 'xor-fold' }] },
  { name: 'salt + xor-fold', hardening: [SALT, { step: 'xor-fold' }] },
  { name: 'bit flips 5%, undeclared', hardening: [], flip: 0.05 },
  { name: 'bit flips 15%, undeclared', hardening: [], flip: 0.15 },
  { name: 'bit flips 25%, undeclared', hardening: [], flip: 0.25 },
  { name: 'flip 0.1 (names, dob)', hardening: [FLIP(0.1)] },
  { name: 'flip 0.2 (names, dob)', hardening: [FLIP(0.2)] },
  { name: 'uk-person v3 (default): flip 0.2, 1024-bit', base: UK_PERSON, hardening: UK_PERSON.hardening },
  // Hardening of v3 against cluster-then-denoise (which needs many records per value): fewer records
  // share a salted value, and stronger flips blur the clusters.
  { name: 'v3 + salt names by year of birth', base: UK_PERSON, hardening: UK_PERSON_SALTED.hardening },
  {
    name: 'v3 + salt names by date of birth',
    base: UK_PERSON,
    hardening: [{ ...SALT, from: { field: 'dob', transform: 'value' } }, ...UK_PERSON.hardening],
  },
  {
    name: 'v3 + salt names by postcode district',
    base: UK_PERSON,
    hardening: [{ ...SALT, from: { field: 'postcode', transform: 'district' } }, ...UK_PERSON.hardening],
    // An Australian postcode covers a suburb or town: nearer a UK district than a unit.
    febrlHardening: [{ ...SALT, from: { field: 'postcode', transform: 'value' } }, ...UK_PERSON.hardening],
  },
  { name: 'v3 with flip 0.25', base: UK_PERSON, hardening: [FLIP(0.25)] },
  { name: 'v3 with flip 0.30', base: UK_PERSON, hardening: [FLIP(0.3)] },
  { name: 'v3 with flip 0.35', base: UK_PERSON, hardening: [FLIP(0.35)] },
  // Issue 13 candidate (a): no stand-alone name or date-of-birth filter, so records cluster per person.
  {
    name: 'identity filter: names + dob merged, flip 0.2',
    base: UK_PERSON,
    hardening: [],
    merge: { into: 'identity', fields: ['given_name', 'surname', 'dob'], flip: 0.2 },
  },
  {
    name: 'identity filter unflipped (diagnostic)',
    base: UK_PERSON,
    hardening: [],
    merge: { into: 'identity', fields: ['given_name', 'surname', 'dob'], flip: 0 },
  },
  {
    name: 'full-name filter: given + surname merged, flip 0.2; dob alone, flip 0.2',
    base: UK_PERSON,
    hardening: [{ step: 'flip', probability: 0.2, fields: ['dob'] }],
    merge: { into: 'full_name', fields: ['given_name', 'surname'], flip: 0.2 },
  },
  {
    name: 'full-name filter, 2 × 2048 bits, 48 bits a token: merged, flip 0.2; dob alone, flip 0.2',
    base: {
      ...UK_PERSON,
      fields: UK_PERSON.fields.map((f) =>
        f.name === 'given_name' || f.name === 'surname' ? { ...f, filter: { bits: 2048, bitsPerToken: 48 } } : f,
      ),
    },
    hardening: [{ step: 'flip', probability: 0.2, fields: ['dob'] }],
    merge: { into: 'full_name', fields: ['given_name', 'surname'], flip: 0.2 },
  },
  {
    name: 'full-name filter, shared 2048 bits (both names hashed into it), flip 0.2; dob alone, flip 0.2',
    base: {
      ...UK_PERSON,
      fields: UK_PERSON.fields.map((f) =>
        f.name === 'given_name' || f.name === 'surname' ? { ...f, filter: { bits: 2048, bitsPerToken: 24 } } : f,
      ),
    },
    hardening: [{ step: 'flip', probability: 0.2, fields: ['dob'] }],
    merge: { into: 'full_name', fields: ['given_name', 'surname'], flip: 0.2, layout: 'shared' },
  },
  {
    name: 'full-name filter, shared 4096 bits at 48 bits a token, flip 0.2; dob alone, flip 0.2',
    base: {
      ...UK_PERSON,
      fields: UK_PERSON.fields.map((f) =>
        f.name === 'given_name' || f.name === 'surname' ? { ...f, filter: { bits: 4096, bitsPerToken: 48 } } : f,
      ),
    },
    hardening: [{ step: 'flip', probability: 0.2, fields: ['dob'] }],
    merge: { into: 'full_name', fields: ['given_name', 'surname'], flip: 0.2, layout: 'shared' },
  },
  {
    name: 'full-name filter, shared 2048 bits (both names hashed into it), flip 0.25; dob alone, flip 0.2',
    base: {
      ...UK_PERSON,
      fields: UK_PERSON.fields.map((f) =>
        f.name === 'given_name' || f.name === 'surname' ? { ...f, filter: { bits: 2048, bitsPerToken: 24 } } : f,
      ),
    },
    hardening: [{ step: 'flip', probability: 0.2, fields: ['dob'] }],
    merge: { into: 'full_name', fields: ['given_name', 'surname'], flip: 0.25, layout: 'shared' },
  },
  {
    name: 'full-name filter: given + surname merged, flip 0.25; dob alone, flip 0.2',
    base: UK_PERSON,
    hardening: [{ step: 'flip', probability: 0.2, fields: ['dob'] }],
    merge: { into: 'full_name', fields: ['given_name', 'surname'], flip: 0.25 },
  },
];

function schemaFile(dir: string, base: EncodingSchema | string, id: string, hardening: HardeningSpec[]): string {
  const schema =
    typeof base === 'string' ? (JSON.parse(readFileSync(base, 'utf8')) as Record<string, unknown>) : { ...base };
  const file = join(dir, `${id}.schema.json`);
  writeFileSync(file, JSON.stringify({ ...schema, id, hardening }));
  return file;
}

/** Flips every bit of every filter of an encoded file with probability p (seeded, reproducible). */
function flipFile(p: number, seed: number): (file: string) => void {
  return (file) => {
    const rand = seededRandom(seed);
    const flip = (b64: string): string => {
      const bytes = Buffer.from(b64, 'base64');
      for (let i = 0; i < bytes.length * 8; i++) if (rand() < p) bytes[i >>> 3]! ^= 0x80 >>> (i & 7);
      return bytes.toString('base64');
    };
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const out = [lines[0]!];
    for (const l of lines.slice(1)) {
      const r = JSON.parse(l) as EncodedRecord;
      out.push(
        JSON.stringify({
          ...r,
          clk: flip(r.clk),
          ...(r.fields ? { fields: Object.fromEntries(Object.entries(r.fields).map(([f, v]) => [f, flip(v)])) } : {}),
        }),
      );
    }
    writeFileSync(file, out.join('\n') + '\n');
  };
}

/**
 * Merges the listed fields' filters of every record into one: their segments concatenated (a field the
 * record lacks contributes an empty segment) and permuted, then every bit flipped with the spec's
 * probability; the stand-alone filters are dropped and the header declares the merged filter (personal,
 * flipped) in their place. This is what an encoder hashing each field's tokens into its own keyed segment of
 * one filter, positions interleaved by a keyed permutation, would write. The permutation and the flips are
 * seeded here (keyed by the secret in an encoder): the attacks use neither.
 */
function mergeFile(spec: MergeSpec, seed: number): (file: string) => void {
  return (file) => {
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const header = JSON.parse(lines[0]!) as EncodedHeader;
    const specs = header.fieldFilters ?? [];
    const parts = spec.fields.map((f) => specs.find((x) => x.field === f)).filter((x) => x !== undefined);
    const shared = spec.layout === 'shared';
    if (shared && new Set(parts.map((x) => x.bits)).size > 1)
      throw new Error('shared layout: filters differ in length');
    const bits = shared ? parts[0]!.bits : parts.reduce((a, x) => a + x.bits, 0);
    const rand = seededRandom(seed);
    const perm = Array.from({ length: bits }, (_, i) => i);
    for (let i = bits - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    const merged = new Set(parts.map((x) => x.field));
    const out = [
      JSON.stringify({
        ...header,
        hardening: [...header.hardening, ...(spec.flip > 0 ? [`flip:${spec.flip}:${spec.into}`] : [])],
        fieldFilters: [
          ...specs.filter((x) => !merged.has(x.field)),
          { field: spec.into, bits, personal: true, ...(spec.flip > 0 ? { flip: spec.flip } : {}) },
        ],
      }),
    ];
    for (const l of lines.slice(1)) {
      const r = JSON.parse(l) as EncodedRecord;
      const fields = { ...r.fields };
      const present = parts.filter((x) => fields[x.field] !== undefined);
      for (const x of parts) delete fields[x.field];
      if (present.length > 0) {
        const bytes = Buffer.alloc(bits / 8);
        let off = 0;
        for (const x of parts) {
          const b64 = r.fields?.[x.field];
          if (b64 !== undefined) {
            const src = Buffer.from(b64, 'base64');
            for (let i = 0; i < x.bits; i++)
              if (src[i >>> 3]! & (0x80 >>> (i & 7))) bytes[perm[off + i]! >>> 3]! |= 0x80 >>> (perm[off + i]! & 7);
          }
          if (!shared) off += x.bits;
        }
        for (let i = 0; i < bits; i++) if (rand() < spec.flip) bytes[i >>> 3]! ^= 0x80 >>> (i & 7);
        fields[spec.into] = bytes.toString('base64');
      }
      out.push(JSON.stringify({ ...r, fields }));
    }
    writeFileSync(file, out.join('\n') + '\n');
  };
}

/**
 * The attacker's view of a merged file: the merged filter offered as each field merged into it, so that
 * every report attack (built for name and date filters) runs on it, with the per-field backgrounds.
 */
function attackView(file: string, spec: MergeSpec | undefined): string {
  if (!spec) return file;
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const header = JSON.parse(lines[0]!) as EncodedHeader;
  const specs = header.fieldFilters ?? [];
  const m = specs.find((x) => x.field === spec.into)!;
  const flipped = [
    ...new Set([
      ...spec.fields,
      ...header.hardening.flatMap((h) => {
        const x = /^flip:[0-9.]+:(.+)$/.exec(h);
        return x && !x[1]!.split('+').includes(spec.into) ? x[1]!.split('+') : [];
      }),
    ]),
  ];
  const out = [
    JSON.stringify({
      ...header,
      hardening: spec.flip > 0 ? [`flip:${spec.flip}:${flipped.join('+')}`] : header.hardening,
      fieldFilters: [
        ...specs.filter((x) => x.field !== spec.into),
        ...spec.fields.map((field) => ({ field, bits: m.bits, ...(spec.flip > 0 ? { flip: spec.flip } : {}) })),
      ],
    }),
  ];
  for (const l of lines.slice(1)) {
    const r = JSON.parse(l) as EncodedRecord;
    const v = r.fields?.[spec.into];
    const fields = { ...r.fields };
    delete fields[spec.into];
    if (v !== undefined) for (const f of spec.fields) fields[f] = v;
    out.push(JSON.stringify({ ...r, fields }));
  }
  const view = `${file}.attack-view`;
  writeFileSync(view, out.join('\n') + '\n');
  return view;
}

/** Row token → the true normalised names of the GP row it encodes. */
function gpTruth(data: string, encoded: string): Truth {
  const rows = new Map(
    (parse(readFileSync(join(data, 'nhs_gp.csv')), { columns: true }) as Record<string, string>[]).map((r) => [
      r.record_id!,
      r,
    ]),
  );
  const truth: Truth = new Map();
  for (const [token, id] of readTokenMap(`${encoded}.tokens.csv`)) {
    const row = rows.get(id)!;
    const g = normaliseGivenName(row.given_name ?? '');
    const s = normaliseSurname(row.surname ?? '');
    const d = normaliseDob(row.dob ?? '');
    truth.set(token, {
      ...(g.ok ? { given_name: g.value } : {}),
      ...(s.ok ? { surname: s.value } : {}),
      ...(d.ok ? { dob: d.value } : {}),
    });
  }
  return truth;
}

function attack(file: string, truth: Truth): { report: PrivacyReport; seconds: number } {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const c0 = process.cpuUsage();
  const report = privacyReport(
    [
      {
        name: 'nhs_gp',
        header: JSON.parse(lines[0]!) as EncodedHeader,
        records: lines.slice(1).map((l) => JSON.parse(l) as EncodedRecord),
      },
    ],
    {
      background: loadBackground(),
      truth,
      ...(process.env.BENCH_PRIVACY_DENOISE_SAMPLE
        ? { denoiseSample: Number(process.env.BENCH_PRIVACY_DENOISE_SAMPLE) }
        : {}),
    },
  );
  const c = process.cpuUsage(c0);
  return { report, seconds: (c.user + c.system) / 1e6 };
}

const pct = (x: number): string => `${(100 * x).toFixed(x !== 0 && Math.abs(x) < 0.001 ? 3 : 1)}%`;
const ranged = (r: Rate): string => `${pct(r.rate)} (${pct(r.lo)}–${pct(r.hi)})`;

const FIELDS = ['given_name', 'surname', 'full_name', 'dob'] as const;
const ROWS: OutcomeName[] = [
  'frequency',
  'mining',
  'graph',
  'denoise-frequency',
  'denoise-mining',
  'clk-mining',
  'mining-known-dates',
  'split-frequency',
  'split-mining',
  'split-denoise-frequency',
  'split-denoise-mining',
];

/** One table row per attack: per field the measured top-1 with its 95% interval, and the excess over the floor. */
function attackRows(option: string, report: PrivacyReport): string[] {
  const field = (f: string): FieldReport | undefined => report.fields.find((x) => x.field === f);
  const floor = FIELDS.map((f) => {
    const m = field(f)?.floor?.measured;
    return m ? ranged(m) : '–';
  });
  const rows = [`| ${option} | floor: the commonest value for all | ${floor.join(' | ')} |`];
  for (const a of ROWS) {
    const cells = FIELDS.map((f) => {
      const o = field(f)?.attacks[a];
      if (!o?.measured) return '–';
      const e = o.excess ? `; excess ${pct(o.excess.rate)} (${pct(o.excess.lo)}–${pct(o.excess.hi)})` : '';
      const y = o.yearTop1 ? `; year ${pct(o.yearTop1.rate)}` : '';
      return `${ranged(o.measured.top1)}${e}${y}`;
    });
    if (cells.some((c) => c !== '–')) rows.push(`| ${option} | ${a} | ${cells.join(' | ')} |`);
  }
  return rows;
}

async function main(): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  const data = join(WORK, 'synth');
  console.log(
    `# bench:privacy${QUICK ? ' --quick' : ''}: ${PERSONS} persons (seed ${SEED}, error model ` +
      `${ERROR_MODEL}), attacked file: ` +
      `the NHS GP extract; background: ${loadBackground().source}`,
  );
  const { personOfRecord } = await synthAgencies(data, PERSONS, SEED, AGENCIES, ERROR_MODEL);
  const attacks = [
    '| option | attack | given name | surname | full name | date of birth |',
    '|---|---|---|---|---|---|',
  ];
  const quality = [
    `| option | F1 council tax × GP${QUICK ? '' : ' | F1 FEBRL4'} | attack time | GP file bytes per record |`,
    `|---|---|${QUICK ? '' : '---|'}---|---|`,
  ];
  for (const [i, o] of OPTIONS.entries()) {
    if (ONLY && !ONLY.some((x) => o.name.includes(x))) continue;
    const dir = join(WORK, `option-${i}`);
    mkdirSync(dir, { recursive: true });
    const schema = schemaFile(dir, o.base ?? UK_PERSON_UNHARDENED, `uk-person-bench-${i}`, o.hardening);
    const transform = o.flip ? flipFile(o.flip, 1000 + i) : o.merge ? mergeFile(o.merge, 3000 + i) : undefined;
    const tokenToRecord = await encodeAgencies(data, dir, AGENCIES, schema, transform);
    const linked = linkAgencies(dir, AGENCIES, personOfRecord, tokenToRecord);
    const q = linked.quality(0, 1);
    const f1 = q.f1;
    if (process.env.BENCH_PRIVACY_DEBUG) console.error(linked.result.scoring.reasoning.join('\n'));
    console.error(`${o.name}: council tax × GP precision ${q.precision.toFixed(4)}, recall ${q.recall.toFixed(4)}`);
    const gpFile = join(dir, 'nhs_gp.enc');
    const bytesPerRecord = statSync(gpFile).size / Math.max(1, readFileSync(gpFile, 'utf8').split('\n').length - 2);
    const { report, seconds } = attack(attackView(gpFile, o.merge), gpTruth(data, gpFile));
    let febrlF1: number | undefined;
    if (!QUICK) {
      const fdir = join(dir, 'febrl');
      mkdirSync(fdir, { recursive: true });
      const fschema = schemaFile(
        fdir,
        join(ROOT, 'bench/schemas/febrl4.json'),
        `febrl4-bench-${i}`,
        o.febrlHardening ?? o.hardening,
      );
      const ftransform = o.flip ? flipFile(o.flip, 2000 + i) : o.merge ? mergeFile(o.merge, 4000 + i) : undefined;
      febrlF1 = (await febrlFieldLevel(fdir, fschema, ftransform)).quality.f1;
    }
    attacks.push(...attackRows(o.name, report));
    const records = report.inputs[0]!.records;
    quality.push(
      `| ${o.name} | ${f1.toFixed(4)}${QUICK ? '' : ` | ${febrlF1!.toFixed(4)}`} | ${seconds.toFixed(1)} s CPU, ` +
        `${records} records | ${Math.round(bytesPerRecord)} |`,
    );
    console.error(`${o.name}: attacks ${seconds.toFixed(1)} s of CPU on ${records} records`);
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    '\nTop-1 re-identification of the GP extract, measured against truth, with 95% intervals; excess: top-1 ' +
      'minus the floor on the same records (paired, 95% interval); year: the year of birth of the top guess:\n',
  );
  console.log(attacks.join('\n'));
  console.log('\nLinkage quality each option leaves, and the time all attacks took:\n');
  console.log(quality.join('\n'));
}

try {
  await main();
} finally {
  rmSync(WORK, { recursive: true, force: true });
}
