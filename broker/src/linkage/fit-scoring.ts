/**
 * The engine's scoring stage in a full run: fit a Fellegi–Sunter model to the candidate pairs when
 * there are enough of them across sources (u from random pairs, m from anchored pairs, λ over every
 * pair blocking chose from; see scoring/), with the household test where co-residents are common,
 * and choose its threshold; else record-level Dice. Pure.
 */
import { pairsConsidered } from './candidate-blocks.js';
import { diceLine, householdTestLine } from './explanations.js';
import { ADDRESS_FIELDS, type PreparedSources } from './prepare.js';
import { randomPairSimilarities } from './random-pairs.js';
import {
  CO_RESIDENT_SHARE,
  chooseThreshold,
  coResidentShare,
  fitAnchoredModel,
  householdVeto,
  scorePairs,
  withHouseholdTest,
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

/** Weight per candidate pair and how it was scored: fitted Fellegi–Sunter, or record-level Dice. */
export function scoreCandidates(
  sources: EngineSource[],
  prep: PreparedSources,
  candidates: CandidateSimilarities,
  opts: Pick<EngineOptions, 'diceThreshold' | 'minTrainingPairs'>,
): { weight: Float32Array; scoring: EngineResult['scoring'] } {
  const crossPairs = pairsAcrossSources(candidates, prep.sourceOf);
  const minTraining = opts.minTrainingPairs ?? 2000;
  if (!prep.clkMode && crossPairs >= minTraining) return fitFellegiSunter(sources, prep, candidates);
  const fields = prep.fieldNames.length;
  return {
    weight: candidates.clkDice,
    scoring: {
      mode: 'dice',
      threshold: opts.diceThreshold,
      fields: [],
      reasoning: [diceLine(opts.diceThreshold, { clkMode: prep.clkMode, fields, crossPairs, minTraining })],
    },
  };
}

function pairsAcrossSources(candidates: CandidateSimilarities, sourceOf: Uint16Array): number {
  let cross = 0;
  for (let k = 0; k < candidates.ga.length; k++)
    if (sourceOf[candidates.ga[k]!] !== sourceOf[candidates.gb[k]!]) cross++;
  return cross;
}

function fitFellegiSunter(
  sources: EngineSource[],
  prep: PreparedSources,
  { sims, ga }: CandidateSimilarities,
): { weight: Float32Array; scoring: EngineResult['scoring'] } {
  const { compatible, fieldNames, fieldSets } = prep;
  const randomSims = randomPairSimilarities(sources, fieldSets, fieldNames.length, RANDOM_PAIRS, RANDOM_SEED);
  const share = coResidentShare(fieldSets, fieldNames, compatible.personal);
  const main = fitAnchoredModel(sims, fieldNames, {
    randomPairs: randomSims,
    personal: compatible.personal,
    correlated: [ADDRESS_FIELDS],
    totalPairs: Math.max(pairsConsidered(sources), ga.length),
  });
  const model = share >= CO_RESIDENT_SHARE ? withHouseholdTest(main, sims, ADDRESS_FIELDS) : main;
  const choice = chooseThreshold(model);
  const weight = scorePairs(model, sims).weight;
  const { household } = model;
  // The veto sets the weight of the pairs it reads as co-residents to -Infinity, in place.
  const test = household && { household, vetoed: householdVeto(model, household, sims, weight, choice.weight) };
  return {
    weight,
    scoring: {
      mode: 'fellegi-sunter',
      threshold: choice.weight,
      fields: fieldNames,
      reasoning: [...choice.reasoning, householdTestLine(share, test)],
      model,
    },
  };
}
