import { createHash } from 'node:crypto';
import {
  blockPairs,
  interleave,
  pairListOf,
  unionPairs,
  type BlockingStats,
  type LshPlan,
  type TouchingMarks,
} from './blocking/index.js';
import {
  assignStableIds,
  clusterEntities,
  concatPairs,
  NONE,
  type EntityGraph,
  type IdEvent,
  type ScoredPairs,
} from './entities/index.js';
import { assignHouseholdIds, entityAddresses, groupHouseholds } from './households/index.js';
import { candidatesAbove, FilterSet } from './kernel/index.js';
import { ADDRESS_FIELDS, pairSimilarities, prepareSources, type PreparedSources, type SourceBlock } from './prepare.js';
import { NEAR_FLOOR, residualLinks, type ResidualResult } from './residual.js';
import {
  CO_RESIDENT_SHARE,
  chooseThreshold,
  coResidentShare,
  fitAnchoredModel,
  householdVeto,
  scorePairs,
  withHouseholdTest,
  type FieldColumn,
  type ScoringModel,
} from './scoring/index.js';
import { fieldDice } from './scoring/field-dice.js';

export {
  ADDRESS_FIELDS,
  checkCompatible,
  pairSimilarities,
  prepareSources,
  type PreparedSources,
  type SourceBlock,
} from './prepare.js';

/**
 * The linkage engine: sources in, entities and households out. Pure (no I/O): the broker's runs and
 * the offline `link` command both feed it decoded sources and store what it returns.
 *
 *   blocking (keyed tokens ∪ LSH) → per-field Dice on candidate pairs → Fellegi–Sunter weights with
 *   m/u fitted by EM and a threshold chosen from the model → greedy constraint-aware entities →
 *   households by address → ids kept stable against the previous run.
 *
 * Inputs without field-level filters (clkhash-compatible CLKs) are scored by record-level Dice.
 */

export interface EngineSource {
  /** Agency slug or file name: identifies the source in keys and output. */
  name: string;
  /** The source holds at most one record per person: two of its records never join one entity. */
  duplicateFree: boolean;
  /**
   * Who the source can hold: only people aged 18 or over, or only under-18s; omitted: anyone. A record
   * of an adults-only source and one of a children-only source never join one entity.
   */
  population?: 'adults' | 'children';
  tokens: string[];
  clkBits: number;
  clks: Uint8Array[];
  /**
   * Field-level filters the records may carry, in packing order; empty for CLK-only inputs.
   * `personal`: the field tells apart people who share a household (given name, date of birth, an id).
   */
  fieldSpecs: { field: string; bits: number; personal?: boolean; flip?: number }[];
  /** Per record: bit i set when fieldSpecs[i] is present. */
  fieldMasks: ArrayLike<number>;
  /** Per record: the present field filters concatenated in fieldSpecs order. */
  fields: (Uint8Array | null)[];
  /** Per record: keyed blocking tokens, 16 bytes each. */
  blocks: (Uint8Array | null)[];
}

export interface EngineOptions {
  /** Record-level Dice threshold: used when the inputs carry no field filters (clkhash mode). */
  diceThreshold: number;
  /** Force record-level Dice scoring even when field filters exist. */
  clkOnly?: boolean;
  /** Previous run: record key → entity id, and entity id → household id (stable ids). */
  previousEntities?: ReadonlyMap<string, string>;
  previousHouseholds?: ReadonlyMap<string, string>;
  runId: string;
  /** Fewer candidate pairs across sources than this and the engine scores by record-level Dice; default 2000. */
  minTrainingPairs?: number;
  /** Compare all pairs exactly (popcount-pruned) when nA·nB is at most this; default 4e8. */
  exactCandidateLimit?: number;
  /** Record-level Dice at which the exact pass proposes a candidate; default 0.6. */
  candidateDice?: number;
  /** Largest household formed (a cap against runaway grouping); default 20. */
  maxHouseholdSize?: number;
  /**
   * Told as each stage starts, with the counts known so far; the engine does no I/O itself (a run's
   * job writes progress to the run row, throttled). Must not throw.
   */
  onProgress?: (p: EngineProgress) => void;
}

export type EngineStage = 'blocking' | 'scoring' | 'entities' | 'households' | 'done';

/** Where the engine is: the stage it has started and the counts of the stages behind it. */
export interface EngineProgress {
  stage: EngineStage;
  records: number;
  candidatePairs?: number;
  pairsScored?: number;
  entities?: number;
}

