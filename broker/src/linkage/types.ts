/**
 * The linkage engine's public types: what a source gives it, the options a run sets, the progress it
 * reports and the result it returns. Shared by the full engine (engine.ts), the incremental one and
 * the runs around them, so each of those imports them from here rather than from one another.
 */
import type { BlockingStats, LshPlan } from './blocking/index.js';
import type { IdEvent, ScoredPairs } from './entities/index.js';
import type { ReviewLabel } from './review-labels.js';
import type { LinkageEstimates } from './estimates.js';
import type { ScoringModel } from './scoring/index.js';

export interface EngineSource {
  /** Agency slug or file name: identifies the source in keys and output. */
  name: string;
  /** The source holds at most one record per person: two of its records never join one entity. */
  duplicateFree: boolean;
  /**
   * Who the source can hold: only people aged 18 or over, or only under-18s; omitted: anyone. A record
   * of an adults-only source and one of a children-only source join one entity only when both carry dates
   * of birth that agree (apart.ts).
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
  /**
   * Names these exact records and filters (a run's loader: the submission and when it last changed):
   * two sources with one version hold the same bytes, so the engine prepares them once
   * (prepared-cache.ts). Omitted: prepared afresh each time.
   */
  version?: string;
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
  /** Clerical-review verdicts (review-labels.ts): pair-level overrides by stable record key. */
  reviewLabels?: readonly ReviewLabel[];
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
  /** The run's estimated precision and recall per pair of sources, from the model (Fellegi–Sunter only). */
  estimates?: LinkageEstimates;
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

/** How one pair of sources was blocked, so that a later run can block it the same way. */
export interface BlockingPlan {
  sources: [string, string];
  /** Whether the exact pass (every pair with record-level Dice ≥ the candidate threshold) ran. */
  exact: boolean;
  /** The LSH positions sampled (null: no LSH). */
  lsh: LshPlan | null;
}
