/**
 * The linkage engine: sources in, entities and households out. Pure (no I/O): the broker's runs and
 * the offline `link` command both feed it decoded sources and store what it returns.
 *
 *   blocking (keyed tokens ∪ LSH) → per-field Dice on candidate pairs → Fellegi–Sunter weights with
 *   m/u fitted by EM and a threshold chosen from the model → greedy constraint-aware entities →
 *   households by address → ids kept stable against the previous run.
 *
 * Inputs without field-level filters (clkhash-compatible CLKs) are scored by record-level Dice.
 * Each stage lives in its own module; this one runs them in order. A broker run splits them into
 * jobs that several workers share: blocking and similarities one pair of sources at a time (a
 * partition, `linkPartition`) beside the sample the fit needs from every source (`scoringSample`);
 * the fit, once (`fitRun`); each partition's pairs weighed with it (`scoreChunk`); entities,
 * households and ids from the weighed pairs (`linkScored`). `link` composes them in one process, with
 * the same result.
 * engine-incremental.ts runs the same stages with a stored model instead of fitting one.
 */
import { groupByAddress } from './address-households.js';
import { blockSourcePair, sourcePairs } from './candidate-blocks.js';
import { assignStableIds } from './entities/index.js';
import { carryFloor, NO_PAIRS, pairsToCarry, resolveEntities } from './entity-resolution.js';
import { estimateQuality } from './estimates.js';
import { reviewLine, withReviewLabels } from './review-labels.js';
import { residualLine } from './explanations.js';
import {
  applyFit,
  type FittedScoring,
  fitScoring,
  type ScoringSample,
  scoringOf,
  scoringSample,
} from './fit-scoring.js';
import {
  type BlockSimilarities,
  blockSimilarities,
  type Compatible,
  type PreparedColumns,
  type PreparedSources,
  prepareColumns,
  prepareSources,
  type SourceBlock,
} from './prepare.js';
import { recordKeysOf } from './record-key.js';
import { engineStats, StageClock, stageProgress } from './stages.js';
import type { BlockingPlan, EngineOptions, EngineResult, EngineSource } from './types.js';

export type { Compatible } from './prepare.js';
export { checkCompatible } from './prepare.js';
export type { FittedScoring, ScoringSample } from './fit-scoring.js';
export { scoringSample } from './fit-scoring.js';

/** One partition of a full run: the candidate pairs between sources i and j (i = j: inside source i). */
export interface Partition {
  i: number;
  j: number;
}

/** What a partition hands on: its pairs (local record numbers) and their similarities, and how it blocked. */
export interface PartitionResult {
  block: SourceBlock;
  similarities: BlockSimilarities;
  stats: EngineResult['stats']['blocking'][number];
  plan: BlockingPlan;
  /** Its stages' seconds; `load`: decrypting its sources, where a run's job did. */
  seconds: { blocking: number; similarities: number; load?: number };
}

/** A full run's partitions, in the order their results are joined. */
export function planPartitions(sources: Pick<EngineSource, 'duplicateFree'>[]): Partition[] {
  return sourcePairs(sources);
}

/**
 * One partition, given only its sources (`sources[0]` is source i, `sources[1]` source j when i ≠ j)
 * and the run's comparable fields: blocking, then the similarities of its candidate pairs.
 */
export function linkPartition(
  sources: EngineSource[],
  part: Partition,
  fields: Compatible,
  opts: Omit<EngineOptions, 'onProgress'>,
): PartitionResult {
  // Only the two sources' own columns: no record numbering or address keys across sources.
  const prep = prepareColumns(sources, opts, fields);
  const r = partitionOf(sources, prep, opts, 0, part.i === part.j ? 0 : 1);
  return { ...r, block: { ...r.block, i: part.i, j: part.j } };
}

function partitionOf(
  sources: EngineSource[],
  prep: PreparedColumns,
  opts: Omit<EngineOptions, 'onProgress'>,
  i: number,
  j: number,
): PartitionResult {
  const clock = new StageClock();
  const r = clock.time('blocking', () => blockSourcePair(sources, prep, opts, i, j));
  const similarities = clock.time('similarities', () => blockSimilarities(r.block, prep));
  const seconds = { blocking: clock.seconds.blocking!, similarities: clock.seconds.similarities! };
  return { ...r, similarities, seconds };
}

