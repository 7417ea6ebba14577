/**
 * `npm run bench:quality`: precision, recall, F1 and candidate pairs against ground truth.
 *  - FEBRL4 (5,000 × 5,000, every record has one partner): clkhash's own schema with record-level
 *    Dice at three thresholds (what anonlink does), and blindlink's field-level encoding of every
 *    FEBRL column (bench/schemas/febrl4.json) with Fellegi–Sunter scoring;
 *  - the synthetic UK agencies, per pair of sources, against the generator's truth, under the generator's own
 *    error model and an independent one (`--error-model own|independent`, default both; `--persons N`, default
 *    20,000; `--no-febrl` skips FEBRL4);
 *  - `--review` instead: clerical-review labels in the next run's fit (docs/clerical-review.md). Council tax
 *    exports its K most uncertain pairs (K = 50, 200), a simulated data officer labels them from the truth, and
 *    the six sources are linked again with the labels as overrides only and as overrides plus the refit.
 * Figures, not assertions: run it, read it, quote it. The measures live in quality.ts (shared with
 * bench:privacy).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { encodeClkhashCommand } from '@blindlink/agency-client/clkhash';
import { randomUUID } from 'node:crypto';
import {
  blockSimilarities,
  type EngineResult,
  type EngineSource,
  link,
  linkFiles,
  prepareSources,
  type ReviewLabel,
  uncertainPairs,
} from '@blindlink/broker';
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

/** The six synthetic agencies under one error model, generated and encoded with the default schema. */
async function encodedAgencies(model: ErrorModelName, persons: number) {
  const data = join(WORK, `synth-${model}`);
  const work = join(WORK, `enc-${model}`);
  mkdirSync(work, { recursive: true });
  const { personOfRecord } = await synthAgencies(data, persons, 'bench-quality', undefined, model);
  const agencies = ['council_tax', 'nhs_gp', 'electoral_roll', 'police', 'schools', 'dwp'];
  const tokenToRecord = await encodeAgencies(data, work, agencies, 'uk-person');
  return { work, agencies, personOfRecord, tokenToRecord };
}

/**
 * The synthetic agencies under one error model: every pair of sources linked six at a time; council tax × GP and
 * police × GP linked alone, and council tax + police + GP together (adding a source should cost nothing); the GP's
 * own duplicates; entities that hold more than one person.
 */
