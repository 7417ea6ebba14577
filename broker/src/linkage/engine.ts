/**
 * The linkage engine: sources in, entities and households out. Pure (no I/O): the broker's runs and
 * the offline `link` command both feed it decoded sources and store what it returns.
 *
 *   blocking (keyed tokens ∪ LSH) → per-field Dice on candidate pairs → Fellegi–Sunter weights with
 *   m/u fitted by EM and a threshold chosen from the model → greedy constraint-aware entities →
 *   households by address → ids kept stable against the previous run.
 *
 * Inputs without field-level filters (clkhash-compatible CLKs) are scored by record-level Dice.
 * Each stage lives in its own module; this one runs them in order. The first two stages work on one
 * pair of sources at a time (a partition, `linkPartition`), so a broker run splits them into jobs
 * that several workers share; `linkFinish` takes every partition's result, in order, and does the
 * rest. `link` is the two composed in one process, with the same result.
 * engine-incremental.ts runs the same stages with a stored model instead of fitting one.
 */
import { groupByAddress } from './address-households.js';
import { blockSourcePair, sourcePairs } from './candidate-blocks.js';
import { assignStableIds } from './entities/index.js';
import { NO_PAIRS, pairsToCarry, resolveEntities } from './entity-resolution.js';
import { residualLine } from './explanations.js';
import { scoreCandidates } from './fit-scoring.js';
import {
  type BlockSimilarities,
  blockSimilarities,
  type Compatible,
  joinSimilarities,
  type PreparedSources,
  prepareSources,
  type SourceBlock,
} from './prepare.js';
import { recordKeysOf } from './record-key.js';
import { engineStats, StageClock, stageProgress } from './stages.js';
import type { BlockingPlan, EngineOptions, EngineResult, EngineSource } from './types.js';

export type { Compatible } from './prepare.js';
export { checkCompatible } from './prepare.js';

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
export function planPartitions(sources: Pick<EngineSource, 'duplicateFree' | 'population'>[]): Partition[] {
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
  const prep = prepareSources(sources, opts, fields);
  const r = partitionOf(sources, prep, opts, 0, part.i === part.j ? 0 : 1);
  return { ...r, block: { ...r.block, i: part.i, j: part.j } };
}

function partitionOf(
  sources: EngineSource[],
  prep: PreparedSources,
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
 * Every stage after the partitions: their results joined in partition order, then scoring, entities,
 * households and stable ids. `prepared`: seconds `prep` took, counted in the total with the
 * partitions' blocking and similarities (wherever they ran).
 */
export function linkFinish(
  sources: EngineSource[],
  prep: PreparedSources,
  parts: PartitionResult[],
  opts: EngineOptions,
  prepared = 0,
): EngineResult {
  const sum = (k: 'blocking' | 'similarities') => parts.reduce((s, p) => s + p.seconds[k], 0);
  const clock = new StageClock({ prepare: prepared, blocking: sum('blocking'), similarities: sum('similarities') });
  const { offsets, total, sourceOf } = prep;
  const progress = stageProgress(total, opts.onProgress);
  const candidates = joinSimilarities(parts, prep);
  const candidateCount = candidates.ga.length;
  progress.scoring(candidateCount);

  // 3. Scoring: Fellegi–Sunter on the fields when there are enough of them, else record-level Dice.
  const { weight, scoring } = clock.time('scoring', () => scoreCandidates(sources, prep, candidates, opts));
  progress.entities(candidateCount);

  // 4. Entities: greedy, best pair first, then the residual pass (see residual.ts).
  const pairs = { a: candidates.ga, b: candidates.gb, weight };
  const { graph, residual, recordKeys, ids } = clock.time('entities', () => {
    const resolved = resolveEntities(sources, prep, pairs, scoring);
    const keys = recordKeysOf(sources, offsets, total);
    const stable = assignStableIds({
      clusterOf: resolved.graph.entityOf,
      clusterCount: resolved.graph.entities.count,
      memberKeys: keys,
      previous: opts.previousEntities ?? new Map(),
      runId: opts.runId,
    });
    return { ...resolved, recordKeys: keys, ids: stable };
  });
  progress.households(candidateCount, graph.entities.count);

  // 5. Households: entities grouped by exact postcode filter, then by address similarity within it.
  const hh = clock.time('households', () => groupByAddress(prep, graph, ids.ids, opts));
  const seconds = clock.finish();
  progress.done(candidateCount, graph.entities.count);

  return {
    sourceOf,
    recordKeys,
    entityIds: Array.from(graph.entityOf, (e) => ids.ids[e]!),
    householdIds: hh.householdIds,
    pairs: pairsToCarry(pairs, scoring),
    residualLinks: residual?.pairs ?? NO_PAIRS,
    scoring: residual ? { ...scoring, reasoning: [...scoring.reasoning, residualLine(sources, residual)] } : scoring,
    blockingPlans: parts.map((p) => p.plan),
    events: [...ids.events, ...hh.events],
    stats: engineStats({
      records: total,
      candidatePairs: candidateCount,
      blocking: parts.map((p) => p.stats),
      graph,
      households: hh.households,
      seconds,
    }),
  };
}