export function link(sources: EngineSource[], opts: EngineOptions): EngineResult {
  const started = performance.now();
  const prep = prepareSources(sources, opts);
  const prepared = (performance.now() - started) / 1000;
  stageProgress(prep.total, opts.onProgress).blocking();
  // 1–2. Blocking and similarities, one partition (pair of sources) after another.
  const parts = planPartitions(sources).map(({ i, j }) => partitionOf(sources, prep, opts, i, j));
  return linkFinish(sources, prep, parts, opts, prepared);
}

/**
 * Every stage after the partitions, in one process: the sample, the fit, each partition's pairs
 * weighed, then entities, households and ids (what a run's jobs do apart: linkSample, fitRun,
 * scoreChunk, linkScored). `prepared`: seconds `prep` took.
 */
export function linkFinish(
  sources: EngineSource[],
  prep: PreparedSources,
  parts: PartitionResult[],
  opts: EngineOptions,
  prepared = 0,
): EngineResult {
  const started = performance.now();
  const candidates = parts.reduce((n, p) => n + p.block.pairs.length / 2, 0);
  stageProgress(prep.total, opts.onProgress).scoring(candidates);
  const sample = scoringSample(sources, prep);
  const fit = fitRun(prep, parts, sample, opts);
  const chunks = parts.map((p) => scoreChunk(fit, p));
  const scoring = (performance.now() - started) / 1000;
  return linkScored(sources, prep, parts, chunks, fit, opts, { prepare: prepared, scoring });
}

/** What a partition's pairs hand on once weighed: those that may still matter (carryFloor), and counts. */
export interface ScoredChunk {
  i: number;
  j: number;
  /** The pairs kept, as local record numbers (a, b), and their weights. */
  pairs: Uint32Array;
  weight: Float32Array;
  /** Candidate pairs the partition held, and how many the household test vetoed. */
  candidates: number;
  vetoed: number;
  /**
   * Fellegi–Sunter: each kept pair's posterior log2-odds of being one person (applyFit's evidence), for
   * the estimates; Dice: empty.
   */
  evidence: Float32Array;
}

/**
 * The scoring fitted once for a whole run, from every partition's similarities and the sample:
 * record-level Dice, or the Fellegi–Sunter model and its threshold. The same inputs give the same
 * fit, bit for bit, wherever it runs.
 */
export function fitRun(
  prep: Pick<PreparedSources, 'clkMode' | 'fieldNames' | 'compatible'>,
  parts: Pick<PartitionResult, 'block' | 'similarities'>[],
  sample: ScoringSample,
  opts: Pick<EngineOptions, 'diceThreshold' | 'minTrainingPairs' | 'reviewLabels'>,
): FittedScoring {
  let count = 0;
  let crossPairs = 0;
  for (const p of parts) {
    const n = p.block.pairs.length / 2;
    count += n;
    if (p.block.i !== p.block.j) crossPairs += n;
  }
  const F = prep.fieldNames.length;
  const sims = new Float32Array(count * F);
  let at = 0;
  for (const p of parts) {
    sims.set(p.similarities.sims, at);
    at += p.similarities.sims.length;
  }
  return fitScoring(prep, { sims, count, crossPairs }, sample, opts);
}

/** One partition's pairs weighed with the run's fit; any worker may do it, in any order. */
export function scoreChunk(fit: FittedScoring, part: Pick<PartitionResult, 'block' | 'similarities'>): ScoredChunk {
  const { weight, vetoed, evidence } = applyFit(fit, part.similarities.sims, part.similarities.clkDice);
  const floor = carryFloor(fit);
  const { i, j, pairs } = part.block;
  let kept = 0;
  for (let k = 0; k < weight.length; k++) if (weight[k]! >= floor) kept++;
  const out = {
    pairs: new Uint32Array(2 * kept),
    weight: new Float32Array(kept),
    evidence: new Float32Array(evidence ? kept : 0),
  };
  for (let k = 0, at = 0; k < weight.length; k++) {
    if (!(weight[k]! >= floor)) continue;
    out.pairs[2 * at] = pairs[2 * k]!;
    out.pairs[2 * at + 1] = pairs[2 * k + 1]!;
    if (evidence) out.evidence[at] = evidence[k]!;
    out.weight[at++] = weight[k]!;
  }
  return { i, j, ...out, candidates: weight.length, vetoed };
}