export interface EngineResult {
  /** Per global record (sources concatenated in input order). */
  sourceOf: Uint16Array;
  recordKeys: string[];
  entityIds: string[];
  /** Household id per record ('' when its entity has no usable address). */
  householdIds: string[];
  /**
   * Scored pairs the next run carries over for unchanged records (global record indices): every pair
   * at or above the threshold, and in Fellegi–Sunter mode every pair the residual pass could weigh.
   */
  pairs: ScoredPairs;
  /** Links the residual pass added (a subset of what joined the entities), to tell them apart. */
  residualLinks: ScoredPairs;
  scoring: {
    mode: 'fellegi-sunter' | 'dice';
    threshold: number;
    fields: string[];
    reasoning: string[];
    model?: ScoringModel;
  };
  /** How each pair of sources was blocked: to block alike again (incremental runs). */
  blockingPlans: BlockingPlan[];
  events: IdEvent[];
  stats: {
    records: number;
    candidatePairs: number;
    blocking: { sources: [string, string]; stats: BlockingStats }[];
    linksAccepted: number;
    entities: number;
    households: number;
    refusedByConstraint: number;
    seconds: Record<string, number>;
  };
}

/**
 * Stable key of a record across runs: the source and a digest of its encodings. A daily extract
 * re-encodes every row with fresh random row tokens, but an unchanged person encodes to the same
 * bytes, so its key — and through it the entity id — carries over.
 */
export function recordKey(source: string, clk: Uint8Array, fields: Uint8Array | null): string {
  const h = createHash('sha256').update(clk);
  if (fields) h.update(fields);
  return `${source}:${h.digest('base64url').slice(0, 22)}`;
}

/** How one pair of sources was blocked, so that a later run can block it the same way. */
export interface BlockingPlan {
  sources: [string, string];
  /** Whether the exact pass (every pair with record-level Dice ≥ the candidate threshold) ran. */
  exact: boolean;
  /** The LSH positions sampled (null: no LSH). */
  lsh: LshPlan | null;
}

/**
 * Step 1, blocking: between every pair of sources, and inside each source that may hold duplicates.
 * With `plans` (from an earlier run), each pair of sources is blocked as then: the same LSH positions
 * and exact pass, whatever these records' bit frequencies and counts would choose. With `marked` (a
 * flag per record of every source), only the pairs that hold a marked record — exactly those the
 * unmarked call returns that touch one (an incremental run's new records).
 */
export function candidateBlocks(
  sources: EngineSource[],
  prep: PreparedSources,
  opts: EngineOptions,
  marked?: Uint8Array[],
  plans?: BlockingPlan[],
): { blocks: SourceBlock[]; stats: EngineResult['stats']['blocking']; plans: BlockingPlan[] } {
  const { clkSets, clkMode } = prep;
  const blocks: SourceBlock[] = [];
  const blockingStats: EngineResult['stats']['blocking'] = [];
  const used: BlockingPlan[] = [];
  const anyMarked = marked?.map((m) => m.includes(1));
  for (let i = 0; i < sources.length; i++) {
    for (let j = i; j < sources.length; j++) {
      if ((i === j && sources[i]!.duplicateFree) || populationsApart(sources[i]!, sources[j]!)) continue;
      const names: [string, string] = [sources[i]!.name, sources[j]!.name];
      const given = plans?.find((p) => p.sources[0] === names[0] && p.sources[1] === names[1]);
      if (plans && !given) throw new Error(`no blocking plan for ${names.join(' × ')}: link these sources in full`);
      if (given) used.push(given);
      if (anyMarked && !anyMarked[i] && !anyMarked[j]) continue;
      const touching: TouchingMarks | undefined = marked && { a: marked[i]!, b: i === j ? null : marked[j]! };
      const A = { clks: clkSets[i]!.view(), blocks: prep.blocks[i]! };
      const lsh = given ? (given.lsh ? { lsh: { plan: given.lsh } } : { lsh: false as const }) : {};
      // Inside one source the candidates are for duplicates, which share nearly every key: a key
      // held by more than DEDUP_MAX_BLOCK records there (a postcode sector and sex) proposes only
      // neighbours, quadratically (it was 96% of all candidates on the synthetic GP register).
      const dedup = i === j ? { tokens: { maxBlockSize: DEDUP_MAX_BLOCK } } : {};
      const r = blockPairs(A, i === j ? null : { clks: clkSets[j]!.view(), blocks: prep.blocks[j]! }, {
        ...lsh,
        ...dedup,
        ...(touching ? { touching } : {}),
      });
      let pairs = r.pairs;
      // When comparing everything is affordable, add every pair whose record-level Dice reaches a
      // low candidate threshold: exact (popcount-pruned kernel), so nothing close is left to chance.
      const exact = given
        ? given.exact
        : i !== j && sources[i]!.tokens.length * sources[j]!.tokens.length <= (opts.exactCandidateLimit ?? 4e8);
      if (exact) {
        const c = exactCandidates(
          sources,
          prep,
          i,
          j,
          clkMode ? opts.diceThreshold : (opts.candidateDice ?? 0.6),
          touching,
        );
        pairs = interleave(unionPairs(pairListOf(pairs), pairListOf(c)));
      }
      if (!given) used.push({ sources: names, exact, lsh: r.lshPlan });
      blocks.push({ i, j, pairs });
      blockingStats.push({ sources: names, stats: { ...r.stats, combined: pairs.length / 2 } });
    }
  }
  return { blocks, stats: blockingStats, plans: used };
}

