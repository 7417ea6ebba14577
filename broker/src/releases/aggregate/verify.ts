import { coordsOf, linesOf, makeShape, type Line, type Shape } from './shape.js';

/**
 * What an outsider sees of one release, before any rounding: every entry of the extended table
 * (cells and margins, layout of `makeShape(sizes)`) as its count, or null where it was suppressed.
 */
export interface MaskedTable {
  readonly sizes: readonly number[];
  readonly values: readonly (number | null)[];
}

/**
 * exact: the suppressed entry has one possible value. small: every value it can take lies in
 * 1..threshold, so the outsider learns "a few, but not none". group: the suppressed entries of one
 * line together hold a derivable count in 1..threshold.
 */
export type ExposureKind = 'exact' | 'small' | 'group';

export interface Exposure {
  readonly kind: ExposureKind;
  /** Index in the extended table: the exposed entry, or for `group` the line's total entry. */
  readonly entry: number;
  readonly coords: readonly number[];
  /** For `group`, the dimension the line runs along. */
  readonly dim?: number;
  /** Feasible range found for the entry (or for the line's suppressed sum). */
  readonly lo: number;
  readonly hi: number;
}

export interface Bounds {
  readonly lo: readonly number[];
  readonly hi: readonly number[];
}

/** Sweeps are capped so a slowly shrinking cycle cannot stall a release; bounds stay valid (outer) at any stop. */
export const DEFAULT_MAX_SWEEPS = 2000;

function checkShape(table: MaskedTable): Shape {
  const shape = makeShape(table.sizes);
  if (table.values.length !== shape.length) {
    throw new RangeError(`masked table has ${table.values.length} entries, its sizes need ${shape.length}`);
  }
  for (const v of table.values) {
    if (v !== null && !(Number.isInteger(v) && v >= 0))
      throw new RangeError('released counts must be non-negative integers');
  }
  return shape;
}

/**
 * Feasible range of every entry given the released ones, by interval propagation over the line
 * equations with non-negativity. Sound (the true value is always inside) but not always tight: it
 * is an outer approximation of the linear-programming range, which `linearlyDetermined` complements.
 */
export function feasibleBounds(table: MaskedTable, maxSweeps = DEFAULT_MAX_SWEEPS): Bounds {
  const shape = checkShape(table);
  const b = propagate(linesOf(shape), table.values, initialBounds(table.values), maxSweeps);
  if (!b) throw new RangeError('masked table is inconsistent: its released entries do not add up');
  return b;
}

function initialBounds(values: readonly (number | null)[]): { lo: number[]; hi: number[] } {
  return { lo: values.map((v) => (v === null ? 0 : v)), hi: values.map((v) => (v === null ? Infinity : v)) };
}

/** Tighten `start` (copied) to a fixed point; null when the constraints cannot all hold. */
function propagate(
  lines: readonly Line[],
  values: readonly (number | null)[],
  start: { lo: readonly number[]; hi: readonly number[] },
  maxSweeps: number,
): { lo: number[]; hi: number[] } | null {
  const lo = [...start.lo];
  const hi = [...start.hi];
  // Lines with no unknown entry cannot tighten anything (but are checked once for consistency).
  const active: Line[] = [];
  for (const l of lines) {
    if (values[l.total] === null || l.members.some((m) => values[m] === null)) {
      active.push(l);
      continue;
    }
    let s = 0;
    for (const m of l.members) s += values[m] as number;
    if (s !== values[l.total]) return null;
  }
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let changed = false;
    for (const l of active) {
      let sumLo = 0;
      let finiteHi = 0;
      let infinite = 0;
      for (const m of l.members) {
        sumLo += lo[m] as number;
        const h = hi[m] as number;
        if (h === Infinity) infinite++;
        else finiteHi += h;
      }
      const t = l.total;
      const tLo = Math.max(lo[t] as number, sumLo);
      const tHi = Math.min(hi[t] as number, infinite > 0 ? Infinity : finiteHi);
      if (tLo > tHi) return null;
      if (tLo !== lo[t] || tHi !== hi[t]) {
        lo[t] = tLo;
        hi[t] = tHi;
        changed = true;
      }
      for (const m of l.members) {
        const h = hi[m] as number;
        const othersHi = infinite - (h === Infinity ? 1 : 0) > 0 ? Infinity : finiteHi - (h === Infinity ? 0 : h);
        const mLo = Math.max(lo[m] as number, tLo - othersHi);
        const mHi = Math.min(h, tHi - (sumLo - (lo[m] as number)));
        if (mLo > mHi) return null;
        if (mLo !== lo[m] || mHi !== h) {
          lo[m] = mLo;
          hi[m] = mHi;
          changed = true;
        }
      }
    }
    if (!changed) break;
  }
  return { lo, hi };
}

