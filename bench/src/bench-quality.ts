/**
 * `npm run bench:quality`: precision, recall, F1 and candidate pairs against ground truth.
 *  - FEBRL4 (5,000 × 5,000, every record has one partner): clkhash's own schema with record-level
 *    Dice at three thresholds (what anonlink does), and blindlink's field-level encoding of every
 *    FEBRL column (bench/schemas/febrl4.json) with Fellegi–Sunter scoring;
 *  - the synthetic UK agencies, per pair of sources, against the generator's truth.
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
  pairQuality,
  ROOT,
  synthAgencies,
} from './quality.js';

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

async function synthetic(): Promise<void> {
  const persons = QUICK ? 10_000 : 50_000;
  console.log(`\n## Synthetic UK agencies (${persons} persons, seed bench-quality)`);
  const data = join(WORK, 'synth');
  const { personOfRecord } = await synthAgencies(data, persons, 'bench-quality');
  const agencies = ['council_tax', 'nhs_gp', 'electoral_roll', 'police', 'schools', 'dwp'];
  const tokenToRecord = await encodeAgencies(data, WORK, agencies, 'uk-person');
  const { sources, result, quality } = linkAgencies(WORK, agencies, personOfRecord, tokenToRecord);
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
}

mkdirSync(WORK, { recursive: true });
try {
  await febrl();
  await synthetic();
} finally {
  rmSync(WORK, { recursive: true, force: true });
}