/** Every pair of sources i × j with record-level Dice ≥ threshold (those touching a marked record), interleaved. */
function exactCandidates(
  sources: EngineSource[],
  prep: PreparedSources,
  i: number,
  j: number,
  threshold: number,
  touching: TouchingMarks | undefined,
): Uint32Array {
  const interleaved = (
    c: { a: ArrayLike<number>; b: ArrayLike<number> },
    rowsA: number[] | null,
    rowsB: number[] | null,
  ) => {
    const out = new Uint32Array(c.a.length * 2);
    for (let k = 0; k < c.a.length; k++) {
      out[2 * k] = rowsA ? rowsA[c.a[k]!]! : c.a[k]!;
      out[2 * k + 1] = rowsB ? rowsB[c.b[k]!]! : c.b[k]!;
    }
    return out;
  };
  if (!touching) return interleaved(candidatesAbove(prep.clkSets[i]!, prep.clkSets[j]!, threshold), null, null);
  // The marked rows of each side against the whole other side (a pair of two marked rows comes twice).
  const subset = (s: number, marks: Uint8Array) => {
    const rows: number[] = [];
    marks.forEach((m, r) => m === 1 && rows.push(r));
    return {
      rows,
      set: FilterSet.fromBytes(
        sources[s]!.clkBits,
        rows.map((r) => sources[s]!.clks[r]!),
      ),
    };
  };
  const a = subset(i, touching.a);
  const b = subset(j, touching.b!);
  const fromA = a.rows.length
    ? interleaved(candidatesAbove(a.set, prep.clkSets[j]!, threshold), a.rows, null)
    : new Uint32Array(0);
  const fromB = b.rows.length
    ? interleaved(candidatesAbove(prep.clkSets[i]!, b.set, threshold), null, b.rows)
    : new Uint32Array(0);
  const out = new Uint32Array(fromA.length + fromB.length);
  out.set(fromA);
  out.set(fromB, fromA.length);
  return out;
}