/**
 * Probe (shaving): assume the entry lies in [a, b] and propagate; if that contradicts the released
 * entries, the entry cannot lie there. Refutations are sound, so probing only ever adds exposures;
 * it catches deductions that need several lines at once which plain propagation misses.
 */
function possible(
  lines: readonly Line[],
  values: readonly (number | null)[],
  base: Bounds,
  entry: number,
  a: number,
  b: number,
  maxSweeps: number,
): boolean {
  const lo = [...base.lo];
  const hi = [...base.hi];
  lo[entry] = Math.max(lo[entry] as number, a);
  hi[entry] = Math.min(hi[entry] as number, b);
  if ((lo[entry] as number) > (hi[entry] as number)) return false;
  return propagate(lines, values, { lo, hi }, maxSweeps) !== null;
}

const EPS = 1e-9;

/**
 * For each entry, whether its value follows from the released entries by linear algebra alone
 * (released entries trivially do). An unknown is determined exactly when the unit vector on it lies
 * in the row space of the line equations restricted to unknowns; in reduced row-echelon form that is
 * a pivot row with no free column. This catches recoveries that need several lines at once (e.g. a
 * suppressed cell that is a bridge between two otherwise protected blocks), which interval
 * propagation can miss. Solved per connected block of unknowns to keep matrices small.
 */
export function linearlyDetermined(table: MaskedTable): boolean[] {
  const shape = checkShape(table);
  return determined(shape, linesOf(shape), table.values);
}

function determined(shape: Shape, lines: readonly Line[], values: readonly (number | null)[]): boolean[] {
  const out = values.map((v) => v !== null);
  const parent = Array.from({ length: shape.length }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i] as number] as number;
      i = parent[i] as number;
    }
    return i;
  };
  const unknownIn = lines.map((l) => [...l.members, l.total].filter((e) => values[e] === null));
  for (const u of unknownIn) for (let j = 1; j < u.length; j++) parent[find(u[j] as number)] = find(u[0] as number);

  const blocks = new Map<number, { cols: number[]; rows: number[] }>();
  for (let i = 0; i < shape.length; i++) {
    if (values[i] !== null) continue;
    const r = find(i);
    let b = blocks.get(r);
    if (!b) {
      b = { cols: [], rows: [] };
      blocks.set(r, b);
    }
    b.cols.push(i);
  }
  unknownIn.forEach((u, li) => {
    if (u.length > 0) blocks.get(find(u[0] as number))?.rows.push(li);
  });

  for (const { cols, rows } of blocks.values()) {
    const colOf = new Map(cols.map((e, c) => [e, c] as const));
    const n = cols.length;
    const A: Float64Array[] = rows.map((li) => {
      const row = new Float64Array(n);
      const l = lines[li] as Line;
      for (const m of l.members) {
        const c = colOf.get(m);
        if (c !== undefined) row[c] = 1;
      }
      const c = colOf.get(l.total);
      if (c !== undefined) row[c] = -1;
      return row;
    });
    const pivotCol: number[] = [];
    let r = 0;
    for (let c = 0; c < n && r < A.length; c++) {
      let p = -1;
      let best = EPS;
      for (let i = r; i < A.length; i++) {
        const a = Math.abs((A[i] as Float64Array)[c] as number);
        if (a > best) {
          best = a;
          p = i;
        }
      }
      if (p < 0) continue;
      const swap = A[r] as Float64Array;
      A[r] = A[p] as Float64Array;
      A[p] = swap;
      const pr = A[r] as Float64Array;
      const inv = 1 / (pr[c] as number);
      for (let j = 0; j < n; j++) pr[j] = (pr[j] as number) * inv;
      for (let i = 0; i < A.length; i++) {
        if (i === r) continue;
        const row = A[i] as Float64Array;
        const f = row[c] as number;
        if (Math.abs(f) <= EPS) {
          row[c] = 0;
          continue;
        }
        for (let j = 0; j < n; j++) row[j] = (row[j] as number) - f * (pr[j] as number);
        row[c] = 0;
      }
      pivotCol.push(c);
      r++;
    }
    pivotCol.forEach((c, i) => {
      const row = A[i] as Float64Array;
      let alone = true;
      for (let j = 0; j < n && alone; j++) if (j !== c && Math.abs(row[j] as number) > EPS) alone = false;
      if (alone) out[cols[c] as number] = true;
    });
  }
  return out;
}

