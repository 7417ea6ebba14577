/**
 * `npm run bench:estimates`: how honest the run's own estimates are. The engine estimates precision and
 * recall per pair of sources from its model alone (broker/src/linkage/estimates.ts); this links the
 * synthetic UK agencies under both error models of tools/synth: `own` at its error rates and at
 * twice them, and `independent` (whose rates are already twice `own`'s), and prints each pair's
 * estimate beside what the truth measures (and the true pairs missed beside the expected missed pairs
 * the estimate counts: the difference is mostly pairs blocking never proposed), and the households;
 * and FEBRL4 (public data) first, when ../shared/data holds it.
 * `--persons N` (default 10,000). Figures, not assertions.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parse } from 'csv-parse/sync';
import { type ErrorModelName, type ErrorRates, errorModel as errorModelOf, synthCommand } from '@blindlink/synth';
import {
  encodeAgencies,
  FEBRL,
  febrlFieldLevel,
  householdQuality,
  linkAgencies,
  ROOT,
  trueHouseholds,
} from './quality.js';

const arg = process.argv.indexOf('--persons');
const PERSONS = arg > 0 ? Number(process.argv[arg + 1]) : 10_000;
const WORK = join(tmpdir(), `blindlink-bench-estimates-${process.pid}`);
const AGENCIES = ['council_tax', 'nhs_gp', 'electoral_roll', 'police', 'schools', 'dwp'];
const pts = (x: number) => (100 * x).toFixed(1);

async function at(errorModel: ErrorModelName, scale: number): Promise<void> {
  const data = join(WORK, `synth-${errorModel}-${scale}`);
  const work = join(WORK, `enc-${errorModel}-${scale}`);
  mkdirSync(work, { recursive: true });
  const errorRates = Object.fromEntries(
    Object.entries(errorModelOf(errorModel).errorRates).map(([k, v]) => [k, Math.min(1, v * scale)]),
  ) as unknown as ErrorRates;
  await synthCommand(
    { persons: PERSONS, seed: 'bench-estimates', out: data, errorModel, errorRates },
    { info: () => {} },
  );
  const truth = parse(readFileSync(join(data, 'truth/records.csv')), { columns: true }) as {
    agency: string;
    record_id: string;
    person_id: string;
  }[];
  const personOfRecord = new Map(truth.map((r) => [`${r.agency}:${r.record_id}`, r.person_id]));
  const tokenToRecord = await encodeAgencies(data, work, AGENCIES, 'uk-person');
  const { sources, result, quality } = linkAgencies(work, AGENCIES, personOfRecord, tokenToRecord);
  console.log(
    `\n## error model ${errorModel}, its error rates × ${scale}: ${result.stats.records} records, ` +
      `${result.stats.entities} entities, ${result.stats.households} households, ` +
      `${result.stats.seconds.total!.toFixed(1)} s`,
  );
  const estimates = result.estimates;
  if (!estimates) throw new Error('no estimates: the run was not scored by Fellegi–Sunter');
  console.log(
    '| sources | linked pairs | precision est / measured | recall est (upper bound) / measured | ' +
      'missed pairs est / true |',
  );
  console.log('|---|---|---|---|---|');
  let worst = 0;
  let measured = { tp: 0, fp: 0, fn: 0 };
  for (const e of estimates.pairs) {
    const i = sources.findIndex((s) => s.name === e.sources[0]);
    const j = sources.findIndex((s) => s.name === e.sources[1]);
    if (i === j) continue;
    const q = quality(i, j);
    measured = { tp: measured.tp + q.tp, fp: measured.fp + q.fp, fn: measured.fn + q.fn };
    if (q.tp + q.fn < 100) continue; // too few true pairs to measure a figure to a point
    worst = Math.max(worst, Math.abs(e.precision - q.precision), Math.abs(e.recall - q.recall));
    console.log(
      `| ${e.sources.join(' × ')} | ${e.linkedPairs} | ${pts(e.precision)} / ${pts(q.precision)} | ` +
        `${pts(e.recall)} / ${pts(q.recall)} | ${Math.round(e.expectedMissed)} / ${q.fn} |`,
    );
  }
  const a = estimates.acrossSources;
  const mp = measured.tp / Math.max(1, measured.tp + measured.fp);
  const mr = measured.tp / Math.max(1, measured.tp + measured.fn);
  console.log(
    `| all pairs of sources | ${a.linkedPairs} | ${pts(a.precision)} / ${pts(mp)} | ${pts(a.recall)} / ${pts(mr)} | ` +
      `${Math.round(a.expectedMissed)} / ${measured.fn} |`,
  );
  console.log(`largest gap over pairs with ≥ 100 true pairs: ${pts(worst)} points`);
  const personOf = (_s: number, token: string) => personOfRecord.get(tokenToRecord.get(token) ?? '');
  const h = householdQuality(result, sources, personOf, trueHouseholds(data));
  console.log(
    `households, pairs of persons: precision ${h.precision.toFixed(3)}, recall ${h.recall.toFixed(3)} ` +
      `(${h.predicted} households found for ${h.truth} true; tp ${h.tp}, fp ${h.fp}, fn ${h.fn})`,
  );
}

/** FEBRL4 (public data, 5,000 × 5,000 records, one match each), when ../shared/data holds it. */
async function febrl(): Promise<void> {
  if (!existsSync(join(FEBRL, 'dataset4a.csv'))) {
    console.log(`\n## FEBRL4: skipped, ${FEBRL} not found`);
    return;
  }
  const work = join(WORK, 'febrl');
  mkdirSync(work, { recursive: true });
  const { quality: q, result } = await febrlFieldLevel(work, join(ROOT, 'bench/schemas/febrl4.json'));
  const e = result.estimates?.acrossSources;
  if (!e) throw new Error('no estimates: the FEBRL4 run was not scored by Fellegi–Sunter');
  console.log(
    `\n## FEBRL4 (field-level schema): ${e.linkedPairs} pairs linked; precision est / measured ` +
      `${pts(e.precision)} / ${pts(q.precision)}, recall est (upper bound) / measured ${pts(e.recall)} / ` +
      `${pts(q.recall)}, missed pairs est / true ${Math.round(e.expectedMissed)} / ${q.fn}`,
  );
}

mkdirSync(WORK, { recursive: true });
try {
  await febrl();
  await at('own', 1);
  await at('own', 2);
  // The independent model's rates are already twice the own model's.
  await at('independent', 1);
} finally {
  rmSync(WORK, { recursive: true, force: true });
}