export function link(sources: EngineSource[], opts: EngineOptions): EngineResult {
  const t0 = performance.now();
  const seconds: Record<string, number> = {};
  const lap = (name: string, since: number) => (seconds[name] = (performance.now() - since) / 1000);

  const prep = prepareSources(sources, opts);
  const { compatible, fieldNames, offsets, total, sourceOf, fieldSets, clkMode } = prep;
  const progress = opts.onProgress ?? (() => {});
  progress({ stage: 'blocking', records: total });

  // 1. Blocking: between every pair of sources, and inside each source that may hold duplicates.
  let t = performance.now();
  const { blocks, stats: blockingStats, plans: blockingPlans } = candidateBlocks(sources, prep, opts);
  const candidateCount = blocks.reduce((n, b) => n + b.pairs.length / 2, 0);
  lap('blocking', t);
  progress({ stage: 'scoring', records: total, candidatePairs: candidateCount });

  // 2. Similarities per candidate pair: record-level Dice and one Dice per shared field (NaN = missing).
  t = performance.now();
  const F = fieldNames.length;
  const { ga, gb, clkDice, sims } = pairSimilarities(blocks, prep);
  lap('similarities', t);

  // 3. Scoring: Fellegi–Sunter on the fields when there are enough of them, else record-level Dice.
  t = performance.now();
  let weight: Float32Array;
  let scoring: EngineResult['scoring'];
  let cross = 0;
  for (let k = 0; k < candidateCount; k++) if (sourceOf[ga[k]!] !== sourceOf[gb[k]!]) cross++;
  const minTraining = opts.minTrainingPairs ?? 2000;
  if (!clkMode && cross >= minTraining) {
    // u from random pairs, m from anchored pairs, λ over every pair blocking chose from (see scoring/).
    const randomSims = randomPairSimilarities(sources, fieldSets, F, 20_000, 0x5eed);
    const share = coResidentShare(fieldSets, fieldNames, compatible.personal);
    const main = fitAnchoredModel(sims, fieldNames, {
      randomPairs: randomSims,
      personal: compatible.personal,
      correlated: [ADDRESS_FIELDS],
      totalPairs: Math.max(pairsConsidered(sources), candidateCount),
    });
    const model = share >= CO_RESIDENT_SHARE ? withHouseholdTest(main, sims, ADDRESS_FIELDS) : main;
    const choice = chooseThreshold(model);
    weight = scorePairs(model, sims).weight;
    let householdLine: string;
    if (model.household) {
      const { household } = model;
      const n = householdVeto(model, household, sims, weight, choice.weight);
      householdLine =
        `Household test on: ${(100 * share).toFixed(1)}% of records share every household-level field with another person of their own source. ` +
        `A second model, fitted on the ${household.pairs} candidate pairs at one address (${household.addressFields.join(' and ')} agree), weighs one person against two people of one household ` +
        `(one-person share there ${(100 * household.lambda).toFixed(1)}%; the prior above counts only those); it read ${n} pairs above the threshold as co-residents (e.g. a parent and child), which were not linked.`;
    } else if (share >= CO_RESIDENT_SHARE) {
      householdLine = `Household test off: ${(100 * share).toFixed(1)}% of records share household-level fields with another person of their own source, but too few candidate pairs share an address (or no address field is encoded) to fit a co-resident model.`;
    } else {
      householdLine = `Household test off: only ${(100 * share).toFixed(2)}% of records share every household-level field with another person of their own source (below ${100 * CO_RESIDENT_SHARE}%), so shared address evidence is not mistaken for one person.`;
    }
    scoring = {
      mode: 'fellegi-sunter',
      threshold: choice.weight,
      fields: fieldNames,
      reasoning: [...choice.reasoning, householdLine],
      model,
    };
  } else {
    weight = clkDice;
    const why = clkMode
      ? F === 0
        ? 'the inputs carry no field-level filters'
        : 'fewer than two comparable fields'
      : `only ${cross} candidate pairs across sources, fewer than the ${minTraining} needed to fit a Fellegi–Sunter model without labels`;
    scoring = {
      mode: 'dice',
      threshold: opts.diceThreshold,
      fields: [],
      reasoning: [`record-level CLK Dice ≥ ${opts.diceThreshold} (${why})`],
    };
  }
  lap('scoring', t);
  progress({ stage: 'entities', records: total, candidatePairs: candidateCount, pairsScored: candidateCount });

  // 4. Entities: greedy, best pair first, then the residual pass (see residual.ts).
  t = performance.now();
  const pairs = { a: ga, b: gb, weight };
  const { graph, residual } = resolveEntities(sources, prep, pairs, scoring);
  const recordKeys: string[] = new Array(total);
  sources.forEach((s, i) =>
    s.tokens.forEach((_, r) => (recordKeys[offsets[i]! + r] = recordKey(s.name, s.clks[r]!, s.fields[r] ?? null))),
  );
  const ids = assignStableIds({
    clusterOf: graph.entityOf,
    clusterCount: graph.entities.count,
    memberKeys: recordKeys,
    previous: opts.previousEntities ?? new Map(),
    runId: opts.runId,
  });
  lap('entities', t);
  progress({
    stage: 'households',
    records: total,
    candidatePairs: candidateCount,
    pairsScored: candidateCount,
    entities: graph.entities.count,
  });

  // 5. Households: entities grouped by exact postcode filter, then by address similarity within it.
  t = performance.now();
  const { householdIds, households, events: householdEvents } = groupByAddress(prep, graph, ids.ids, opts);
  lap('households', t);
  seconds.total = (performance.now() - t0) / 1000;
  progress({
    stage: 'done',
    records: total,
    candidatePairs: candidateCount,
    pairsScored: candidateCount,
    entities: graph.entities.count,
  });

  return {
    sourceOf,
    recordKeys,
    entityIds: Array.from(graph.entityOf, (e) => ids.ids[e]!),
    householdIds,
    pairs: pairsToCarry(pairs, scoring),
    residualLinks: residual?.pairs ?? NO_PAIRS,
    scoring: residual ? { ...scoring, reasoning: [...scoring.reasoning, residualLine(sources, residual)] } : scoring,
    blockingPlans,
    events: [...ids.events, ...householdEvents],
    stats: {
      records: total,
      candidatePairs: candidateCount,
      blocking: blockingStats,
      linksAccepted: graph.pairs.a.length,
      entities: graph.entities.count,
      households,
      refusedByConstraint: graph.stats.refused,
      seconds,
    },
  };
}

