/**
 * Comparison patterns: the vector of level indices of one pair. Levels are discrete, so millions
 * of pairs collapse to a few thousand distinct patterns with counts, and EM runs over those.
 */

/** Distinct level patterns with the number of pairs showing each. */
export interface PatternTable {
  readonly fieldCount: number;
  /** Level indices per field, 'missing' included. */
  readonly levelCounts: readonly number[];
  /** Distinct patterns, row-major (patterns × fields). */
  readonly patterns: Uint8Array;
  /** Pairs per pattern (float so that weighted tables work the same). */
  readonly counts: Float64Array;
  readonly totalPairs: number;
}

/** Above this many possible codes, counting switches from a dense array to a Map. */
const DENSE_LIMIT = 1 << 22;

/** Mixed-radix strides: code = Σ level_f · stride_f. */
export function patternStrides(levelCounts: readonly number[]): number[] {
  const strides: number[] = [];
  let s = 1;
  for (const l of levelCounts) {
    if (!Number.isInteger(l) || l < 1 || l > 256) throw new RangeError(`pattern: bad level count ${l}`);
    strides.push(s);
    s *= l;
  }
  if (s > Number.MAX_SAFE_INTEGER) throw new RangeError('pattern: too many level combinations to encode');
  return strides;
}

function checkLevels(levels: Uint8Array, levelCounts: readonly number[]): number {
  const F = levelCounts.length;
  if (F === 0 || levels.length % F !== 0) throw new RangeError('pattern: level matrix does not have whole rows');
  return levels.length / F;
}

/** Aggregates a pairs × fields level matrix into distinct patterns with counts (code order). */
export function aggregatePatterns(levels: Uint8Array, levelCounts: readonly number[]): PatternTable {
  const F = levelCounts.length;
  const n = checkLevels(levels, levelCounts);
  const strides = patternStrides(levelCounts);
  const space = (strides[F - 1] as number) * (levelCounts[F - 1] as number);
  const codeOf = (row: number): number => {
    let code = 0;
    for (let f = 0, i = row * F; f < F; f++, i++) {
      const l = levels[i] as number;
      if (l >= (levelCounts[f] as number)) throw new RangeError(`pattern: level ${l} out of range for field ${f}`);
      code += l * (strides[f] as number);
    }
    return code;
  };

  let codes: number[];
  let counts: number[];
  if (space <= DENSE_LIMIT) {
    const dense = new Float64Array(space);
    for (let p = 0; p < n; p++) dense[codeOf(p)]! += 1;
    codes = [];
    counts = [];
    for (let c = 0; c < space; c++) {
      const k = dense[c] as number;
      if (k > 0) {
        codes.push(c);
        counts.push(k);
      }
    }
  } else {
    const map = new Map<number, number>();
    for (let p = 0; p < n; p++) {
      const c = codeOf(p);
      map.set(c, (map.get(c) ?? 0) + 1);
    }
    codes = [...map.keys()].sort((a, b) => a - b);
    counts = codes.map((c) => map.get(c) as number);
  }

  const patterns = new Uint8Array(codes.length * F);
  for (let j = 0; j < codes.length; j++) {
    let c = codes[j] as number;
    for (let f = 0; f < F; f++) {
      const l = levelCounts[f] as number;
      patterns[j * F + f] = c % l;
      c = Math.floor(c / l);
    }
  }
  return { fieldCount: F, levelCounts: [...levelCounts], patterns, counts: Float64Array.from(counts), totalPairs: n };
}

/** One pattern per pair, count 1 each: the unaggregated table, for checking aggregation. */
export function perPairPatterns(levels: Uint8Array, levelCounts: readonly number[]): PatternTable {
  const n = checkLevels(levels, levelCounts);
  patternStrides(levelCounts);
  for (let i = 0; i < levels.length; i++) {
    if ((levels[i] as number) >= (levelCounts[i % levelCounts.length] as number)) {
      throw new RangeError('pattern: level out of range');
    }
  }
  return {
    fieldCount: levelCounts.length,
    levelCounts: [...levelCounts],
    patterns: levels.slice(),
    counts: new Float64Array(n).fill(1),
    totalPairs: n,
  };
}
