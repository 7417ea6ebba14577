/**
 * Comparison levels: each field's Dice similarity is cut into a few discrete levels, plus a
 * 'missing' level for a pair where either record lacks the field. Level indices rise with
 * similarity so that a pattern of levels is a small integer vector, cheap to count and aggregate.
 *
 * Layout of a field with cut points [c0 < c1 < … < ck−1]:
 *   0       missing (either side has no filter; contributes weight 0)
 *   1       dice < c0
 *   i + 2   ci ≤ dice < ci+1   (the last level is dice ≥ ck−1)
 */

/** Per-pair, per-field Dice similarities, row-major (pairs × fields); NaN marks 'missing'. */
export type SimilarityMatrix = Float32Array | Float64Array;

export const MISSING_LEVEL = 0;

/** Default cut points: 'else', ≥ 0.7, ≥ 0.85, and 'exact-ish' ≥ 0.95. */
export const DEFAULT_CUT_POINTS: readonly number[] = Object.freeze([0.5, 0.7, 0.85, 0.95]);

/** Levels live in a Uint8Array, and 0 and 1 are taken by 'missing' and 'else'. */
const MAX_CUT_POINTS = 253;

export interface FieldComparison {
  readonly field: string;
  /** Strictly ascending Dice cut points in (0, 1]. */
  readonly cutPoints: readonly number[];
  /** One label per level index, e.g. ['missing', 'dice < 0.70', '0.70 ≤ dice < 0.85', …]. */
  readonly labels: readonly string[];
}

function fmt(x: number): string {
  return x.toFixed(2);
}

/** Builds and validates one field's comparison. */
export function fieldComparison(field: string, cutPoints: readonly number[] = DEFAULT_CUT_POINTS): FieldComparison {
  if (field.length === 0) throw new RangeError('fieldComparison: empty field name');
  if (cutPoints.length > MAX_CUT_POINTS) {
    throw new RangeError(`fieldComparison(${field}): at most ${MAX_CUT_POINTS} cut points`);
  }
  for (let i = 0; i < cutPoints.length; i++) {
    const c = cutPoints[i] as number;
    if (!(c > 0 && c <= 1)) throw new RangeError(`fieldComparison(${field}): cut point ${c} is not in (0, 1]`);
    if (i > 0 && !(c > (cutPoints[i - 1] as number))) {
      throw new RangeError(`fieldComparison(${field}): cut points must be strictly ascending`);
    }
  }
  const labels = ['missing'];
  if (cutPoints.length === 0) labels.push('present');
  else labels.push(`dice < ${fmt(cutPoints[0] as number)}`);
  for (let i = 0; i < cutPoints.length; i++) {
    const lo = cutPoints[i] as number;
    const hi = cutPoints[i + 1];
    labels.push(hi === undefined ? `dice ≥ ${fmt(lo)}` : `${fmt(lo)} ≤ dice < ${fmt(hi)}`);
  }
  return Object.freeze({ field, cutPoints: Object.freeze([...cutPoints]), labels: Object.freeze(labels) });
}

/** Comparisons for a list of fields, with optional per-field cut points. */
export function comparisonsFor(
  fieldNames: readonly string[],
  cutPoints: Readonly<Record<string, readonly number[]>> = {},
  defaultCutPoints: readonly number[] = DEFAULT_CUT_POINTS,
): FieldComparison[] {
  if (fieldNames.length === 0) throw new RangeError('comparisonsFor: no fields');
  if (new Set(fieldNames).size !== fieldNames.length) throw new RangeError('comparisonsFor: duplicate field names');
  for (const name of Object.keys(cutPoints)) {
    if (!fieldNames.includes(name)) throw new RangeError(`comparisonsFor: cut points given for unknown field ${name}`);
  }
  return fieldNames.map((f) => fieldComparison(f, cutPoints[f] ?? defaultCutPoints));
}

/** Number of level indices of a field, 'missing' included. */
export function levelCount(c: FieldComparison): number {
  return c.cutPoints.length + 2;
}

/**
 * Cut points rounded to float32: a Dice of exactly 0.95 stored in a Float32Array reads back as
 * 0.9499999881, which must still land in the '≥ 0.95' level.
 */
export function storedCutPoints(c: FieldComparison): Float64Array {
  return Float64Array.from(c.cutPoints, (x) => Math.fround(x));
}

/** Level index of one similarity; `cuts` from storedCutPoints. Throws on a value outside [0, 1]. */
export function levelOf(sim: number, cuts: Float64Array): number {
  if (Number.isNaN(sim)) return MISSING_LEVEL; // NaN: missing
  if (!(sim >= 0 && sim <= 1)) throw new RangeError(`similarity ${sim} is outside [0, 1]`);
  let level = 1;
  for (let i = 0; i < cuts.length; i++) {
    if (sim >= (cuts[i] as number)) level = i + 2;
    else break;
  }
  return level;
}

/** Checks that a similarity matrix has whole rows for `fieldCount` fields; returns the pair count. */
export function pairCount(sims: SimilarityMatrix, fieldCount: number): number {
  if (fieldCount < 1) throw new RangeError('similarity matrix: no fields');
  if (sims.length % fieldCount !== 0) {
    throw new RangeError(`similarity matrix: length ${sims.length} is not a multiple of ${fieldCount} fields`);
  }
  return sims.length / fieldCount;
}

/** Maps a pairs × fields similarity matrix to level indices in the same layout. */
export function similarityLevels(sims: SimilarityMatrix, comparisons: readonly FieldComparison[]): Uint8Array {
  const F = comparisons.length;
  const n = pairCount(sims, F);
  const cuts = comparisons.map(storedCutPoints);
  const out = new Uint8Array(sims.length);
  for (let p = 0, i = 0; p < n; p++) {
    for (let f = 0; f < F; f++, i++) {
      const s = sims[i] as number;
      if (Number.isNaN(s)) continue; // NaN: missing (level 0)
      if (s < 0 || s > 1) {
        throw new RangeError(
          `similarity of pair ${p}, field ${(comparisons[f] as FieldComparison).field} is ${s}: outside [0, 1]`,
        );
      }
      const c = cuts[f] as Float64Array;
      let level = 1;
      for (let k = 0; k < c.length; k++) {
        if (s >= (c[k] as number)) level = k + 2;
        else break;
      }
      out[i] = level;
    }
  }
  return out;
}
