/**
 * Linkage quality against ground truth, shared by `bench:quality` and `bench:privacy`: the pair
 * measure, FEBRL4 encoded field by field, and the synthetic UK agencies.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { encodeCsv, readTokenMap } from '@blindlink/agency-client';
import { type ErrorModelName, synthCommand } from '@blindlink/synth';
import { linkFiles, type EngineResult, type EngineSource } from '@blindlink/broker';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FEBRL = join(ROOT, '../shared/data/febrl4');
export const SECRET = new TextEncoder().encode('bench secret shared by the agencies, never the broker');

export interface Quality {
  precision: number;
  recall: number;
  f1: number;
  tp: number;
  fp: number;
  fn: number;
}

/** Cross-source pairs placed in one entity, against the true cross-source pairs. */
export function pairQuality(
  result: EngineResult,
  sources: EngineSource[],
  i: number,
  j: number,
  personOf: (source: number, token: string) => string | undefined,
  /** Pairs ("token of i|token of j") left out of both sides, e.g. those a data officer labelled. */
  exclude: ReadonlySet<string> = new Set(),
): Quality {
  const entityRecords = new Map<string, { s: number; token: string }[]>();
  let g = 0;
  for (const [si, s] of sources.entries()) {
    for (const token of s.tokens) {
      const e = result.entityIds[g++]!;
      const list = entityRecords.get(e) ?? [];
      list.push({ s: si, token });
      entityRecords.set(e, list);
    }
  }
  const predicted = new Set<string>();
  for (const members of entityRecords.values()) {
    const as = members.filter((m) => m.s === i);
    const bs = members.filter((m) => m.s === j);
    for (const a of as) for (const b of bs) predicted.add(`${a.token}|${b.token}`);
  }
  const byPersonB = new Map<string, string[]>();
  for (const token of sources[j]!.tokens) {
    const p = personOf(j, token);
    if (p === undefined) continue;
    byPersonB.set(p, [...(byPersonB.get(p) ?? []), token]);
  }
  const truth = new Set<string>();
  for (const token of sources[i]!.tokens) {
    const p = personOf(i, token);
    for (const b of (p !== undefined && byPersonB.get(p)) || []) truth.add(`${token}|${b}`);
  }
  for (const p of exclude) {
    predicted.delete(p);
    truth.delete(p);
  }
  let tp = 0;
  for (const p of predicted) if (truth.has(p)) tp++;
  const fp = predicted.size - tp;
  const fn = truth.size - tp;
  const precision = tp / Math.max(tp + fp, 1);
  const recall = tp / Math.max(tp + fn, 1);
  return { precision, recall, f1: (2 * precision * recall) / Math.max(precision + recall, 1e-12), tp, fp, fn };
}

/**
 * Pairs of records of one source placed in one entity (its duplicates, as the run judged them), against the pairs
 * of its records that are one person.
 */
export function withinSourceQuality(
  result: EngineResult,
  sources: EngineSource[],
  s: number,
  personOf: (source: number, token: string) => string | undefined,
): Quality {
  let offset = 0;
  for (let k = 0; k < s; k++) offset += sources[k]!.tokens.length;
  const byEntity = new Map<string, (string | undefined)[]>();
  const byPerson = new Map<string, number>();
  for (const [r, token] of sources[s]!.tokens.entries()) {
    const p = personOf(s, token);
    const e = result.entityIds[offset + r]!;
    byEntity.set(e, [...(byEntity.get(e) ?? []), p]);
    if (p !== undefined) byPerson.set(p, (byPerson.get(p) ?? 0) + 1);
  }
  let tp = 0;
  let predicted = 0;
  for (const ps of byEntity.values()) {
    predicted += (ps.length * (ps.length - 1)) / 2;
    for (let x = 0; x < ps.length; x++)
      for (let y = x + 1; y < ps.length; y++) if (ps[x] !== undefined && ps[x] === ps[y]) tp++;
  }
  let truth = 0;
  for (const n of byPerson.values()) truth += (n * (n - 1)) / 2;
  const precision = tp / Math.max(predicted, 1);
  const recall = tp / Math.max(truth, 1);
  const f1 = (2 * precision * recall) / Math.max(precision + recall, 1e-12);
  return { precision, recall, f1, tp, fp: predicted - tp, fn: truth - tp };
}