async function synthetic(model: ErrorModelName, persons: number): Promise<void> {
  console.log(`\n## Synthetic UK agencies, error model ${model} (${persons} persons, seed bench-quality)`);
  const { work, agencies, personOfRecord, tokenToRecord } = await encodedAgencies(model, persons);
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

/**
 * Clerical review's labels in the next run, under one error model: council tax × GP F1 before, with the
 * labels as pair-level overrides only (no similarities: the fit never sees them), and with the labels
 * also in the fit; over every pair, and leaving out the labelled pairs themselves, so that what is left
 * is what the refitted model (and the overrides' knock-on effect in the clustering) changed.
 */
async function review(model: ErrorModelName, persons: number): Promise<void> {
  console.log(`\n## Clerical review in the fit, error model ${model} (${persons} persons, seed bench-quality)`);
  const { work, agencies, personOfRecord, tokenToRecord } = await encodedAgencies(model, persons);
  const { sources, result, personOf } = linkAgencies(work, agencies, personOfRecord, tokenToRecord);
  const at: { s: number; r: number }[] = sources.flatMap((src, s) => src.tokens.map((_t, r) => ({ s, r })));
  const tokenOf = (g: number) => sources[at[g]!.s]!.tokens[at[g]!.r]!;
  const records = result.recordKeys.map((recordKey, g) => ({
    agency: sources[at[g]!.s]!.name,
    token: tokenOf(g),
    recordKey,
    entityId: result.entityIds[g]!,
  }));
  const prep = prepareSources(sources, {});
  const simsOf = (x: number, y: number): Record<string, number | null> => {
    const [a, b] = at[x]!.s <= at[y]!.s ? [at[x]!, at[y]!] : [at[y]!, at[x]!];
    const { sims } = blockSimilarities({ i: a.s, j: b.s, pairs: Uint32Array.of(a.r, b.r) }, prep);
    return Object.fromEntries(prep.fieldNames.map((f, i) => [f, Number.isNaN(sims[i]!) ? null : sims[i]!]));
  };
  const [ct, gp] = [0, 1];
  const f1 = (r: EngineResult, exclude: ReadonlySet<string>) =>
    pairQuality(r, sources, ct, gp, personOf, exclude).f1.toFixed(4);
  const weights = (r: EngineResult) => r.scoring.model!.weights;
  console.log(
    `${result.stats.records} records, council tax × GP F1 ${f1(result, new Set())}; ` +
      `${result.scoring.model!.training.pairs} candidate pairs in the fit`,
  );
  console.log(
    '| K | labelled: match / non-match (CT × GP) | decided against the label: before / overrides / + fit | ' +
      'F1 before / overrides / overrides + fit | ' +
      'F1 without the labelled pairs: before / overrides / overrides + fit | largest weight move |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const K of [50, 200]) {
    const scoring = { mode: result.scoring.mode, threshold: result.scoring.threshold };
    const chosen = uncertainPairs(result.pairs, records, 'council_tax', scoring, { pairs: K }, new Set());
    const exclude = new Set<string>();
    const labels: ReviewLabel[] = chosen.map((c) => {
      const [pa, pb] = [personOf(at[c.a]!.s, tokenOf(c.a)), personOf(at[c.b]!.s, tokenOf(c.b))];
      const [sa, sb] = [at[c.a]!.s, at[c.b]!.s];
      if (sa !== sb && [sa, sb].includes(ct) && [sa, sb].includes(gp))
        exclude.add(sa === ct ? `${tokenOf(c.a)}|${tokenOf(c.b)}` : `${tokenOf(c.b)}|${tokenOf(c.a)}`);
      const match = pa !== undefined && pa === pb;
      return { a: records[c.a]!.recordKey, b: records[c.b]!.recordKey, match, sims: simsOf(c.a, c.b) };
    });
    const again = (reviewLabels: ReviewLabel[]) =>
      link(sources, { diceThreshold: 0.8, runId: randomUUID(), reviewLabels });
    const overrides = again(labels.map(({ sims: _s, ...l }) => l));
    const refit = again(labels);
    let move = { by: 0, what: '' };
    const [m0, m1] = [result.scoring.model!, refit.scoring.model!];
    for (let f = 0; f < m1.fields.length; f++) {
      for (let l = 0; l < m1.m[f]!.length; l++) {
        // Levels that hold at least 1% of matches: one with almost none moves far on one label, and matters little.
        if (Math.max(m1.m[f]![l]!, m0.m[f]![l]!) < 0.01) continue;
        const by = weights(refit)[f]![l]! - weights(result)[f]![l]!;
        if (Math.abs(by) > Math.abs(move.by)) move = { by, what: `${m1.fields[f]!.field} ${m1.fields[f]!.labels[l]}` };
      }
    }
    const matches = labels.filter((l) => l.match).length;
    const wrong = (r: EngineResult) =>
      labels.filter((l, i) => (r.entityIds[chosen[i]!.a] === r.entityIds[chosen[i]!.b]) !== l.match).length;
    console.log(
      `| ${K} | ${matches} / ${labels.length - matches} (${exclude.size}) | ` +
        `${wrong(result)} / ${wrong(overrides)} / ${wrong(refit)} | ` +
        `${f1(result, new Set())} / ${f1(overrides, new Set())} / ${f1(refit, new Set())} | ` +
        `${f1(result, exclude)} / ${f1(overrides, exclude)} / ${f1(refit, exclude)} | ` +
        `${move.what}: ${move.by >= 0 ? '+' : ''}${move.by.toFixed(2)} bits; threshold ` +
        `${result.scoring.threshold.toFixed(2)} → ${refit.scoring.threshold.toFixed(2)}, λ ` +
        `${result.scoring.model!.lambda.toExponential(2)} → ${refit.scoring.model!.lambda.toExponential(2)} |`,
    );
    const line = refit.scoring.reasoning.find((l) => l.startsWith('Clerical review in the fit'));
    if (line) console.log(`  ${line}`);
  }
}

mkdirSync(WORK, { recursive: true });
try {
  const persons = Number(arg('--persons') ?? (QUICK ? 5_000 : 20_000));
  const models = (arg('--error-model') ?? ERROR_MODELS.join(',')).split(',') as ErrorModelName[];
  if (process.argv.includes('--review')) for (const model of models) await review(model, persons);
  else {
    if (!process.argv.includes('--no-febrl')) await febrl();
    for (const model of models) await synthetic(model, persons);
  }
} finally {
  rmSync(WORK, { recursive: true, force: true });
}
