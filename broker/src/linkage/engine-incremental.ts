/**
 * Incremental linkage: a new submission from one source (the daily extract) updates the previous
 * run's entities instead of relinking everything. Pure (no I/O); runs.ts decides when to use it and
 * stores what the next run needs.
 *
 *   records whose key (source + digest of the encodings) is unchanged carry over → only new or
 *   changed records are blocked against all records, with the LSH positions the fitting run sampled
 *   (restricted to pairs that touch them) → scored with that run's model and threshold, never
 *   re-fitted (a re-fit changes every weight: that is a full relink) → pairs among unchanged records
 *   come from the previous run → entities resolved from all the pairs (clustering and the residual
 *   pass, which looks at every record's partners, so it runs whole; it is cheap next to blocking and
 *   scoring) → stable ids and households as in a full run.
 *
 * The model is what a full run fitted and chose — scoring parameters, threshold, household test,
 * and the blocking plan — so that whether a pair is a candidate, and its weight, depend on the pair
 * alone. Equivalence: the result is the partition a full run on the same records with the same model
 * gives (linkWithModel), provided the records are numbered alike — each source in record-key order
 * (sortByRecordKey), so that unchanged records keep their relative order and ties in weight break
 * the same way. One caveat: an oversized LSH bucket or token block (skipped as uninformative) is
 * judged on the records present, so a pair of unchanged records in a bucket that crossed the cap
 * is kept or missed as the run that found it judged.
 */
import { groupByAddress } from './address-households.js';
import { candidateBlocks } from './candidate-blocks.js';
import {
  assignStableIds,
  assignStableIdsIndexed,
  canonicalClustering,
  concatPairs,
  NONE,
  type EntityGraph,
  type ScoredPairs,
  type StableIdResult,
} from './entities/index.js';
import { NO_PAIRS, pairsToCarry, resolveEntities } from './entity-resolution.js';
import { reviewLine, withReviewLabels } from './review-labels.js';
import { residualLine, storedModelLine } from './explanations.js';
import { checkCompatible, pairSimilarities, prepareSources } from './prepare.js';
import { recordKey, recordKeysOf } from './record-key.js';
import { householdVeto, scorePairs, type ScoringModel } from './scoring/index.js';
import { engineStats, StageClock, stageProgress } from './stages.js';
import type { BlockingPlan, EngineOptions, EngineResult, EngineSource } from './types.js';

/** What a full run fitted and chose, kept so that the next runs apply it unchanged. */
export interface StoredModel {
  mode: 'fellegi-sunter' | 'dice';
  threshold: number;
  fields: string[];
  reasoning: string[];
  /** The fitted parameters (Fellegi–Sunter mode), with the household test when the run used one. */
  fellegiSunter?: ScoringModel;
  /** How each pair of sources was blocked. */
  blocking: BlockingPlan[];
  /** The full run that fitted the model; incremental runs carry it on. */
  fittedIn: string;
}

/** The previous run as the next one needs it; records in that run's global order. */
export interface PreviousRun {
  runId: string;
  /** population: absent when undeclared (and in runs stored before populations existed). */
  sources: { name: string; duplicateFree: boolean; population?: 'adults' | 'children' }[];
  sourceOf: Uint16Array;
  recordKeys: string[];
  /** Entity id per record. */
  entityIds: string[];
  /** Household id per entity id (entities without a usable address have none). */
  households: ReadonlyMap<string, string>;
  /** That run's scored pairs to carry (EngineResult.pairs). */
  pairs: ScoredPairs;
  model: StoredModel;
}

export interface IncrementalStats {
  previousRun: string;
  /** Records carried over unchanged, new or changed records, and previous records gone. */
  carried: number;
  added: number;
  removed: number;
  /** Candidate pairs scored in this run (all of them touch a new record). */
  newPairs: number;
  /** Scored pairs carried over from the previous run (both records unchanged). */
  carriedPairs: number;
}

/**
 * The source with its records in record-key order (ties, i.e. byte-identical records, by row token).
 * Full and incremental runs both number records this way, so unchanged records keep their relative
 * order whatever random row tokens a re-encoded extract carries.
 */
