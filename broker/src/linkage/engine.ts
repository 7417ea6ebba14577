/**
 * The linkage engine: sources in, entities and households out. Pure (no I/O): the broker's runs and
 * the offline `link` command both feed it decoded sources and store what it returns.
 *
 *   blocking (keyed tokens ∪ LSH) → per-field Dice on candidate pairs → Fellegi–Sunter weights with
 *   m/u fitted by EM and a threshold chosen from the model → greedy constraint-aware entities →
 *   households by address → ids kept stable against the previous run.
 *
 * Inputs without field-level filters (clkhash-compatible CLKs) are scored by record-level Dice.
 * Each stage lives in its own module; this one runs them in order. engine-incremental.ts runs the
 * same stages with a stored model instead of fitting one.
 */
import { groupByAddress } from './address-households.js';
import { candidateBlocks } from './candidate-blocks.js';
import { assignStableIds } from './entities/index.js';
import { NO_PAIRS, pairsToCarry, resolveEntities } from './entity-resolution.js';
import { residualLine } from './explanations.js';
import { scoreCandidates } from './fit-scoring.js';
import { pairSimilarities, prepareSources } from './prepare.js';
import { recordKeysOf } from './record-key.js';
import { engineStats, StageClock, stageProgress } from './stages.js';
import type { EngineOptions, EngineResult, EngineSource } from './types.js';

export function link(sources: EngineSource[], opts: EngineOptions): EngineResult {
  const clock = new StageClock();
  const prep = prepareSources(sources, opts);
  const { offsets, total, sourceOf } = prep;
  const progress = stageProgress(total, opts.onProgress);
  progress.blocking();

  // 1. Blocking: between every pair of sources, and inside each source that may hold duplicates.
  const blocking = clock.time('blocking', () => candidateBlocks(sources, prep, opts));
  const candidateCount = blocking.blocks.reduce((n, b) => n + b.pairs.length / 2, 0);
  progress.scoring(candidateCount);

  // 2. Similarities per candidate pair: record-level Dice and one Dice per shared field (NaN = missing).
  const candidates = clock.time('similarities', () => pairSimilarities(blocking.blocks, prep));

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
    blockingPlans: blocking.plans,
    events: [...ids.events, ...hh.events],
    stats: engineStats({
      records: total,
      candidatePairs: candidateCount,
      blocking: blocking.stats,
      graph,
      households: hh.households,
      seconds,
    }),
  };
}
