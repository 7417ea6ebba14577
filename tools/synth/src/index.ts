/**
 * @blindlink/synth — a seeded synthetic UK population (households, moves, name variants, typing errors)
 * and the extracts eight agencies would hold of it, with ground truth; for tests, benchmarks, the demo and
 * trials, never shipped with the agency client. The same seed gives byte-identical files on every machine.
 */
import { mkdir, open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { csvLine } from '@blindlink/agency-client';
import { AGENCY_PROFILES } from './agency-extracts.js';
import { type DatasetOptions, DEFAULT_SHUFFLE_WINDOW, generateDataset } from './dataset.js';
import { ERROR_MODELS, errorModel } from './error-model.js';
import { AGENCIES, type Agency, DEFAULT_POPULATION_RATES, isAgency } from './model.js';
import { DEFAULT_REFERENCE_DATE } from './population.js';
import { HOUSEHOLDS_HEADER, PERSONS_HEADER, RECORDS_HEADER, householdTruthRow, personTruthRow } from './truth.js';

export { AGENCY_PROFILES, AgencyExtractor, type AgencyProfile, type PendingRecord } from './agency-extracts.js';
export { type DatasetEvent, type DatasetOptions, generateDataset, recordId, type SynthRecord } from './dataset.js';
export { ERROR_MODELS, type ErrorModel, type ErrorModelName, errorModel } from './error-model.js';
export { ageAt, daysFromCivil, civilFromDays, formatDate, parseIsoDate } from './dates.js';
export * from './model.js';
export { isTestRangeNhsNumber, isValidNhsNumber, nhsCheckDigit, NhsNumberAllocator } from './nhs-number.js';
export { isValidPostcode, randomPostcode } from './postcode.js';
export { agenciesHolding, DEFAULT_REFERENCE_DATE, generatePopulation, type PopulationOptions } from './population.js';
export { dailyExtract } from './daily-extract.js';
export { Prng } from './prng.js';
export { householdCriteria, HOUSEHOLDS_HEADER, PERSONS_HEADER, RECORDS_HEADER } from './truth.js';

export const GENERATOR_NAME = 'blindlink-synth';
export const GENERATOR_VERSION = '1.0.0';

/** Upper bound on --persons, to keep a typo from filling a disk. */
export const MAX_PERSONS = 10_000_000;

export interface SynthOptions extends Omit<DatasetOptions, 'agencies'> {
  persons: number;
  seed: string;
  out: string;
  agencies?: string[];
}

export interface SynthIo {
  info(line: string): void;
}

const BUFFER_BYTES = 1 << 20;

/**
 * Buffered CSV output: rows are encoded straight into a reused 1 MB buffer and flushed when it is
 * nearly full, so memory stays flat and little garbage is made.
 */
class CsvOut {
  rows = 0;
  private readonly buf = Buffer.allocUnsafe(BUFFER_BYTES);
  private used = 0;
  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
  ) {}

  static async create(path: string, header: readonly string[]): Promise<CsvOut> {
    const f = new CsvOut(path, await open(path, 'w'));
    f.used = f.buf.write(csvLine(header), 0, 'utf8');
    return f;
  }

  /** Returns a promise only when a flush is needed first, so the hot path stays synchronous. */
  add(values: readonly string[]): Promise<void> | null {
    const line = csvLine(values);
    this.rows++;
    // Three bytes per UTF-16 unit is the most UTF-8 can need.
    if (this.used + line.length * 3 <= BUFFER_BYTES) {
      this.used += this.buf.write(line, this.used, 'utf8');
      return null;
    }
    return this.flushThen(line);
  }

  private async flushThen(line: string): Promise<void> {
    await this.flush();
    const bytes = Buffer.from(line, 'utf8');
    if (bytes.length > BUFFER_BYTES) await this.fh.write(bytes);
    else this.used = this.buf.write(line, 0, 'utf8');
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    const n = this.used;
    this.used = 0;
    await this.fh.write(this.buf, 0, n);
  }

  async close(): Promise<void> {
    await this.flush();
    await this.fh.close();
  }
}

function parseAgencies(names: string[] | undefined): Agency[] {
  if (!names || names.length === 0) return [...AGENCIES];
  const out: Agency[] = [];
  for (const raw of names) {
    for (const name of raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')) {
      if (!isAgency(name)) throw new Error(`unknown agency "${name}" (known: ${AGENCIES.join(', ')})`);
      if (!out.includes(name)) out.push(name);
    }
  }
  // Canonical order, so the same selection always gives the same manifest.
  return AGENCIES.filter((a) => out.includes(a));
}

/**
 * `blindlink-synth --persons N --seed S --out DIR`: writes one CSV extract per agency,
 * truth/persons.csv, truth/households.csv, truth/records.csv and manifest.json. Same persons and
 * seed give byte-identical files. Logs counts only, never identifiers.
 */