export function sortByRecordKey(s: EngineSource): EngineSource {
  const keys = s.tokens.map((_, r) => recordKey(s.name, s.clks[r]!, s.fields[r] ?? null));
  const order = keys
    .map((_, r) => r)
    .sort((x, y) =>
      keys[x]! < keys[y]!
        ? -1
        : keys[x]! > keys[y]!
          ? 1
          : s.tokens[x]! < s.tokens[y]!
            ? -1
            : s.tokens[x]! > s.tokens[y]!
              ? 1
              : 0,
    );
  const pick = <T>(xs: ArrayLike<T>): T[] => order.map((r) => xs[r]!);
  return {
    ...s,
    tokens: pick(s.tokens),
    clks: pick(s.clks),
    fieldMasks: pick(s.fieldMasks),
    fields: pick(s.fields),
    blocks: pick(s.blocks),
  };
}

/** The model of a full run as the next runs will apply it (the household test travels inside it). */
export function modelToStore(result: EngineResult, runId: string): StoredModel {
  const { mode, threshold, fields, reasoning, model } = result.scoring;
  return {
    mode,
    threshold,
    fields: [...fields],
    reasoning: [...reasoning],
    ...(model ? { fellegiSunter: model } : {}),
    blocking: result.blockingPlans,
    fittedIn: runId,
  };
}

/**
 * Weights of new candidate pairs under a stored model: its match weights (with its household test
 * when it has one), or record-level Dice. The one place that applies a model without fitting it.
 */
export function applyStoredScoring(model: StoredModel, sims: Float32Array, clkDice: Float32Array): Float32Array {
  if (model.mode === 'dice') return clkDice;
  if (!model.fellegiSunter) throw new Error('stored Fellegi–Sunter model without its parameters');
  const weight = scorePairs(model.fellegiSunter, sims).weight;
  if (model.fellegiSunter.household)
    householdVeto(model.fellegiSunter, model.fellegiSunter.household, sims, weight, model.threshold);
  return weight;
}

/** A run held in memory as the next run's previous run (runs.ts reads the same from the database). */
export function previousRunOf(
  runId: string,
  sources: EngineSource[],
  result: EngineResult,
  model: StoredModel,
): PreviousRun {
  const households = new Map<string, string>();
  result.entityIds.forEach((e, g) => {
    if (result.householdIds[g]) households.set(e, result.householdIds[g]!);
  });
  return {
    runId,
    sources: sources.map((s) => ({
      name: s.name,
      duplicateFree: s.duplicateFree,
      ...(s.population ? { population: s.population } : {}),
    })),
    sourceOf: result.sourceOf,
    recordKeys: result.recordKeys,
    entityIds: result.entityIds,
    households,
    pairs: result.pairs,
    model,
  };
}

/** Why these sources cannot continue the previous run (null when they can). */
export function whyNotContinue(
  sources: EngineSource[],
  previous: PreviousRun,
  opts: Pick<EngineOptions, 'clkOnly'> = {},
): string | null {
  // A population changes which merges a source's entities may take, as its duplicate-free flag does.
  const label = (s: PreviousRun['sources'][number]) => {
    const declared = [
      ...(s.duplicateFree ? ['duplicate-free'] : []),
      ...(s.population ? [`${s.population} only`] : []),
    ];
    return `${s.name}${declared.length ? ` (${declared.join(', ')})` : ''}`;
  };
  const now = sources.map(label).join(', ');
  const then = previous.sources.map(label).join(', ');
  if (now !== then) return `the contributing sources changed (${then} → ${now})`;
  if (previous.model.mode === 'fellegi-sunter') {
    const fields = (opts.clkOnly ? [] : checkCompatible(sources).names).join(', ');
    if (fields !== previous.model.fields.join(', '))
      return `the comparable fields changed (${previous.model.fields.join(', ')} → ${fields})`;
  }
  return null;
}

/** Update the previous run's entities with today's sources (see the module comment). */
export function linkIncremental(
  sources: EngineSource[],
  previous: PreviousRun,
  opts: EngineOptions,
): EngineResult & { incremental: IncrementalStats } {
  const why = whyNotContinue(sources, previous, opts);
  if (why) throw new Error(`cannot continue run ${previous.runId}: ${why}`);
  const r = relink(sources, previous.model, previous, opts);
  return r as EngineResult & { incremental: IncrementalStats };
}