/**
 * Scored pairs → entities: greedy constrained clustering of the pairs at or above the threshold, then
 * (Fellegi–Sunter mode) the residual pass over what that left unpartnered, and the clustering again
 * with its links. A full run and an incremental one both end here, with every scored pair.
 */
export function resolveEntities(
  sources: Pick<EngineSource, 'duplicateFree' | 'population'>[],
  prep: PreparedSources,
  pairs: ScoredPairs,
  scoring: Pick<EngineResult['scoring'], 'threshold' | 'model'>,
): { graph: EntityGraph; residual: ResidualResult | null } {
  const cluster = (p: ScoredPairs) =>
    clusterEntities({
      sourceOf: prep.sourceOf,
      duplicateFree: sources.map((s) => s.duplicateFree),
      populations: sources.map((s) => s.population),
      pairs: p,
      threshold: scoring.threshold,
    });
  const base = cluster(pairs);
  if (!scoring.model) return { graph: base, residual: null };
  const residual = residualLinks({ prep, model: scoring.model, pairs, threshold: scoring.threshold, graph: base });
  return { graph: residual.pairs.a.length > 0 ? cluster(concatPairs([pairs, residual.pairs])) : base, residual };
}

export const NO_PAIRS: ScoredPairs = { a: new Uint32Array(0), b: new Uint32Array(0), weight: new Float32Array(0) };

/** What the next run carries of this one's scoring: every pair close enough to matter to the residual pass. */
export function pairsToCarry(
  pairs: ScoredPairs,
  scoring: Pick<EngineResult['scoring'], 'threshold' | 'model'>,
): ScoredPairs {
  const floor = scoring.model ? Math.min(NEAR_FLOOR, scoring.threshold) : scoring.threshold;
  let n = 0;
  for (let k = 0; k < pairs.a.length; k++) if (pairs.weight[k]! >= floor) n++;
  const out: ScoredPairs = { a: new Uint32Array(n), b: new Uint32Array(n), weight: new Float32Array(n) };
  for (let k = 0, j = 0; k < pairs.a.length; k++) {
    if (!(pairs.weight[k]! >= floor)) continue;
    out.a[j] = pairs.a[k]!;
    out.b[j] = pairs.b[k]!;
    out.weight[j++] = pairs.weight[k]!;
  }
  return out;
}

export function residualLine(sources: Pick<EngineSource, 'name'>[], r: ResidualResult): string {
  const byPair = new Map<string, string[]>();
  for (const p of r.addressPriors) {
    const k = `${sources[p.sources[0]]!.name} × ${sources[p.sources[1]]!.name}`;
    byPair.set(k, [
      ...(byPair.get(k) ?? []),
      `${p.shape === 'one-to-one' ? 'one record each' : 'more'} ${p.rho.toFixed(3)} (${p.groups} addresses)`,
    ]);
  }
  const priors = [...byPair].map(([k, v]) => `${k}: ${v.join(', ')}`).join('; ');
  return (
    `Residual pass: records left without a partner in another source were matched again, knowing each has at most one there. ` +
    `${r.atAddress} links at one address (the unpartnered records of two sources there, matched jointly with the household model's evidence; ` +
    `the share of the smaller side's records with a partner at their address, fitted by EM: ${priors || 'no address shared by two sources'}), ` +
    `and ${r.moved} between people of a household that moved together (two or more unpartnered people of one address matching, one to one, people of one other address).`
  );
}

/** Largest keyed-token block used when de-duplicating inside one source. */
const DEDUP_MAX_BLOCK = 100;