export async function synthCommand(
  opts: SynthOptions,
  io: SynthIo,
): Promise<{ files: string[]; counts: Record<string, number> }> {
  const persons = opts.persons;
  if (!Number.isInteger(persons) || persons < 1 || persons > MAX_PERSONS) {
    throw new Error(`--persons must be an integer from 1 to ${MAX_PERSONS}`);
  }
  if (typeof opts.seed !== 'string' || opts.seed === '') throw new Error('--seed must be a non-empty string');
  const agencies = parseAgencies(opts.agencies);
  if (opts.errorModel !== undefined && !ERROR_MODELS.includes(opts.errorModel))
    throw new Error(`unknown error model "${String(opts.errorModel)}" (known: ${ERROR_MODELS.join(', ')})`);
  const model = errorModel(opts.errorModel);
  const { out } = opts;
  await mkdir(join(out, 'truth'), { recursive: true });

  const extracts = new Map<Agency, CsvOut>();
  for (const a of agencies) extracts.set(a, await CsvOut.create(join(out, `${a}.csv`), AGENCY_PROFILES[a].header));
  const personsOut = await CsvOut.create(join(out, 'truth', 'persons.csv'), PERSONS_HEADER);
  const householdsOut = await CsvOut.create(join(out, 'truth', 'households.csv'), HOUSEHOLDS_HEADER);
  const recordsOut = await CsvOut.create(join(out, 'truth', 'records.csv'), RECORDS_HEADER);
  const all = [...extracts.values(), personsOut, householdsOut, recordsOut];

  const started = Date.now();
  const progressEvery = Math.max(100_000, Math.ceil(persons / 10 / 100_000) * 100_000);
  let nextProgress = progressEvery;
  io.info(`synth: generating ${persons} persons for ${agencies.length} agencies into ${out}`);
  try {
    for (const ev of generateDataset(persons, opts.seed, { ...opts, agencies })) {
      if (ev.kind === 'household') {
        const h = ev.household;
        for (const p of h.persons) {
          const w = personsOut.add(personTruthRow(h, p));
          if (w) await w;
        }
        const w = householdsOut.add(householdTruthRow(h));
        if (w) await w;
        if (personsOut.rows >= nextProgress) {
          io.info(`synth: ${personsOut.rows} persons (${((Date.now() - started) / 1000).toFixed(1)} s)`);
          nextProgress += progressEvery;
        }
      } else {
        const r = ev.record;
        const file = extracts.get(r.agency);
        if (!file) continue;
        const w1 = file.add(r.values);
        if (w1) await w1;
        const w2 = recordsOut.add([r.agency, r.recordId, r.personId, r.householdId, r.variations.join(';')]);
        if (w2) await w2;
      }
    }
  } finally {
    for (const f of all) await f.close();
  }

  const counts: Record<string, number> = {};
  for (const [a, f] of extracts) counts[a] = f.rows;
  counts.persons = personsOut.rows;
  counts.households = householdsOut.rows;
  counts.records = recordsOut.rows;

  const relative = (p: string): string =>
    p
      .slice(out.length)
      .replace(/^[\\/]+/, '')
      .replace(/\\/g, '/');
  const manifestPath = join(out, 'manifest.json');
  const manifest = {
    generator: GENERATOR_NAME,
    version: GENERATOR_VERSION,
    seed: opts.seed,
    persons,
    reference_date: opts.referenceDate ?? DEFAULT_REFERENCE_DATE,
    agencies,
    files: all.map((f) => ({ path: relative(f.path), rows: f.rows })),
    counts,
    dob_formats: Object.fromEntries(agencies.map((a) => [a, AGENCY_PROFILES[a].dobFormat])),
    error_model: model.name,
    population_rates: { ...DEFAULT_POPULATION_RATES, ...model.populationRates, ...opts.rates },
    error_rates: { ...model.errorRates, ...opts.errorRates },
    agency_quality: Object.fromEntries(agencies.map((a) => [a, AGENCY_PROFILES[a].quality])),
    shuffle_window: opts.shuffleWindow ?? DEFAULT_SHUFFLE_WINDOW,
    notes: [
      'NHS numbers are in the never-issued test range 9990000000-9999999999; above ~900,000 persons some ' +
        'people have none.',
      'record_id values are local to each agency; truth/records.csv maps them to person_id and household_id.',
      'variations in truth/records.csv lists the errors applied to each record.',
    ],
  };
  const mf = await open(manifestPath, 'w');
  try {
    await mf.write(`${JSON.stringify(manifest, null, 2)}\n`, null, 'utf8');
  } finally {
    await mf.close();
  }
  const files = [...all.map((f) => f.path), manifestPath];
  io.info(
    `synth: wrote ${counts.persons} persons, ${counts.households} households, ${counts.records} records ` +
      `in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return { files, counts };
}
