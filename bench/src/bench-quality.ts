/**
 * `npm run bench:quality`: precision, recall, F1 and candidate pairs against ground truth.
 *  - FEBRL4 (5,000 × 5,000, every record has one partner): clkhash's own schema with record-level
 *    Dice at three thresholds (what anonlink does), and blindlink's field-level encoding of every
 *    FEBRL column (bench/schemas/febrl4.json) with Fellegi–Sunter scoring;
 *  - the synthetic UK agencies, per pair of sources, against the generator's truth.
 * Figures, not assertions: run it, read it, quote it.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { parse } from 'csv-parse/sync';
import { encodeCsv, readTokenMap } from '@blindlink/agency-client';
import { encodeClkhashCommand } from '@blindlink/agency-client/clkhash';
import { synthCommand } from '@blindlink/agency-client/synth';
import { linkFiles, type EngineResult, type EngineSource } from '@blindlink/broker';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FEBRL = join(ROOT, '../shared/data/febrl4');
const QUICK = process.argv.includes('--quick');
const WORK = join(tmpdir(), `blindlink-bench-quality-${process.pid}`);
const SECRET = new TextEncoder().encode('bench secret shared by the agencies, never the broker');

interface Quality {
  precision: number;
  recall: number;
  f1: number;
  tp: number;
  fp: number;
  fn: number;
}

/** Cross-source pairs placed in one entity, against the true cross-source pairs. */
function pairQuality(result: EngineResult, sources: EngineSource[], i: number, j: number, personOf: (source: number, token: string) => string | undefined): Quality {
  const entityRecords = new Map<string, { s: number; token: string }[]>();
  let g = 0;
  sources.forEach((s, si) =>
    s.tokens.forEach((token) => {
      const e = result.entityIds[g++]!;
      const list = entityRecords.get(e) ?? [];
      list.push({ s: si, token });
      entityRecords.set(e, list);
    }),
  );
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
  let tp = 0;
  for (const p of predicted) if (truth.has(p)) tp++;
  const fp = predicted.size - tp;
  const fn = truth.size - tp;
  const precision = tp / Math.max(tp + fp, 1);
  const recall = tp / Math.max(tp + fn, 1);
  return { precision, recall, f1: (2 * precision * recall) / Math.max(precision + recall, 1e-12), tp, fp, fn };
}

const fmt = (q: Quality) => `precision ${q.precision.toFixed(4)}  recall ${q.recall.toFixed(4)}  F1 ${q.f1.toFixed(4)}  (tp ${q.tp}, fp ${q.fp}, fn ${q.fn})`;

function febrlRows(file: string): string[][] {
  return (parse(readFileSync(join(FEBRL, file)), { relax_column_count: true }) as string[][]).slice(1).map((r) => r.map((v) => v.trim()));
}

async function febrl(): Promise<void> {
  console.log('\n## FEBRL4 (5,000 × 5,000; 5,000 true pairs)');
  // clkhash's own schema and CLKs: record-level Dice, one-to-one (both files are duplicate-free).
  writeFileSync(join(WORK, 'secret'), 'secret');
  for (const f of ['dataset4a', 'dataset4b']) {
    await encodeClkhashCommand({ schema: join(FEBRL, 'clkhash_schema_v3.json'), secretFile: join(WORK, 'secret'), input: join(FEBRL, `${f}.csv`), out: join(WORK, `${f}.json`), onInvalid: 'fail' }, { warn: () => {} });
  }
  const ids = Object.fromEntries(['dataset4a', 'dataset4b'].map((f) => [f, febrlRows(`${f}.csv`).map((r) => r[0]!)]));
  const febrlPerson = (sources: EngineSource[]) => (s: number, token: string) => {
    const id = ids[sources[s]!.name]?.[Number(token)] ?? tokenIds.get(token);
    return id?.replace(/-(org|dup-\d+)$/, '');
  };
  const tokenIds = new Map<string, string>();
  for (const t of [0.8, 0.75, 0.7]) {
    const { sources, result } = linkFiles([join(WORK, 'dataset4a.json'), join(WORK, 'dataset4b.json')], { duplicateFree: ['dataset4a', 'dataset4b'], diceThreshold: t });
    console.log(`clkhash schema, record-level Dice ≥ ${t}: ${fmt(pairQuality(result, sources, 0, 1, febrlPerson(sources)))}; candidate pairs ${result.stats.candidatePairs}`);
  }

  // blindlink: every FEBRL column as a field-level filter (bench/schemas/febrl4.json: the schema a data
  // officer writes for identifiers uk-person does not cover); field-level Fellegi–Sunter.
  const header = 'record_id,given_name,surname,street_number,address_1,address_2,suburb,postcode,state,dob,soc_sec_id';
  for (const f of ['dataset4a', 'dataset4b']) {
    const rows = febrlRows(`${f}.csv`);
    const csv = [header].concat(rows.map((r) => r.map((v) => `"${v.replace(/"/g, '""')}"`).join(','))).join('\n');
    writeFileSync(join(WORK, `${f}.csv`), csv + '\n');
    const s = await encodeCsv({ input: join(WORK, `${f}.csv`), out: join(WORK, `${f}.enc`), secret: SECRET, schema: join(ROOT, 'bench/schemas/febrl4.json'), map: {}, idColumn: 'record_id', ignore: [], onInvalid: 'missing' });
    for (const [token, id] of readTokenMap(join(WORK, `${f}.enc.tokens.csv`))) tokenIds.set(token, id);
    const rejected = Object.values(s.rejected).reduce((a, b) => a + b, 0);
    if (rejected) console.log(`  ${f}: ${rejected} invalid fields left out (--on-invalid missing), rows kept`);
  }
  const { sources, result } = linkFiles([join(WORK, 'dataset4a.enc'), join(WORK, 'dataset4b.enc')], { duplicateFree: ['dataset4a', 'dataset4b'], diceThreshold: 0.8 });
  const q = pairQuality(result, sources, 0, 1, febrlPerson(sources));
  console.log(`blindlink febrl4 schema, field-level Fellegi–Sunter: ${fmt(q)}; candidate pairs ${result.stats.candidatePairs}; ${result.stats.seconds.total!.toFixed(2)} s`);
  for (const line of result.scoring.reasoning.filter((l) => l.startsWith('Rule:') || l.startsWith('Household test'))) console.log(`  ${line}`);

}

