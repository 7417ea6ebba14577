/**
 * The engine's scoring stage in a full run: fit a Fellegi–Sunter model to the candidate pairs when
 * there are enough of them across sources (u from random pairs, m from anchored pairs, λ over every
 * pair blocking chose from; see scoring/), with the household test where co-residents are common,
 * and choose its threshold; else record-level Dice. Pure.
 */
import { pairsConsidered } from './candidate-blocks.js';
import { diceLine, householdTestLine, labelledFitLine } from './explanations.js';
import { ADDRESS_FIELDS, type PreparedSources } from './prepare.js';
import { randomPairSimilarities } from './random-pairs.js';
import {
  CO_RESIDENT_SHARE,
  chooseThreshold,
  coResidentShare,
  fitAnchoredModel,
  householdReading,
  householdVeto,
  scorePairs,
  withHouseholdTest,
  type ScoringModel,
} from './scoring/index.js';
import type { EngineOptions, EngineResult, EngineSource } from './types.js';

/** Candidate pairs in global record numbers, with their record-level Dice and field similarities. */
export interface CandidateSimilarities {
  ga: Uint32Array;
  gb: Uint32Array;
  clkDice: Float32Array;
  sims: Float32Array;
}

/** Random pairs the u probabilities are estimated from, and the seed that draws them. */
const RANDOM_PAIRS = 20_000;
const RANDOM_SEED = 0x5eed;

/**
 * What the fit draws from the sources themselves rather than from the candidates: the similarities of
 * random record pairs (u), the share of records with a co-resident, and how many pairs blocking chose
 * from (λ). It needs every source, but no candidate pair: a run computes it beside the partitions.
 */
export interface ScoringSample {
  randomSims: Float32Array;
  share: number;
  pairsConsidered: number;
}

export function scoringSample(sources: EngineSource[], prep: PreparedSources): ScoringSample {
  const { compatible, fieldNames, fieldSets } = prep;
  if (prep.clkMode) return { randomSims: new Float32Array(0), share: 0, pairsConsidered: pairsConsidered(sources) };
  return {
    randomSims: randomPairSimilarities(sources, fieldSets, fieldNames.length, RANDOM_PAIRS, RANDOM_SEED),
    share: coResidentShare(fieldSets, fieldNames, compatible.personal),
    pairsConsidered: pairsConsidered(sources),
  };
}

/**
 * The scoring a run fitted, before any pair is weighed: record-level Dice, or the Fellegi–Sunter model
 * and its threshold. `reasoning` lacks the household test's line, which counts the pairs it vetoed
 * (scoringOf adds it once every pair is weighed).
 */
export interface FittedScoring {
  mode: 'fellegi-sunter' | 'dice';
  threshold: number;
  fields: string[];
  reasoning: string[];
  model?: ScoringModel;
  /** The co-resident share (Fellegi–Sunter), for the household test's line. */
  share?: number;
}

/** The candidates as the fit reads them: every pair's field similarities, and how many cross sources. */
export interface FitCandidates {
  sims: Float32Array;
  count: number;
  crossPairs: number;
}

/** Fit the scoring: Fellegi–Sunter on the fields when there are enough pairs across sources, else Dice. */
export function fitScoring(
  prep: Pick<PreparedSources, 'clkMode' | 'fieldNames' | 'compatible'>,
  candidates: FitCandidates,
  sample: ScoringSample,
  opts: Pick<EngineOptions, 'diceThreshold' | 'minTrainingPairs' | 'reviewLabels'>,
): FittedScoring {
  const { crossPairs } = candidates;
  const minTraining = opts.minTrainingPairs ?? 2000;
  const { fieldNames, compatible } = prep;
  if (prep.clkMode || crossPairs < minTraining) {
    const fields = fieldNames.length;
    return {
      mode: 'dice',
      threshold: opts.diceThreshold,
      fields: [],
      reasoning: [diceLine(opts.diceThreshold, { clkMode: prep.clkMode, fields, crossPairs, minTraining })],
    };
  }
  const main = fitAnchoredModel(candidates.sims, fieldNames, {
    randomPairs: sample.randomSims,
    personal: compatible.personal,
    correlated: [ADDRESS_FIELDS],
    totalPairs: Math.max(sample.pairsConsidered, candidates.count),
    ...labelledFor(fieldNames, opts.reviewLabels),
  });
  const model = sample.share >= CO_RESIDENT_SHARE ? withHouseholdTest(main, candidates.sims, ADDRESS_FIELDS) : main;
  const choice = chooseThreshold(model);
  return {
    mode: 'fellegi-sunter',
    threshold: choice.weight,
    fields: fieldNames,
    reasoning: [...choice.reasoning, ...(model.training.labels ? [labelledFitLine(model.training.labels)] : [])],
    model,
    share: sample.share,
  };
}

