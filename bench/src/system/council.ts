import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { csvLine } from '@blindlink/agency-client';
import { AGENCY_PROFILES, type Agency, dailyExtract } from '@blindlink/synth';
import { must, SYNTH_BIN } from './processes.js';

/**
 * The council of the system bench: agencies drawn from the synthetic generator's eight sources, in an
 * order that puts every release form within reach of the first four (council tax asks, police are
 * counted, the GP and electoral roll evidence). Past eight, a second borough (its own population, its
 * own seed) adds the eight again: 16 agencies are two boroughs' council tax, police, GP, ….
 */
const SOURCES: Agency[] = [
  'council_tax',
  'police',
  'nhs_gp',
  'electoral_roll',
  'housing_benefit',
  'schools',
  'dwp',
  'probation',
];
const IDENTIFIERS = ['given_name', 'surname', 'dob', 'sex', 'address', 'postcode', 'nhs_number'];
/** Non-identifying columns each source sends for the release forms; the policy declares them. */
const ATTRIBUTES: Partial<Record<Agency, string[]>> = {
  council_tax: ['single_person_discount'],
  police: ['ward', 'offence_category', 'criterion'],
  nhs_gp: ['criterion'],
  schools: ['criterion'],
  dwp: ['criterion'],
  probation: ['criterion'],
  housing_benefit: ['criterion'],
};

export interface CouncilAgency {
  slug: string;
  source: Agency;
  borough: number;
  header: string[];
  identifiers: string[];
  attributes: string[];
  /** Distinct values of each enum attribute, read from the data. */
  values: Record<string, string[]>;
  /** The extract of each day: day 0 from the generator, then each daily change. */
  csv: string[];
  rows: number[];
}

export interface Council {
  agencies: CouncilAgency[];
  persons: number[];
  slug(source: Agency, borough?: number): string | undefined;
}

type Row = Record<string, string>;
const readRows = (path: string): Row[] => parse(readFileSync(path), { columns: true }) as Row[];
const writeRows = (path: string, header: string[], rows: Row[]) =>
  writeFileSync(path, [csvLine(header), ...rows.map((r) => csvLine(header.map((h) => r[h] ?? '')))].join(''));

/** Records per person of each source, from a small pilot population (so `rows` is the mean per agency). */
async function recordsPerPerson(dir: string): Promise<Record<string, number>> {
  const persons = 5000;
  await must(SYNTH_BIN, ['--persons', String(persons), '--seed', 'bench-system-pilot', '--out', dir]);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { counts: Record<string, number> };
  return Object.fromEntries(SOURCES.map((s) => [s, (manifest.counts[s] ?? 0) / persons]));
}

/**
 * Generate each borough's population with `blindlink-synth`, sized so that its agencies hold `rows`
 * rows on average (the sources differ in size as real ones do: the GP register holds nearly everyone,
 * probation a few), boroughs in parallel.
 */
export async function generateCouncil(dir: string, agencies: number, rows: number): Promise<Council> {
  const perPerson = await recordsPerPerson(join(dir, 'pilot'));
  const boroughs = Math.ceil(agencies / SOURCES.length);
  const plan = Array.from({ length: agencies }, (_, k) => ({
    source: SOURCES[k % SOURCES.length]!,
    borough: Math.floor(k / SOURCES.length),
  }));
  const persons: number[] = [];
  await Promise.all(
    Array.from({ length: boroughs }, (_, b) => {
      const sources = plan.filter((p) => p.borough === b).map((p) => p.source);
      const perPersonHere = sources.reduce((s, a) => s + perPerson[a]!, 0);
      persons[b] = Math.ceil((rows * sources.length) / perPersonHere);
      return must(SYNTH_BIN, [
        '--persons',
        String(persons[b]),
        '--seed',
        `bench-system-borough-${b + 1}`,
        '--out',
        join(dir, `borough-${b + 1}`),
        '--agencies',
        sources.join(','),
      ]);
    }),
  );
  const out: CouncilAgency[] = plan.map(({ source, borough }) => {
    const csv = join(dir, `borough-${borough + 1}`, `${source}.csv`);
    const data = readRows(csv);
    const header = [...AGENCY_PROFILES[source].header];
    const attributes = ATTRIBUTES[source] ?? [];
    const values: Record<string, string[]> = {};
    for (const a of attributes.filter((x) => x !== 'single_person_discount')) {
      values[a] = [...new Set(data.flatMap((r) => (r[a] ? r[a]!.split(';') : [])))].sort();
    }
    return {
      slug: `${source.replace(/_/g, '-')}-${borough + 1}`,
      source,
      borough,
      header,
      identifiers: header.filter((h) => IDENTIFIERS.includes(h)),
      attributes,
      values,
      csv: [csv],
      rows: [data.length],
    };
  });
  return {
    agencies: out,
    persons,
    slug: (source, borough = 0) => out.find((a) => a.source === source && a.borough === borough)?.slug,
  };
}

/**
 * The next day's extract of every agency: 1% of its rows changed the way a register changes — 0.4%
 * moved house, 0.1% changed surname, 0.25% left, and as many new people arrived (rows of a fresh
 * synthetic population of the same source). Writes day `day`'s CSVs; returns the rows changed.
 */