async function synthetic(): Promise<void> {
  const persons = QUICK ? 10_000 : 50_000;
  console.log(`\n## Synthetic UK agencies (${persons} persons, seed bench-quality)`);
  const data = join(WORK, 'synth');
  await synthCommand({ persons, seed: 'bench-quality', out: data }, { info: () => {} });
  const truth = parse(readFileSync(join(data, 'truth/records.csv')), { columns: true }) as { agency: string; record_id: string; person_id: string }[];
  const personOfRecord = new Map(truth.map((r) => [`${r.agency}:${r.record_id}`, r.person_id]));
  const identifiers = ['record_id', 'given_name', 'surname', 'dob', 'sex', 'address', 'postcode', 'nhs_number'];
  const agencies = ['council_tax', 'nhs_gp', 'electoral_roll', 'police', 'schools', 'dwp'];
  const tokenToRecord = new Map<string, string>();
  for (const a of agencies) {
    const header = (readFileSync(join(data, `${a}.csv`), 'utf8').split('\n')[0] ?? '').split(',');
    await encodeCsv({ input: join(data, `${a}.csv`), out: join(WORK, `${a}.enc`), secret: SECRET, schema: 'uk-person', map: {}, idColumn: 'record_id', ignore: header.filter((h) => !identifiers.includes(h)), onInvalid: 'missing' });
    for (const [token, id] of readTokenMap(join(WORK, `${a}.enc.tokens.csv`))) tokenToRecord.set(token, `${a}:${id}`);
  }
  // No source is declared duplicate-free: the generator gives every agency about 1% duplicate rows
  // (as real registers have), and declaring one would forbid its duplicates from joining their person.
  // Populations, as the example policies declare them: liability for council tax starts at 18, and
  // the schools extract holds pupils of Reception–Year 11 (aged 4–16), so no person is in both.
  const { sources, result } = linkFiles(agencies.map((a) => join(WORK, `${a}.enc`)), { duplicateFree: [], adults: ['council_tax'], children: ['schools'], diceThreshold: 0.8 });
  const personOf = (_s: number, token: string) => personOfRecord.get(tokenToRecord.get(token) ?? '');
  console.log(`${result.stats.records} records from ${agencies.length} sources linked in ${result.stats.seconds.total!.toFixed(1)} s: ${result.stats.candidatePairs} candidate pairs, ${result.stats.entities} entities, ${result.stats.households} households`);
  for (const line of result.scoring.reasoning.filter((l) => l.startsWith('Household test'))) console.log(`  ${line}`);
  for (let i = 0; i < sources.length; i++) {
    for (let j = i + 1; j < sources.length; j++) console.log(`${sources[i]!.name} × ${sources[j]!.name}: ${fmt(pairQuality(result, sources, i, j, personOf))}`);
  }
}

mkdirSync(WORK, { recursive: true });
try {
  await febrl();
  await synthetic();
} finally {
  rmSync(WORK, { recursive: true, force: true });
}
