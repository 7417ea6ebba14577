/**
 * Record-level-CLK-only mode, for clkhash-compatible inputs that carry one CLK per record and no
 * field filters. Two ways to score:
 *  - a plain Dice threshold on the CLK (what anonlink does): no model, no probabilities;
 *  - the CLK as a single Fellegi–Sunter "field" with finer levels, so the output has the same
 *    shape as the field-level model. With one field EM has nothing to cross-check against (the
 *    mixture is not identified), so u should come from random pairs; the fit warns otherwise.
 */
import type { SimilarityMatrix } from './comparison.js';
import type { FitOptions, ScoringModel } from './model.js';
import { fitModel } from './model.js';

export const CLK_FIELD = 'clk';

/** Finer levels than the field default: a record-level Dice spreads matches over a wider range. */
export const DEFAULT_CLK_CUT_POINTS: readonly number[] = Object.freeze([0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]);

export interface ClkFitOptions extends Omit<FitOptions, 'cutPoints' | 'defaultCutPoints'> {
  readonly cutPoints?: readonly number[];
}

/** Fits the one-field model on record-level CLK Dice scores (one number per pair, NaN = missing). */
export function fitClkModel(clkSimilarities: SimilarityMatrix, opts: ClkFitOptions = {}): ScoringModel {
  const { cutPoints, ...rest } = opts;
  return fitModel(clkSimilarities, [CLK_FIELD], {
    ...rest,
    cutPoints: { [CLK_FIELD]: cutPoints ?? DEFAULT_CLK_CUT_POINTS },
  });
}

export interface DiceThresholdResult {
  /** 1 where the CLK Dice is ≥ the threshold. */
  readonly accepted: Uint8Array;
  readonly acceptedCount: number;
  readonly reasoning: readonly string[];
}

/** The plain record-level rule: accept a pair when its CLK Dice is ≥ threshold. */
export function scoreByDiceThreshold(clkSimilarities: SimilarityMatrix, threshold: number): DiceThresholdResult {
  if (!(threshold >= 0 && threshold <= 1))
    throw new RangeError(`scoreByDiceThreshold: threshold ${threshold} not in [0, 1]`);
  const t = Math.fround(threshold); // as in comparison levels: a float32 Dice equal to t is accepted
  const accepted = new Uint8Array(clkSimilarities.length);
  let acceptedCount = 0;
  let missing = 0;
  for (let i = 0; i < clkSimilarities.length; i++) {
    const s = clkSimilarities[i] as number;
    if (Number.isNaN(s)) {
      missing++;
      continue;
    }
    if (!(s >= 0 && s <= 1)) throw new RangeError(`similarity of pair ${i} is ${s}: outside [0, 1]`);
    if (s >= t) {
      accepted[i] = 1;
      acceptedCount++;
    }
  }
  const reasoning = [
    `Record-level CLK mode: a pair is accepted when the Dice similarity of the two CLKs is at least ${threshold}.`,
    `${acceptedCount} of ${clkSimilarities.length} candidate pairs are accepted` +
      (missing > 0 ? `; ${missing} pairs without a CLK on one side are rejected.` : '.'),
    'No model stands behind this threshold: there are no expected precision or recall figures, and the weight of ' +
      'agreement on a rare identifier is not separated from agreement on a common one.',
  ];
  return { accepted, acceptedCount, reasoning };
}