/**
 * Entities, households and stable ids from the weighed partitions (in plan order). Only the pairs
 * at or above carryFloor reach here: the clustering and the residual pass read no other, so the
 * result is the one all the candidates give. `seconds`: stages timed elsewhere (the partitions'
 * blocking and similarities are added from `parts`).
 */
export function linkScored(
  sources: EngineSource[],
  prep: PreparedSources,
  parts: Pick<PartitionResult, 'stats' | 'plan' | 'seconds'>[],
  chunks: ScoredChunk[],
  fit: FittedScoring,
  opts: EngineOptions,
  seconds: Record<string, number> = {},
): EngineResult {
  const sum = (k: 'blocking' | 'similarities') => parts.reduce((s, p) => s + p.seconds[k], 0);
  const clock = new StageClock({ ...seconds, blocking: sum('blocking'), similarities: sum('similarities') });
  const { offsets, total, sourceOf } = prep;
  const progress = stageProgress(total, opts.onProgress);
  const candidateCount = chunks.reduce((n, c) => n + c.candidates, 0);
  const scoring = scoringOf(
    fit,
    chunks.reduce((n, c) => n + c.vetoed, 0),
  );
  const kept = chunks.reduce((n, c) => n + c.weight.length, 0);
  const pairs = { a: new Uint32Array(kept), b: new Uint32Array(kept), weight: new Float32Array(kept) };
  const evidence = new Float32Array(kept);
  let at = 0;
  for (const c of chunks) {
    for (let k = 0; k < c.weight.length; k++, at++) {
      pairs.a[at] = offsets[c.i]! + c.pairs[2 * k]!;
      pairs.b[at] = offsets[c.j]! + c.pairs[2 * k + 1]!;
    }
    pairs.weight.set(c.weight, at - c.weight.length);
    if (c.evidence.length === c.weight.length) evidence.set(c.evidence, at - c.weight.length);
  }
  progress.entities(candidateCount);

  // 4. Entities: greedy, best pair first, then the residual pass (see residual.ts).
  const { graph, residual, recordKeys, ids, review } = clock.time('entities', () => {
    const keys = recordKeysOf(sources, offsets, total);
    const labelled = withReviewLabels(pairs, keys, opts.reviewLabels ?? []);
    const resolved = resolveEntities(sources, prep, labelled.pairs, scoring);
    const stable = assignStableIds({
      clusterOf: resolved.graph.entityOf,
      clusterCount: resolved.graph.entities.count,
      memberKeys: keys,
      previous: opts.previousEntities ?? new Map(),
      runId: opts.runId,
    });
    return { ...resolved, recordKeys: keys, ids: stable, review: labelled };
  });
  progress.households(candidateCount, graph.entities.count);

  // 5. Households: entities grouped by exact postcode filter, then by address similarity within it.
  const hh = clock.time('households', () => groupByAddress(prep, graph, ids.ids, opts));
  const estimates = scoring.model
    ? clock.time('estimates', () =>
        estimateQuality({
          sourceNames: sources.map((s) => s.name),
          sourceOf,
          entityOf: graph.entityOf,
          scored: { a: pairs.a, b: pairs.b, evidence },
          residual: residual?.pairs ?? NO_PAIRS,
          addressPosteriors: residual?.addressPosteriors ?? NO_PAIRS,
        }),
      )
    : undefined;
  const stageSeconds = clock.finish();
  progress.done(candidateCount, graph.entities.count);

  return {
    sourceOf,
    recordKeys,
    entityIds: Array.from(graph.entityOf, (e) => ids.ids[e]!),
    householdIds: hh.householdIds,
    // Carried as scored, not as labelled: each run applies the labels then current (a later conflict undoes one).
    pairs: pairsToCarry(pairs, scoring),
    residualLinks: residual?.pairs ?? NO_PAIRS,
    scoring: {
      ...scoring,
      reasoning: [
        ...scoring.reasoning,
        ...(residual ? [residualLine(sources, residual)] : []),
        ...(opts.reviewLabels?.length ? [reviewLine(review)] : []),
      ],
    },
    ...(estimates ? { estimates } : {}),
    blockingPlans: parts.map((p) => p.plan),
    events: [...ids.events, ...hh.events],
    stats: engineStats({
      records: total,
      candidatePairs: candidateCount,
      blocking: parts.map((p) => p.stats),
      graph,
      households: hh.households,
      seconds: stageSeconds,
    }),
  };
}