/** The labels that carry their pair's field similarities, in the fit's layout (a field not compared: missing). */
function labelledFor(fieldNames: readonly string[], labels: EngineOptions['reviewLabels']) {
  const known = (labels ?? []).filter((l) => l.sims);
  if (known.length === 0) return {};
  const F = fieldNames.length;
  const sims = new Float32Array(known.length * F);
  known.forEach((l, p) => {
    fieldNames.forEach((f, i) => {
      sims[p * F + i] = l.sims![f] ?? Number.NaN;
    });
  });
  return { labelled: { sims, match: known.map((l) => l.match) } };
}

/**
 * Weigh pairs with a fitted scoring: their match weights, with the pairs the household test reads as
 * co-residents set to −∞ (and counted); or their record-level Dice. Each pair on its own, so any
 * share of the candidates may be weighed apart and the weights joined. `evidence` (Fellegi–Sunter):
 * each pair's posterior log2-odds of being one person, the household model's reading at one address
 * and the main model's elsewhere, for the run's estimates (estimates.ts); never used to link.
 */
export function applyFit(
  fit: FittedScoring,
  sims: Float32Array,
  clkDice: Float32Array,
): { weight: Float32Array; vetoed: number; evidence?: Float32Array } {
  if (!fit.model) return { weight: clkDice, vetoed: 0 };
  const weight = scorePairs(fit.model, sims).weight;
  const evidence = Float32Array.from(weight);
  const { household } = fit.model;
  if (!household) return { weight, vetoed: 0, evidence };
  const read = householdReading(fit.model, household, sims);
  for (let p = 0; p < evidence.length; p++) if (read.here[p]) evidence[p] = read.reading[p]!;
  // The veto sets the weight of the pairs it reads as co-residents to -Infinity, in place.
  const vetoed = householdVeto(fit.model, household, sims, weight, fit.threshold, read);
  return { weight, vetoed, evidence };
}

/** The scoring a result reports, once every pair is weighed (`vetoed`: summed over them all). */
export function scoringOf(fit: FittedScoring, vetoed: number): EngineResult['scoring'] {
  const { share, ...scoring } = fit;
  if (!fit.model) return scoring;
  const { household } = fit.model;
  const test = household && { household, vetoed };
  return { ...scoring, reasoning: [...fit.reasoning, householdTestLine(share ?? 0, test)] };
}

/** Weight per candidate pair and how it was scored: fitted Fellegi–Sunter, or record-level Dice. */
export function scoreCandidates(
  sources: EngineSource[],
  prep: PreparedSources,
  candidates: CandidateSimilarities,
  opts: Pick<EngineOptions, 'diceThreshold' | 'minTrainingPairs'>,
): { weight: Float32Array; scoring: EngineResult['scoring'] } {
  const count = candidates.ga.length;
  const crossPairs = pairsAcrossSources(candidates, prep.sourceOf);
  const fit = fitScoring(prep, { sims: candidates.sims, count, crossPairs }, scoringSample(sources, prep), opts);
  const { weight, vetoed } = applyFit(fit, candidates.sims, candidates.clkDice);
  return { weight, scoring: scoringOf(fit, vetoed) };
}

function pairsAcrossSources(candidates: CandidateSimilarities, sourceOf: Uint16Array): number {
  let cross = 0;
  for (let k = 0; k < candidates.ga.length; k++)
    if (sourceOf[candidates.ga[k]!] !== sourceOf[candidates.gb[k]!]) cross++;
  return cross;
}