/** Entities holding records of more than one person, of all entities. */
export function impureEntities(
  result: EngineResult,
  sources: EngineSource[],
  personOf: (source: number, token: string) => string | undefined,
): { impure: number; entities: number } {
  const persons = new Map<string, Set<string | undefined>>();
  let g = 0;
  for (const [si, src] of sources.entries()) {
    for (const token of src.tokens) {
      const e = result.entityIds[g++]!;
      const set = persons.get(e) ?? new Set();
      set.add(personOf(si, token));
      persons.set(e, set);
    }
  }
  let impure = 0;
  for (const set of persons.values()) if (set.size > 1) impure++;
  return { impure, entities: persons.size };
}

export const fmt = (q: Quality) =>
  `precision ${q.precision.toFixed(4)}  recall ${q.recall.toFixed(4)}  F1 ${q.f1.toFixed(4)}  (tp ${q.tp}` +
  `, fp ${q.fp}, fn ${q.fn})`;

export function febrlRows(file: string): string[][] {
  return (parse(readFileSync(join(FEBRL, file)), { relax_column_count: true }) as string[][])
    .slice(1)
    .map((r) => r.map((v) => v.trim()));
}

/** FEBRL record id → person (the id without its -org / -dup-N suffix). */
export const febrlPersonOfId = (id: string | undefined): string | undefined => id?.replace(/-(org|dup-\d+)$/, '');

/**
 * FEBRL4 encoded with a blindlink schema (every column a field filter; bench/schemas/febrl4.json or
 * a variant of it), `transform` applied to each encoded file, linked with field-level Fellegi–Sunter.
 */
export async function febrlFieldLevel(
  work: string,
  schema: string,
  transform?: (encodedFile: string) => void,
): Promise<{ quality: Quality; result: EngineResult; rejected: Record<string, number> }> {
  const header = 'record_id,given_name,surname,street_number,address_1,address_2,suburb,postcode,state,dob,soc_sec_id';
  const tokenIds = new Map<string, string>();
  const rejected: Record<string, number> = {};
  for (const f of ['dataset4a', 'dataset4b']) {
    const rows = febrlRows(`${f}.csv`);
    const csv = [header].concat(rows.map((r) => r.map((v) => `"${v.replace(/"/g, '""')}"`).join(','))).join('\n');
    writeFileSync(join(work, `${f}.csv`), csv + '\n');
    const s = await encodeCsv({
      input: join(work, `${f}.csv`),
      out: join(work, `${f}.enc`),
      secret: SECRET,
      schema,
      map: {},
      idColumn: 'record_id',
      ignore: [],
      onInvalid: 'missing',
    });
    for (const [token, id] of readTokenMap(join(work, `${f}.enc.tokens.csv`))) tokenIds.set(token, id);
    rejected[f] = [...Object.values(s.rejected), ...Object.values(s.leftMissing)].reduce((a, b) => a + b, 0);
    transform?.(join(work, `${f}.enc`));
  }
  const { sources, result } = linkFiles([join(work, 'dataset4a.enc'), join(work, 'dataset4b.enc')], {
    duplicateFree: ['dataset4a', 'dataset4b'],
    diceThreshold: 0.8,
  });
  return {
    quality: pairQuality(result, sources, 0, 1, (_s, token) => febrlPersonOfId(tokenIds.get(token))),
    result,
    rejected,
  };
}

export const SYNTH_IDENTIFIERS = [
  'record_id',
  'given_name',
  'surname',
  'dob',
  'sex',
  'address',
  'postcode',
  'nhs_number',
];

/** Generates the synthetic agencies (once per directory): their CSVs and the truth. */
export async function synthAgencies(
  data: string,
  persons: number,
  seed: string,
  agencies?: string[],
  errorModel: ErrorModelName = 'own',
): Promise<{ personOfRecord: Map<string, string> }> {
  await synthCommand({ persons, seed, out: data, errorModel, ...(agencies ? { agencies } : {}) }, { info: () => {} });
  const truth = parse(readFileSync(join(data, 'truth/records.csv')), { columns: true }) as {
    agency: string;
    record_id: string;
    person_id: string;
  }[];
  return { personOfRecord: new Map(truth.map((r) => [`${r.agency}:${r.record_id}`, r.person_id])) };
}

