/**
 * Probabilistic scoring of candidate pairs (Fellegi–Sunter, as in Splink) on field-level
 * Bloom-filter similarities: comparison levels, m/u and λ by unsupervised EM, match weights and
 * probabilities, per-pair explanations, and a threshold chosen from the model with its reasoning.
 * Pure: no I/O. See docs/scoring.md.
 */
import type { SimilarityMatrix } from './comparison.js';
import type { ScoringModel } from './model.js';
import type { PairExplanation, PairScores } from './weights.js';
import { explainSimilarities, scoreSimilarities } from './weights.js';

export {
  DEFAULT_CUT_POINTS,
  MISSING_LEVEL,
  comparisonsFor,
  fieldComparison,
  levelCount,
  levelOf,
  similarityLevels,
} from './comparison.js';
export type { FieldComparison, SimilarityMatrix } from './comparison.js';
export { aggregatePatterns, perPairPatterns, patternStrides } from './patterns.js';
export type { PatternTable } from './patterns.js';
export { estimateU, initialParameters, patternPosteriors, priorOverAllPairs, runEm } from './em.js';
export type { EmOptions, EmResult, FsParameters } from './em.js';
export { levelWeights, matchProbability, partialWeight, priorWeight } from './weights.js';
export type { FieldEvidence, PairExplanation, PairScores } from './weights.js';
export { fitAnchoredModel, fitModel, modelFromParameters } from './model.js';
export type { AnchoredFitOptions, FitOptions, HouseholdModel, ScoringModel, TrainingSummary } from './model.js';
export { chooseThreshold, expectedAt, patternWeights, tradeoffCurve } from './threshold.js';
export { weightHistogram } from './weight-histogram.js';
export type { WeightBin, WeightHistogram } from './weight-histogram.js';
export type { ExpectedOutcome, ThresholdChoice, ThresholdTarget, TradeoffPoint } from './threshold.js';
export { CLK_FIELD, DEFAULT_CLK_CUT_POINTS, fitClkModel, scoreByDiceThreshold } from './clk-only.js';
export type { ClkFitOptions, DiceThresholdResult } from './clk-only.js';

/** Match weight and posterior match probability of every pair (pairs × model fields, NaN = missing). */
export function scorePairs(model: ScoringModel, similarities: SimilarityMatrix): PairScores {
  return scoreSimilarities(model.fields, model.weights, model.priorWeight, similarities);
}

/** One pair's weight as the prior plus a partial weight per field; carries no identifier values. */
export function explainPair(model: ScoringModel, similarities: SimilarityMatrix, pairIndex: number): PairExplanation {
  return explainSimilarities(model.fields, model, similarities, pairIndex);
}
export {
  CO_RESIDENT_SHARE,
  atOneAddress,
  coResidentShare,
  fitHouseholdModel,
  householdReading,
  householdVeto,
  withHouseholdTest,
} from './household.js';
export type { FieldColumn } from './field-column.js';
export { anchoredM, MIN_ANCHORED_PAIRS } from './anchored.js';
export { refineWithLabels } from './labelled.js';
export type { LabelledRefit, LabelledSimilarities } from './labelled.js';
export type { AnchoredField } from './anchored.js';
export {
  expectedMatches,
  matchingCount,
  matchingProfile,
  matchMarginals,
  MAX_MATCHINGS,
  pairwiseMarginals,
  profileMarginals,
} from './assignment.js';
export type { MatchingProfile } from './assignment.js';
