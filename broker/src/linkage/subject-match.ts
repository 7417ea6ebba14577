/**
 * Subject access: which of one source's records a single query encoding belongs to, weighed exactly
 * as the run weighed its pairs (its stored model: Fellegi–Sunter weights with the household test, or
 * record-level Dice) against the run's threshold. Every record of the source is compared (one source,
 * one query: no blocking needed). Pure.
 */
import { applyStoredScoring, type StoredModel } from './engine-incremental.js';
import { checkCompatible, blockSimilarities, prepareSources } from './prepare.js';
import type { EngineSource } from './types.js';

export interface SubjectMatch {
  /** The record of `own` the query belongs to. */
  record: number;
  weight: number;
}

/**
 * The best record of `own` at or above the model's threshold, or null. Only the best is answered for:
 * a second record of another person just above the threshold must not widen the answer.
 */
export function matchSubject(query: EngineSource, own: EngineSource, model: StoredModel): SubjectMatch | null {
  if (query.tokens.length !== 1) throw new RangeError('a subject access query is one record');
  const n = own.tokens.length;
  if (n === 0) return null;
  // Compared on the run's fields, in the model's order, so the similarities line up with its weights.
  const compatible = checkCompatible([query, own]);
  const fields = { names: model.mode === 'dice' ? [] : model.fields, personal: compatible.personal };
  const prep = prepareSources([query, own], { clkOnly: model.mode === 'dice' }, fields);
  const pairs = new Uint32Array(2 * n);
  for (let r = 0; r < n; r++) pairs[2 * r + 1] = r;
  const { clkDice, sims } = blockSimilarities({ i: 0, j: 1, pairs }, prep);
  const weight = applyStoredScoring(model, sims, clkDice);
  let best: SubjectMatch | null = null;
  for (let r = 0; r < n; r++) {
    const w = weight[r]!;
    if (w >= model.threshold && (!best || w > best.weight)) best = { record: r, weight: w };
  }
  return best;
}
