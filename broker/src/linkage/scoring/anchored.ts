/**
 * m probabilities from anchored pairs, one field at a time.
 *
 * Why not EM over all candidate pairs: blocking proposes pairs that share something (an address, a
 * postcode, a surname), so the candidates are crowded with co-residents and neighbours. Two-class EM
 * then learns "same household" as its match class, and disagreement on a given name or a date of
 * birth ends up weighing almost nothing. Splink meets the same problem with training sessions: m of
 * a field is estimated only from pairs selected by a rule on *other* fields. We take that to a
 * leave-one-out rule: a pair anchors field f when every other field it holds sits at its top level,
 * at least two of them, at least one personal (a given name, a date of birth, an identifier).
 * Co-residents share household fields, not personal ones, so such pairs are one person in two
 * records (twins aside), and f's level shares among them are its m. The personal anchor is what
 * keeps a parent and child, who agree on surname, address and postcode, out.
 *
 * Fields that move together (address and postcode: a person who moves changes both) are left out
 * of each other's anchor: requiring the postcode to agree would leave only typos, never moves, in
 * the address's m.
 */
import type { FieldComparison, SimilarityMatrix } from './comparison.js';
import { levelCount, MISSING_LEVEL, pairCount, similarityLevels } from './comparison.js';
import { DEFAULT_PSEUDO_COUNT } from './em.js';

/** Fewer anchored pairs than this and a field's m falls back to EM. */
export const MIN_ANCHORED_PAIRS = 10;

export interface AnchoredField {
  readonly field: string;
  /** Pairs that anchored this field. */
  readonly pairs: number;
  /** m per level (missing = 1), or null when fewer than MIN_ANCHORED_PAIRS pairs anchored it. */
  readonly m: readonly number[] | null;
}

export function anchoredM(
  sims: SimilarityMatrix,
  fields: readonly FieldComparison[],
  personal: ReadonlySet<string>,
  correlated: readonly (readonly string[])[] = [],
  pseudoCount = DEFAULT_PSEUDO_COUNT,
): AnchoredField[] {
  const F = fields.length;
  const n = pairCount(sims, F);
  const levels = similarityLevels(sims, fields);
  const top = fields.map((c) => levelCount(c) - 1);
  const isPersonal = fields.map((c) => personal.has(c.field));
  // Per field, the fields its anchor ignores: itself and those it moves with.
  const ignored = fields.map((c, f) => {
    const group = correlated.find((g) => g.includes(c.field)) ?? [];
    return fields.map((d, g) => g === f || group.includes(d.field));
  });
  const counts = fields.map((c) => new Float64Array(levelCount(c)));
  for (let p = 0; p < n; p++) {
    const row = p * F;
    for (let f = 0; f < F; f++) {
      const l = levels[row + f] as number;
      if (l === MISSING_LEVEL) continue;
      // Every other present field (not moving with f) at its top level: at least two, one personal.
      let others = 0;
      let personalTop = 0;
      let anchored = true;
      for (let g = 0; g < F && anchored; g++) {
        const k = levels[row + g] as number;
        if (ignored[f]![g] || k === MISSING_LEVEL) continue;
        if (k !== top[g]) anchored = false;
        others++;
        if (isPersonal[g]) personalTop++;
      }
      if (anchored && others >= 2 && personalTop > 0) counts[f]![l]! += 1;
    }
  }
  return fields.map((c, f) => {
    const acc = counts[f]!;
    let pairs = 0;
    for (let l = 1; l < acc.length; l++) pairs += acc[l]!;
    if (pairs < MIN_ANCHORED_PAIRS) return { field: c.field, pairs, m: null };
    const den = pairs + pseudoCount * (acc.length - 1);
    return { field: c.field, pairs, m: Array.from(acc, (x, l) => (l === MISSING_LEVEL ? 1 : (x + pseudoCount) / den)) };
  });
}