export async function dailyChange(dir: string, council: Council, day: number): Promise<number> {
  const share = { moved: 0.004, renamed: 0.001, left: 0.0025, arrived: 0.0025 };
  let changed = 0;
  mkdirSync(join(dir, `day-${day}`), { recursive: true });
  for (let b = 0; b < council.persons.length; b++) {
    const here = council.agencies.filter((a) => a.borough === b);
    await must(SYNTH_BIN, [
      '--persons',
      String(Math.ceil(council.persons[b]! * share.arrived * 1.2) + 50),
      '--seed',
      `bench-system-arrivals-${b + 1}-day-${day}`,
      '--out',
      join(dir, `arrivals-${b + 1}-day-${day}`),
      '--agencies',
      here.map((a) => a.source).join(','),
    ]);
    for (const a of here) {
      const before = readRows(a.csv[day - 1]!);
      const arrivals = readRows(join(dir, `arrivals-${b + 1}-day-${day}`, `${a.source}.csv`)).slice(
        0,
        Math.round(before.length * share.arrived),
      );
      const next = dailyExtract(before, {
        seed: `bench-system-${a.slug}-day-${day}`,
        moved: share.moved,
        renamed: share.renamed,
        left: share.left,
        arrivals,
        idPrefix: `${AGENCY_PROFILES[a.source].prefix}D${day}N`,
      });
      const csv = join(dir, `day-${day}`, `${a.slug}.csv`);
      writeRows(csv, a.header, next.rows);
      a.csv[day] = csv;
      a.rows[day] = next.rows.length;
      changed += next.moved + next.renamed + next.left + next.arrived;
    }
  }
  return changed;
}

/**
 * The council's resident-index policy: every agency contributes; council tax (borough 1) may ask
 * every release form — known to police, pseudonyms, families meeting three needs, incidents counted
 * by ward and offence, and the single-person-discount check — so each form is timed at size. JSON is
 * YAML, so it is written as JSON.
 */
export function writePolicy(path: string, council: Council, purpose: string): string {
  const id = 'bench-system-2026';
  const contributors = council.agencies.map((a) => ({
    agency: a.slug,
    dataset: `${a.source} (borough ${a.borough + 1})`,
    identifiers: a.identifiers,
    ...(a.source === 'council_tax' ? { population: 'adults' } : {}),
    ...(a.source === 'schools' ? { population: 'children' } : {}),
    ...(a.values.criterion?.length ? { criteria: a.values.criterion } : {}),
    ...(a.attributes.length
      ? {
          attributes: a.attributes.map((name) =>
            name === 'single_person_discount'
              ? { name, type: 'boolean' }
              : { name, type: 'enum', values: a.values[name] },
          ),
        }
      : {}),
  }));
  const ct = council.slug('council_tax')!;
  const police = council.slug('police');
  const probation = council.slug('probation');
  const evidence = [council.slug('electoral_roll'), council.slug('housing_benefit')].filter(Boolean);
  const criteria = [...new Set(council.agencies.flatMap((a) => a.values.criterion ?? []))].sort();
  const releases: Record<string, unknown>[] = [{ id: 'pseudonyms', form: 'pseudonym', perRecipient: true }];
  if (police) {
    releases.push({ id: 'known-to-police', form: 'membership', of: [police] });
    releases.push({
      id: 'incidents-by-ward',
      form: 'aggregate',
      count: police,
      groupBy: ['ward', 'offence_category', ...(probation ? [`known_to:${probation}`] : [])],
      suppressBelowOrAt: 7,
      roundTo: 5,
    });
  }
  if (criteria.length) {
    releases.push({
      id: 'families-meeting-three',
      form: 'family-criteria',
      criteria,
      atLeast: Math.min(3, criteria.length),
      includeCriteria: true,
      requireDependentChildren: true,
    });
  }
  if (evidence.length) {
    releases.push({ id: 'spd-review', form: 'discrepancy', check: 'single-person-discount', evidence });
  }
  const policy = {
    id,
    version: 1,
    purpose,
    title: 'System bench: a council resident index',
    controllers: [{ name: 'Bench Borough Council', role: 'controller' }],
    lawfulBasis: {
      article6: 'UK GDPR Art. 6(1)(e) public task',
      specialCategory: 'Health and criminal offence data: DPA 2018 Sch. 1 para 6 and para 10 (bench)',
    },
    involves: ['health', 'criminal-offence'],
    dpia: { reference: 'DPIA-BENCH-SYSTEM', approvedOn: '2025-12-01' },
    validFrom: '2026-01-01',
    validUntil: '2099-12-31',
    reviewDate: '2099-01-01',
    contributors,
    recipients: [{ agency: ct, releases }],
    retention: { encodings: 'P30D', linkage: 'P30D', releases: 'P30D' },
    linkage: { threshold: 0.8 },
  };
  writeFileSync(path, JSON.stringify(policy, null, 2) + '\n');
  return id;
}

/** The forms the policy grants council tax, with how to ask for each. */
export function releaseRequests(council: Council): { form: string; args: string[] }[] {
  const police = council.slug('police');
  const out: { form: string; args: string[] }[] = [{ form: 'pseudonym', args: ['release', '--form', 'pseudonym'] }];
  if (police) {
    out.push({ form: 'membership', args: ['membership', '--of', police] });
    out.push({ form: 'aggregate', args: ['release', '--form', 'aggregate'] });
  }
  if (council.agencies.some((a) => a.values.criterion?.length))
    out.push({ form: 'family-criteria', args: ['release', '--form', 'family-criteria'] });
  if (council.slug('electoral_roll') || council.slug('housing_benefit'))
    out.push({ form: 'discrepancy', args: ['release', '--form', 'discrepancy'] });
  return out;
}
