/**
 * m refined by clerical-review labels (docs/scoring.md, "Labelled pairs in the fit"): one E step of
 * semi-supervised EM about the fitted model. The fitted m of a field is read as expected counts,
 * N_f · m_f,l, where N_f is the model's expected number of true matches among the candidates with the
 * field present. A labelled pair was counted there with its posterior p; its label says it is a match
 * (y = 1) or not (y = 0), so each of its present fields moves y − p of a pair into, or out of, its
 * level. Labels that agree with the model on average move nothing; a label weighs one pair against
 * the N_f the model already counts, whatever pairs the labels were chosen from (choosing pairs for
 * review by their comparison pattern leaves this estimate unbiased, where pooling the labelled pairs'
 * level shares with the anchored ones would not: uncertain pairs are chosen for disagreeing fields).
 * u is a random pair's, counted over every pair blocking chose from: a few hundred labelled
 * non-matches against that many move it by less than float rounding, so it is left alone. Pure.
 */
import type { FieldComparison, SimilarityMatrix } from './comparison.js';
import { levelCount, MISSING_LEVEL, pairCount, similarityLevels } from './comparison.js';
import { type FsParameters, patternPosteriors } from './em.js';
import type { PatternTable } from './patterns.js';
import { levelWeights, matchProbability } from './weights.js';

/** Labelled pairs' field similarities (pairs × fields, the fit's layout) and their verdicts. */
export interface LabelledSimilarities {
  readonly sims: SimilarityMatrix;
  readonly match: readonly boolean[];
}

export interface LabelledRefit {
  m: number[][];
  matches: number;
  nonMatches: number;
  /** The model's expected true matches among the candidates (any field present), before the labels. */
  expectedMatches: number;
  /** Σ(y − p) over the labels: how many matches the labels add to what the model expected of them. */
  surprise: number;
}

export function refineWithLabels(
  table: PatternTable,
  fields: readonly FieldComparison[],
  params: FsParameters,
  labelled: LabelledSimilarities,
  floor: number,
): LabelledRefit {
  const F = fields.length;
  const n = pairCount(labelled.sims, F);
  if (labelled.match.length !== n)
    throw new RangeError(`refineWithLabels: ${n} pairs, ${labelled.match.length} verdicts`);
  // Expected matches per field among the candidates with it present: N_f.
  const post = patternPosteriors(table, params);
  const present = new Float64Array(F);
  let expected = 0;
  for (let j = 0; j < table.counts.length; j++) {
    const e = (table.counts[j] as number) * (post[j] as number);
    expected += e;
    for (let f = 0; f < F; f++) if ((table.patterns[j * F + f] as number) !== MISSING_LEVEL) present[f]! += e;
  }
  const counts = params.m.map((row, f) => row.map((m, l) => (l === MISSING_LEVEL ? 0 : m * present[f]!)));
  const levels = similarityLevels(labelled.sims, fields);
  const weights = levelWeights(params);
  const prior = Math.log2(params.lambda / (1 - params.lambda));
  let matches = 0;
  let surprise = 0;
  for (let p = 0; p < n; p++) {
    let w = prior;
    for (let f = 0; f < F; f++) w += weights[f]![levels[p * F + f] as number]!;
    const y = labelled.match[p] ? 1 : 0;
    matches += y;
    const d = y - matchProbability(w);
    surprise += d;
    for (let f = 0; f < F; f++) {
      const l = levels[p * F + f] as number;
      if (l !== MISSING_LEVEL) counts[f]![l]! += d;
    }
  }
  // A non-match label can take a level's count below zero only where the model put almost nothing:
  // the floor (the fit's pseudo-count) keeps every m positive, as the fit itself does.
  const m = counts.map((row, f) => {
    const kept = row.map((c, l) => (l === MISSING_LEVEL ? 0 : Math.max(c, floor)));
    let total = 0;
    for (let l = 1; l < levelCount(fields[f]!); l++) total += kept[l]!;
    return kept.map((c, l) => (l === MISSING_LEVEL ? 1 : c / total));
  });
  return { m, matches, nonMatches: n - matches, expectedMatches: expected, surprise };
}