/** Record pairs blocking chose candidates from: across every two sources, and inside each that may hold duplicates. */
function pairsConsidered(sources: EngineSource[]): number {
  let total = 0;
  for (let i = 0; i < sources.length; i++) {
    const n = sources[i]!.tokens.length;
    if (!sources[i]!.duplicateFree) total += (n * (n - 1)) / 2;
    for (let j = i + 1; j < sources.length; j++)
      if (!populationsApart(sources[i]!, sources[j]!)) total += n * sources[j]!.tokens.length;
  }
  return total;
}

/** An adults-only and a children-only source share no person: their pairs are neither blocked nor scored. */
function populationsApart(a: Pick<EngineSource, 'population'>, b: Pick<EngineSource, 'population'>): boolean {
  return a.population !== undefined && b.population !== undefined && a.population !== b.population;
}

/**
 * Field similarities of random record pairs, almost all non-matches: across every two sources, and
 * inside each source too, so that a field only one source holds (an NHS number, compared when
 * de-duplicating that source) has a u.
 */
function randomPairSimilarities(
  sources: EngineSource[],
  fieldSets: (FieldColumn | null)[][],
  F: number,
  count: number,
  seed: number,
): Float32Array {
  let x = seed >>> 0;
  const rnd = (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  const pairsOf = new Map<string, number[]>();
  const order: [number, number][] = [];
  for (let i = 0; i < sources.length; i++)
    for (let j = i; j < sources.length; j++) if (i !== j || sources[i]!.tokens.length > 1) order.push([i, j]);
  if (order.length === 0 || sources.some((s) => s.tokens.length === 0)) return new Float32Array(0);
  for (let k = 0; k < count; k++) {
    const [i, j] = order[k % order.length]!;
    const list = pairsOf.get(`${i},${j}`) ?? [];
    const a = rnd(sources[i]!.tokens.length);
    let b = rnd(sources[j]!.tokens.length);
    if (i === j && a === b) b = (b + 1) % sources[j]!.tokens.length; // a record is not a random pair with itself
    list.push(a, b);
    pairsOf.set(`${i},${j}`, list);
  }
  const out = new Float32Array(count * F);
  let at = 0;
  for (const [key, list] of pairsOf) {
    const [i, j] = key.split(',').map(Number) as [number, number];
    const pairs = Uint32Array.from(list);
    const n = pairs.length / 2;
    for (let f = 0; f < F; f++) {
      const fa = fieldSets[i]![f];
      const fb = fieldSets[j]![f];
      const d = fa && fb ? fieldDice(fa, fb, pairs) : null;
      for (let k = 0; k < n; k++) {
        const present = fa && fb && fa.present[pairs[2 * k]!] && fb.present[pairs[2 * k + 1]!];
        out[(at + k) * F + f] = present && d ? d[k]! : NaN;
      }
    }
    at += n;
  }
  return out.subarray(0, at * F);
}

export function groupByAddress(
  prep: PreparedSources,
  graph: Pick<EntityGraph, 'entityOf' | 'entities'>,
  entityIds: string[],
  opts: Pick<EngineOptions, 'maxHouseholdSize' | 'previousHouseholds' | 'runId'>,
): { householdIds: string[]; households: number; events: IdEvent[] } {
  if (!prep.fieldNames.includes('postcode'))
    return { householdIds: new Array(prep.total).fill(''), households: 0, events: [] };
  // A keyed encoding is deterministic: the same normalised postcode gives the same filter bytes, so
  // the bytes themselves are a postcode block the broker can form without learning the postcode.
  const { postcodeBlock, addressToken } = prep;
  const addresses = entityAddresses({ entities: graph.entities, postcodeBlock, addressToken });

  // Exact address within a postcode only: "1 Tyne Gardens" and "2 Tyne Gardens" differ by one
  // bigram, so a fuzzy address link chains a whole street into one household. The normalisers
  // already fold abbreviations and case, so one person's address encodes the same in every source.
  const grouped = groupHouseholds({
    block: addresses.block,
    token: addresses.token,
    maxSize: opts.maxHouseholdSize ?? 20,
  });
  const hh = assignHouseholdIds({
    households: grouped.households,
    entityIds,
    previous: opts.previousHouseholds ?? new Map(),
    runId: opts.runId,
  });
  const householdOfEntity = (e: number) =>
    addresses.block[e] === NONE ? '' : hh.ids[grouped.households.clusterOf[e]!]!;
  return { householdIds: Array.from(graph.entityOf, householdOfEntity), households: hh.ids.length, events: hh.events };
}