/** A full run that applies a given model instead of fitting one: what an incremental run must equal. */
export function linkWithModel(sources: EngineSource[], model: StoredModel, opts: EngineOptions): EngineResult {
  return relink(sources, model, null, opts);
}

function relink(
  sources: EngineSource[],
  model: StoredModel,
  previous: PreviousRun | null,
  opts: EngineOptions,
): EngineResult & { incremental?: IncrementalStats } {
  const clock = new StageClock();
  const prep = prepareSources(sources, opts);
  const { offsets, total, sourceOf } = prep;
  const progress = stageProgress(total, opts.onProgress);
  progress.blocking();
  const { recordKeys, carry } = clock.time('carry', () => {
    const keys = recordKeysOf(sources, offsets, total);
    return { recordKeys: keys, carry: previous ? carriedRecords(previous, keys, sourceOf) : null };
  });

  // Blocked as the fitting run blocked; in an incremental run only pairs touching a new record.
  const marked = carry ? newRecordMarks(sources, offsets, carry.previousIndex) : undefined;
  const blocking = clock.time('blocking', () => candidateBlocks(sources, prep, opts, marked, model.blocking));
  const candidateCount = blocking.blocks.reduce((n, b) => n + b.pairs.length / 2, 0);
  progress.scoring(candidateCount);

  const { ga, gb, clkDice, sims } = clock.time('similarities', () => pairSimilarities(blocking.blocks, prep));
  const weight = clock.time('scoring', () => applyStoredScoring(model, sims, clkDice));
  progress.entities(candidateCount);

  const scoring = { threshold: model.threshold, ...(model.fellegiSunter ? { model: model.fellegiSunter } : {}) };
  const { pairs, carried, graph, residual, ids, review } = clock.time('entities', () => {
    const scored = { a: ga, b: gb, weight };
    const kept = previous && carry ? carryPairs(previous.pairs, carry.previousIndex, previous.recordKeys.length) : null;
    const all = kept ? concatPairs([kept, scored]) : scored;
    const review = withReviewLabels(all, recordKeys, opts.reviewLabels ?? []);
    const resolved = resolveEntities(sources, prep, review.pairs, scoring);
    const stable =
      previous && carry
        ? continuedIds(resolved.graph, previous, carry.previousIndex, opts.runId)
        : assignStableIds({
            clusterOf: resolved.graph.entityOf,
            clusterCount: resolved.graph.entities.count,
            memberKeys: recordKeys,
            previous: opts.previousEntities ?? new Map(),
            runId: opts.runId,
          });
    return { pairs: all, carried: kept, ...resolved, ids: stable, review };
  });
  progress.households(candidateCount, graph.entities.count);

  const hhOpts = { ...opts, previousHouseholds: previous ? previous.households : opts.previousHouseholds };
  const hh = clock.time('households', () => groupByAddress(prep, graph, ids.ids, hhOpts));
  const seconds = clock.finish();
  progress.done(candidateCount, graph.entities.count);

  const carriedLine = storedModelLine(model.fittedIn, candidateCount, previous ? previous.runId : null);
  const result: EngineResult & { incremental?: IncrementalStats } = {
    sourceOf,
    recordKeys,
    entityIds: Array.from(graph.entityOf, (e) => ids.ids[e]!),
    householdIds: hh.householdIds,
    residualLinks: residual?.pairs ?? NO_PAIRS,
    pairs: pairsToCarry(pairs, scoring),
    scoring: {
      mode: model.mode,
      threshold: model.threshold,
      fields: model.fields,
      reasoning: [
        carriedLine,
        ...model.reasoning,
        ...(residual ? [residualLine(sources, residual)] : []),
        ...(opts.reviewLabels?.length ? [reviewLine(review)] : []),
      ],
      ...(model.fellegiSunter ? { model: model.fellegiSunter } : {}),
    },
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
  if (previous && carry) {
    result.incremental = {
      previousRun: previous.runId,
      carried: carry.carried,
      added: total - carry.carried,
      removed: previous.recordKeys.length - carry.carried,
      newPairs: candidateCount,
      carriedPairs: carried!.a.length,
    };
  }
  return result;
}

/** Per source and record: 1 for a record that continues no previous one (new or changed). */
function newRecordMarks(sources: EngineSource[], offsets: readonly number[], previousIndex: Uint32Array): Uint8Array[] {
  return sources.map((s, i) =>
    Uint8Array.from({ length: s.tokens.length }, (_, r) => (previousIndex[offsets[i]! + r] === NONE ? 1 : 0)),
  );
}

/**
 * Entity ids continued from the previous run. By record, not by key: byte-identical records (one
 * person twice in a source) share a key but may sit in different entities, and the carried record
 * knows which one it was in.
 */
function continuedIds(
  graph: Pick<EntityGraph, 'entityOf' | 'entities'>,
  previous: PreviousRun,
  previousIndex: Uint32Array,
  runId: string,
): StableIdResult {
  const label = new Map<string, number>();
  const labelOf = (id: string): number => {
    let l = label.get(id);
    if (l === undefined) {
      l = label.size;
      label.set(id, l);
    }
    return l;
  };
  const before = canonicalClustering(previous.entityIds.map(labelOf), previous.entityIds.length);
  const previousClusterOf = Uint32Array.from(previousIndex, (p) => (p === NONE ? NONE : before.clusterOf[p]!));
  const previousIds = Array.from(
    { length: before.count },
    (_, e) => previous.entityIds[before.members[before.memberStart[e]!]!]!,
  );
  return assignStableIdsIndexed({
    clusterOf: graph.entityOf,
    clusterCount: graph.entities.count,
    previousClusterOf,
    previousIds,
    runId,
  });
}

/**
 * Which previous record each record continues: the same key (same source, byte-identical
 * encodings), the k-th copy of a key continuing the k-th previous copy. Records in key order keep
 * their previous relative order; anything else would change how ties break, so it is refused.
 */
function carriedRecords(
  previous: PreviousRun,
  recordKeys: string[],
  sourceOf: Uint16Array,
): { previousIndex: Uint32Array; carried: number } {
  const byKey = new Map<string, number[]>();
  previous.recordKeys.forEach((k, p) => {
    const list = byKey.get(k);
    if (list) list.push(p);
    else byKey.set(k, [p]);
  });
  const used = new Map<string, number>();
  const previousIndex = new Uint32Array(recordKeys.length).fill(NONE);
  let carried = 0;
  let last = -1;
  for (let g = 0; g < recordKeys.length; g++) {
    const key = recordKeys[g]!;
    const list = byKey.get(key);
    const k = used.get(key) ?? 0;
    if (!list || k >= list.length) continue;
    used.set(key, k + 1);
    const p = list[k]!;
    if (previous.sourceOf[p] !== sourceOf[g])
      throw new Error(
        `record ${g} continues a record of another source: the sources are not in the previous run's order`,
      );
    if (p <= last)
      throw new Error(
        'unchanged records are out of their previous order: number every source in record-key order ' +
          '(sortByRecordKey) in full and incremental runs alike',
      );
    previousIndex[g] = p;
    last = p;
    carried++;
  }
  return { previousIndex, carried };
}

/** The previous run's scored pairs whose two records both carry over, in this run's numbering. */
function carryPairs(pairs: ScoredPairs, previousIndex: Uint32Array, previousCount: number): ScoredPairs {
  const newOf = new Uint32Array(previousCount).fill(NONE);
  previousIndex.forEach((p, g) => {
    if (p !== NONE) newOf[p] = g;
  });
  let kept = 0;
  for (let k = 0; k < pairs.a.length; k++) {
    if (pairs.a[k]! >= previousCount || pairs.b[k]! >= previousCount)
      throw new Error(`the previous run's stored pair ${k} names a record it did not have`);
    if (newOf[pairs.a[k]!] !== NONE && newOf[pairs.b[k]!] !== NONE) kept++;
  }
  const out: ScoredPairs = { a: new Uint32Array(kept), b: new Uint32Array(kept), weight: new Float32Array(kept) };
  for (let k = 0, j = 0; k < pairs.a.length; k++) {
    const a = newOf[pairs.a[k]!]!;
    const b = newOf[pairs.b[k]!]!;
    if (a === NONE || b === NONE) continue;
    out.a[j] = a;
    out.b[j] = b;
    out.weight[j++] = pairs.weight[k]!;
  }
  return out;
}
