/**
 * Dice of one field's filters for a list of record pairs, corrected for randomised response.
 *
 * A filter whose bits the encoder flipped with probability p (the `flip` hardening) no longer gives
 * Dice 1 for equal values: with q = 1 − 2p each observed popcount is a' = pL + q·a in expectation,
 * and the observed overlap c' = p²L + pq(a + b) + q²·c (independent noise on the two sides). Solving
 * for a, b and c gives an unbiased estimate of the clean overlap, and from it the Dice the comparison
 * levels were designed for (clamped to [0, 1]). Its spread grows with p; that is the price of the
 * noise, paid in the model's level probabilities rather than in a biased scale.
 */
import { candidatesAbove } from '../kernel/index.js';
import type { FieldColumn } from './field-column.js';

/** Dice per pair (interleaved local record numbers), de-biased when the field's filters are flipped. */
export function fieldDice(fa: FieldColumn, fb: FieldColumn, pairs: Uint32Array): Float32Array {
  const score = candidatesAbove(fa.set, fb.set, -1, { pairs }).score;
  const p = fa.flip ?? 0;
  if (p === 0) return score;
  const L = fa.set.bits;
  const q = 1 - 2 * p;
  for (let k = 0; k < score.length; k++) {
    const a1 = fa.set.popcount(pairs[2 * k]!);
    const b1 = fb.set.popcount(pairs[2 * k + 1]!);
    score[k] = debiasedDice(score[k]!, a1, b1, L, p, q);
  }
  return score;
}

/** The clean Dice estimated from an observed Dice and popcounts of two filters flipped with probability p. */
export function debiasedDice(observed: number, a1: number, b1: number, L: number, p: number, q = 1 - 2 * p): number {
  const c1 = (observed * (a1 + b1)) / 2;
  const a0 = (a1 - p * L) / q;
  const b0 = (b1 - p * L) / q;
  if (a0 + b0 <= 0) return 0;
  const c0 = (c1 - p * p * L - p * q * (a0 + b0)) / (q * q);
  return Math.min(1, Math.max(0, (2 * c0) / (a0 + b0)));
}
