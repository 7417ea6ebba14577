/**
 * `npm run bench:quality`: precision, recall, F1 and candidate pairs against ground truth.
 *  - FEBRL4 (5,000 × 5,000, every record has one partner): clkhash's own schema with record-level
 *    Dice at three thresholds (what anonlink does), and blindlink's field-level encoding of every
 *    FEBRL column (bench/schemas/febrl4.json) with Fellegi–Sunter scoring;
 *  - the synthetic UK agencies, per pair of sources, against the generator's truth, under the generator's own
 *    error model and an independent one (`--error-model own|independent`, default both; `--persons N`, default
 *    20,000; `--no-febrl` skips FEBRL4).
 * Figures, not assertions: run it, read it, quote it. The measures live in quality.ts (shared with
 * bench:privacy).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { encodeClkhashCommand } from '@blindlink/agency-client/clkhash';
import { linkFiles, type EngineSource } from '@blindlink/broker';
import {
  encodeAgencies,
  FEBRL,
  febrlFieldLevel,
  febrlPersonOfId,
  febrlRows,
  fmt,
  linkAgencies,
  impureEntities,
  pairQuality,
  ROOT,
  synthAgencies,
  withinSourceQuality,
} from './quality.js';
import { ERROR_MODELS, type ErrorModelName } from '@blindlink/synth';

const QUICK = process.argv.includes('--quick');
const WORK = join(tmpdir(), `blindlink-bench-quality-${process.pid}`);

async function febrl(): Promise<void> {
  console.log('\n## FEBRL4 (5,000 × 5,000; 5,000 true pairs)');
  // clkhash's own schema and CLKs: record-level Dice, one-to-one (both files are duplicate-free).
  writeFileSync(join(WORK, 'secret'), 'secret', { mode: 0o600 });
  for (const f of ['dataset4a', 'dataset4b']) {
    await encodeClkhashCommand(
      {
        schema: join(FEBRL, 'clkhash_schema_v3.json'),
        secretFile: join(WORK, 'secret'),
        input: join(FEBRL, `${f}.csv`),
        out: join(WORK, `${f}.json`),
        onInvalid: 'fail',
      },
      { warn: () => {} },
    );
  }
  const ids = Object.fromEntries(['dataset4a', 'dataset4b'].map((f) => [f, febrlRows(`${f}.csv`).map((r) => r[0]!)]));
  const febrlPerson = (sources: EngineSource[]) => (s: number, token: string) =>
    febrlPersonOfId(ids[sources[s]!.name]?.[Number(token)]);
  for (const t of [0.8, 0.75, 0.7]) {
    const { sources, result } = linkFiles([join(WORK, 'dataset4a.json'), join(WORK, 'dataset4b.json')], {
      duplicateFree: ['dataset4a', 'dataset4b'],
      diceThreshold: t,
    });
    console.log(
      `clkhash schema, record-level Dice ≥ ${t}: ` +
        `${fmt(pairQuality(result, sources, 0, 1, febrlPerson(sources)))}; candidate pairs ` +
        `${result.stats.candidatePairs}`,
    );
  }

  // blindlink: every FEBRL column as a field-level filter (bench/schemas/febrl4.json: the schema a data
  // officer writes for identifiers uk-person does not cover); field-level Fellegi–Sunter.
  const { quality, result, rejected } = await febrlFieldLevel(WORK, join(ROOT, 'bench/schemas/febrl4.json'));
  for (const [f, n] of Object.entries(rejected))
    if (n) console.log(`  ${f}: ${n} invalid fields left out (--on-invalid missing), rows kept`);
  console.log(
    `blindlink febrl4 schema, field-level Fellegi–Sunter: ${fmt(quality)}; candidate pairs ` +
      `${result.stats.candidatePairs}; ${result.stats.seconds.total!.toFixed(2)} s`,
  );
  for (const line of result.scoring.reasoning.filter((l) => l.startsWith('Rule:') || l.startsWith('Household test')))
    console.log(`  ${line}`);
}

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/**
 * The synthetic agencies under one error model: every pair of sources linked six at a time; council tax × GP and
 * police × GP linked alone, and council tax + police + GP together (adding a source should cost nothing); the GP's
 * own duplicates; entities that hold more than one person.
 */
async function synthetic(model: ErrorModelName, persons: number): Promise<void> {
  console.log(`\n## Synthetic UK agencies, error model ${model} (${persons} persons, seed bench-quality)`);
  const data = join(WORK, `synth-${model}`);
  const work = join(WORK, `enc-${model}`);
  mkdirSync(work, { recursive: true });
  const { personOfRecord } = await synthAgencies(data, persons, 'bench-quality', undefined, model);
  const agencies = ['council_tax', 'nhs_gp', 'electoral_roll', 'police', 'schools', 'dwp'];
  const tokenToRecord = await encodeAgencies(data, work, agencies, 'uk-person');
  const run = (names: string[]) => linkAgencies(work, names, personOfRecord, tokenToRecord);
  const all = run(agencies);
  const { sources, result, quality, personOf } = all;
  console.log(
    `${result.stats.records} records from ${agencies.length} sources linked in ` +
      `${result.stats.seconds.total!.toFixed(1)} s: ${result.stats.candidatePairs} candidate pairs, ` +
      `${result.stats.entities} entities, ${result.stats.households} households`,
  );
  for (const line of result.scoring.reasoning.filter((l) => l.startsWith('Household test'))) console.log(`  ${line}`);
  for (let i = 0; i < sources.length; i++) {
    for (let j = i + 1; j < sources.length; j++)
      console.log(`${sources[i]!.name} × ${sources[j]!.name}: ${fmt(quality(i, j))}`);
  }
  const gp = agencies.indexOf('nhs_gp');
  console.log(`nhs_gp within-source duplicates: ${fmt(withinSourceQuality(result, sources, gp, personOf))}`);
  const { impure, entities } = impureEntities(result, sources, personOf);
  console.log(`entities holding more than one person: ${impure} of ${entities} (${pct(impure / entities)})`);
  const f1 = (names: string[], a: string, b: string) => {
    const r = names.length === agencies.length ? all : run(names);
    return r.quality(names.indexOf(a), names.indexOf(b)).f1.toFixed(4);
  };
  const six = (a: string, b: string) => all.quality(agencies.indexOf(a), agencies.indexOf(b)).f1.toFixed(4);
  console.log(
    `council_tax × nhs_gp F1: six sources ${six('council_tax', 'nhs_gp')}, alone ` +
      `${f1(['council_tax', 'nhs_gp'], 'council_tax', 'nhs_gp')}, with police ` +
      `${f1(['council_tax', 'nhs_gp', 'police'], 'council_tax', 'nhs_gp')}`,
  );
  console.log(
    `police × nhs_gp F1: six sources ${six('police', 'nhs_gp')}, alone ${f1(['nhs_gp', 'police'], 'police', 'nhs_gp')}`,
  );
}

mkdirSync(WORK, { recursive: true });
try {
  const persons = Number(arg('--persons') ?? (QUICK ? 5_000 : 20_000));
  const models = (arg('--error-model') ?? ERROR_MODELS.join(',')).split(',') as ErrorModelName[];
  if (!process.argv.includes('--no-febrl')) await febrl();
  for (const model of models) await synthetic(model, persons);
} finally {
  rmSync(WORK, { recursive: true, force: true });
}