/** Encodes each agency's extract with `schema` into `<work>/<agency>.enc`; row token → "agency:record id". */
export async function encodeAgencies(
  data: string,
  work: string,
  agencies: string[],
  schema: string,
  transform?: (encodedFile: string) => void,
): Promise<Map<string, string>> {
  const tokenToRecord = new Map<string, string>();
  for (const a of agencies) {
    const header = (readFileSync(join(data, `${a}.csv`), 'utf8').split('\n')[0] ?? '').split(',');
    await encodeCsv({
      input: join(data, `${a}.csv`),
      out: join(work, `${a}.enc`),
      secret: SECRET,
      schema,
      map: {},
      idColumn: 'record_id',
      ignore: header.filter((h) => !SYNTH_IDENTIFIERS.includes(h)),
      onInvalid: 'missing',
    });
    for (const [token, id] of readTokenMap(join(work, `${a}.enc.tokens.csv`))) tokenToRecord.set(token, `${a}:${id}`);
    transform?.(join(work, `${a}.enc`));
  }
  return tokenToRecord;
}

/**
 * Links the encoded agencies. No source is declared duplicate-free: the generator gives every agency
 * about 1% duplicate rows (as real registers have), and declaring one would forbid its duplicates
 * from joining their person. Populations, as the example policies declare them: liability for
 * council tax starts at 18, and the schools extract holds pupils aged 4–16.
 */
export function linkAgencies(
  work: string,
  agencies: string[],
  personOfRecord: Map<string, string>,
  tokenToRecord: Map<string, string>,
) {
  const adults = agencies.filter((a) => a === 'council_tax');
  const children = agencies.filter((a) => a === 'schools');
  const { sources, result } = linkFiles(
    agencies.map((a) => join(work, `${a}.enc`)),
    { duplicateFree: [], adults, children, diceThreshold: 0.8 },
  );
  const personOf = (_s: number, token: string) => personOfRecord.get(tokenToRecord.get(token) ?? '');
  return {
    sources,
    result,
    personOf,
    quality: (i: number, j: number) => pairQuality(result, sources, i, j, personOf),
  };
}

/**
 * Households as pairs of persons: two persons are predicted together when the households most of
 * their records were placed in agree (a record without a household counts for none), and truly
 * together when the generator put them in one household (truth/persons.csv).
 */
export function householdQuality(
  result: EngineResult,
  sources: EngineSource[],
  personOf: (source: number, token: string) => string | undefined,
  trueHousehold: Map<string, string>,
): Quality & { predicted: number; truth: number } {
  const votes = new Map<string, Map<string, number>>();
  let g = 0;
  for (const [si, s] of sources.entries()) {
    for (const token of s.tokens) {
      const h = result.householdIds[g++]!;
      const p = personOf(si, token);
      if (p === undefined || h === '') continue;
      const v = votes.get(p) ?? new Map<string, number>();
      v.set(h, (v.get(h) ?? 0) + 1);
      votes.set(p, v);
    }
  }
  const predicted = new Map<string, string[]>();
  for (const [p, v] of votes) {
    const h = [...v.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
    predicted.set(h, [...(predicted.get(h) ?? []), p]);
  }
  const pairs = (m: Map<string, string[]>) =>
    [...m.values()].reduce((n, ps) => n + (ps.length * (ps.length - 1)) / 2, 0);
  let tp = 0;
  for (const ps of predicted.values())
    for (let a = 0; a < ps.length; a++)
      for (let b = a + 1; b < ps.length; b++) if (trueHousehold.get(ps[a]!) === trueHousehold.get(ps[b]!)) tp++;
  // True pairs among the persons any source holds (the persons the output could place).
  const truthGroups = new Map<string, string[]>();
  for (const p of votes.keys()) {
    const h = trueHousehold.get(p);
    if (h !== undefined) truthGroups.set(h, [...(truthGroups.get(h) ?? []), p]);
  }
  const predictedPairs = pairs(predicted);
  const truePairs = pairs(truthGroups);
  const precision = tp / Math.max(predictedPairs, 1);
  const recall = tp / Math.max(truePairs, 1);
  return {
    precision,
    recall,
    f1: (2 * precision * recall) / Math.max(precision + recall, 1e-12),
    tp,
    fp: predictedPairs - tp,
    fn: truePairs - tp,
    predicted: predicted.size,
    truth: truthGroups.size,
  };
}

/** truth/persons.csv: person → household. */
export function trueHouseholds(data: string): Map<string, string> {
  const rows = parse(readFileSync(join(data, 'truth/persons.csv')), { columns: true }) as {
    person_id: string;
    household_id: string;
  }[];
  return new Map(rows.map((r) => [r.person_id, r.household_id]));
}
