/** The Dice coefficient on CLK bytes: the reference definition every kernel backend matches. */
import { popcountAndBytes, popcountBytes } from './popcount.js';

/**
 * Dice score from counts, computed in f64 exactly as every kernel backend does:
 * 2·|A∧B| / (|A| + |B|), and 0 for two empty filters.
 */
export function diceFromCounts(common: number, popA: number, popB: number): number {
  const den = popA + popB;
  return den === 0 ? 0 : (2 * common) / den;
}

/**
 * Dice coefficient of two encodings of the same length (scalar; for tests and explanations).
 * Bit order does not matter to Dice, so the bytes are compared as they are serialised.
 */
export function dice(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new RangeError(`dice: filters differ in length (${a.length} vs ${b.length} bytes)`);
  return diceFromCounts(popcountAndBytes(a, b), popcountBytes(a), popcountBytes(b));
}
