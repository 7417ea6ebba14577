/**
 * Clerical-review labels as pair-level overrides (docs/clerical-review.md). A data officer who looked
 * at both records knows more than the model: a pair labelled a match links whatever its score (the
 * clustering's constraints still apply: a label cannot put two rows of a duplicate-free source in
 * one entity), and a pair labelled a non-match never links directly. Labels name records by their
 * stable keys, so they hold in every later run while both records are unchanged. Pure.
 */
import type { ScoredPairs } from './entities/index.js';

/** One pair's combined verdict, by the two records' stable keys (record-key.ts). */
export interface ReviewLabel {
  a: string;
  b: string;
  match: boolean;
  /**
   * The pair's field similarities as the model compares them (field → de-biased Dice, null: missing),
   * stored when the pair was exported: the fit counts the pair at its known class (scoring/labelled.ts).
   * Absent for a pair exported without them: it is applied as an override only.
   */
  sims?: Readonly<Record<string, number | null>>;
}

/** Weight of a labelled match: above any score, finite so that sums and float32 storage stay ordinary. */
export const LABELLED_MATCH = 1e30;

export interface LabelledPairs {
  pairs: ScoredPairs;
  /** Labels whose two records are both in this run, by verdict. */
  matches: number;
  nonMatches: number;
}

/** The scored pairs with each labelled pair's weight set by its label (a labelled match never proposed is added). */
export function withReviewLabels(
  pairs: ScoredPairs,
  recordKeys: readonly string[],
  labels: readonly ReviewLabel[],
): LabelledPairs {
  if (labels.length === 0) return { pairs, matches: 0, nonMatches: 0 };
  const index = new Map<string, number>();
  for (let g = 0; g < recordKeys.length; g++) index.set(recordKeys[g]!, g);
  const wanted = new Map<string, boolean>();
  let matches = 0;
  let nonMatches = 0;
  for (const l of labels) {
    const x = index.get(l.a);
    const y = index.get(l.b);
    if (x === undefined || y === undefined || x === y) continue;
    wanted.set(`${Math.min(x, y)},${Math.max(x, y)}`, l.match);
    if (l.match) matches++;
    else nonMatches++;
  }
  const weight = Float32Array.from(pairs.weight);
  const seen = new Set<string>();
  for (let k = 0; k < weight.length; k++) {
    const x = pairs.a[k]!;
    const y = pairs.b[k]!;
    const key = `${Math.min(x, y)},${Math.max(x, y)}`;
    const match = wanted.get(key);
    if (match === undefined) continue;
    weight[k] = match ? LABELLED_MATCH : Number.NEGATIVE_INFINITY;
    seen.add(key);
  }
  const added = [...wanted]
    .filter(([key, match]) => match && !seen.has(key))
    .map(([key]) => key.split(',').map(Number));
  const n = weight.length + added.length;
  const out: ScoredPairs = { a: new Uint32Array(n), b: new Uint32Array(n), weight: new Float32Array(n) };
  out.a.set(pairs.a);
  out.b.set(pairs.b);
  out.weight.set(weight);
  added.forEach(([x, y], i) => {
    out.a[weight.length + i] = x!;
    out.b[weight.length + i] = y!;
    out.weight[weight.length + i] = LABELLED_MATCH;
  });
  return { pairs: out, matches, nonMatches };
}

/** The reasoning line a run with labels adds. */
export function reviewLine(l: Pick<LabelledPairs, 'matches' | 'nonMatches'>): string {
  return (
    `Clerical review: ${l.matches} pair(s) a data officer labelled a match are linked whatever their score ` +
    `(constraints still apply), and ${l.nonMatches} labelled a non-match are never linked directly.`
  );
}
