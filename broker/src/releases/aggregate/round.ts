/**
 * Rounding of released counts to a base (NHS practice: nearest 5). Applied after suppression to each
 * released cell and margin independently, so rounded margins need not equal the sum of rounded
 * cells; that is intended, as exact additivity would let the rounding be undone.
 */

/**
 * Nearest multiple of `base`, halves rounding up. A count above the threshold that would round down
 * into 1..threshold (e.g. 11 → 10 with threshold 10) is rounded up to the first multiple above the
 * threshold instead, so no published number ever reads as a small count.
 */
export function roundCount(count: number, base: number, threshold: number): number {
  if (!Number.isInteger(base) || base < 1) throw new RangeError('rounding base must be a positive integer');
  const r = Math.floor((count + base / 2) / base) * base;
  if (r >= 1 && r <= threshold && count > threshold) return (Math.floor(threshold / base) + 1) * base;
  return r;
}

/** Round every released value; suppressed (null) entries stay null. */
export function roundReleased(values: readonly (number | null)[], base: number, threshold: number): (number | null)[] {
  return values.map((v) => (v === null ? null : roundCount(v, base, threshold)));
}