/**
 * Is the entry pinned to one value by probing? Finds the smallest value propagation cannot refute
 * (binary search: refutation of [lo, k] is monotone in k), then asks whether anything above it
 * survives. Catches pinning by non-negativity, e.g. hidden zeros that cannot rise because raising
 * them would push another hidden zero below 0.
 */
function pinned(
  lines: readonly Line[],
  values: readonly (number | null)[],
  base: Bounds,
  entry: number,
  maxSweeps: number,
): boolean {
  const lo = base.lo[entry] as number;
  const hi = base.hi[entry] as number;
  let m = lo;
  if (!possible(lines, values, base, entry, lo, lo, maxSweeps)) {
    let a = lo + 1;
    let b = Number.isFinite(hi) ? hi : lo + 2 ** 30;
    while (a < b) {
      const k = Math.floor((a + b) / 2);
      if (possible(lines, values, base, entry, lo, k, maxSweeps)) b = k;
      else a = k + 1;
    }
    m = a;
  }
  return m >= hi || !possible(lines, values, base, entry, m + 1, hi, maxSweeps);
}

/**
 * Which suppressed entries an outsider can recover from this one release. An entry is exposed
 * `exact` when linear algebra determines it, when its propagated bounds meet, or when probing pins
 * it; `small` when it can be neither 0 nor above the threshold; `group` when a line's hidden cells
 * jointly hold a derivable count in 1..threshold. Empty means none of these found anything: sound
 * (every exposure reported is real) but not complete against full integer programming. Give it the
 * release before rounding: rounding only adds uncertainty, so a table safe unrounded is safe rounded.
 */
export function recoverable(
  table: MaskedTable,
  opts: { threshold: number },
  maxSweeps = DEFAULT_MAX_SWEEPS,
): Exposure[] {
  const shape = checkShape(table);
  const lines = linesOf(shape);
  const { values } = table;
  const thr = opts.threshold;
  const bounds = propagate(lines, values, initialBounds(values), maxSweeps);
  if (!bounds) throw new RangeError('masked table is inconsistent: its released entries do not add up');
  const { lo, hi } = bounds;
  const det = determined(shape, lines, values);
  const out: Exposure[] = [];
  const smallRange = (a: number, b: number) => thr >= 1 && a >= 1 && b <= thr;
  for (let i = 0; i < shape.length; i++) {
    if (values[i] !== null) continue;
    const a = lo[i] as number;
    const b = hi[i] as number;
    if (det[i] || a === b || pinned(lines, values, bounds, i, maxSweeps)) {
      out.push({ kind: 'exact', entry: i, coords: coordsOf(shape, i), lo: a, hi: b });
    } else if (thr >= 1 && b >= 1 && a <= thr) {
      // Can it be 0? Can it exceed the threshold? If neither, it is known to be "a few".
      const canBeZero = a <= 0 && possible(lines, values, bounds, i, 0, 0, maxSweeps);
      const canBeLarge = b > thr && possible(lines, values, bounds, i, thr + 1, Infinity, maxSweeps);
      if (!canBeZero && !canBeLarge)
        out.push({ kind: 'small', entry: i, coords: coordsOf(shape, i), lo: Math.max(a, 1), hi: Math.min(b, thr) });
    }
  }
  for (const l of lines) {
    const unknown = l.members.filter((m) => values[m] === null);
    if (unknown.length < 2) continue; // a single unknown member is judged on its own above
    let released = 0;
    let sLo = 0;
    let sHi = 0;
    for (const m of l.members) {
      const v = values[m];
      if (v === null || v === undefined) {
        sLo += lo[m] as number;
        sHi += hi[m] as number;
      } else released += v;
    }
    const a = Math.max(sLo, (lo[l.total] as number) - released);
    const b = Math.min(sHi, (hi[l.total] as number) - released);
    if (smallRange(a, b))
      out.push({ kind: 'group', entry: l.total, coords: coordsOf(shape, l.total), dim: l.dim, lo: a, hi: b });
  }
  return out;
}
