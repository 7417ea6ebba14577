import { linesOf, linesThrough, type Line, type Shape } from './shape.js';
import { recoverable } from './verify.js';

export const RELEASED = 0;
export const PRIMARY = 1;
export const SECONDARY = 2;
export type Status = typeof RELEASED | typeof PRIMARY | typeof SECONDARY;

export interface SuppressionOptions {
  /** Counts 1..threshold are never released. 0 disables small-count suppression. */
  readonly threshold: number;
  /** Also hide zeros, so "none" cannot be told from "a few". */
  readonly suppressZeros: boolean;
}

export interface Suppression {
  /** Per entry of the extended table: RELEASED, PRIMARY or SECONDARY. */
  readonly status: Uint8Array;
  readonly primary: number;
  readonly secondary: number;
  /** Extra suppressions the recovery check forced beyond the per-line rule. */
  readonly repairs: number;
}

/** Is this count too revealing to publish on its own? */
export function isPrimary(count: number, opts: SuppressionOptions): boolean {
  return (count >= 1 && count <= opts.threshold) || (opts.suppressZeros && count === 0);
}

/** Primary suppression over cells and margins alike: a small subtotal is as disclosive as a small cell. */
export function primarySuppression(counts: readonly number[], opts: SuppressionOptions): Uint8Array {
  return Uint8Array.from(counts, (c) => (isPrimary(c, opts) ? PRIMARY : RELEASED));
}

/**
 * Does this line still leak? A line whose entries are partly suppressed must hide at least two of
 * them (a lone unknown is its total minus the rest), and when its total is released the suppressed
 * members' sum, which the total gives away, must not itself be a small count (two suppressed 3s in a
 * row whose total and other cells are published reveal "6 people in these two categories").
 */
function lineLeaks(l: Line, counts: readonly number[], status: Uint8Array, thr: number): boolean {
  let n = 0;
  let sum = 0;
  for (const m of l.members) {
    if (status[m] !== RELEASED) {
      n++;
      sum += counts[m] as number;
    }
  }
  const totalHidden = status[l.total] !== RELEASED;
  if (n === 0 && !totalHidden) return false;
  if (n + (totalHidden ? 1 : 0) < 2) return true;
  return !totalHidden && sum <= thr;
}

/**
 * The complementary entry to hide in a leaking line: the released member with the smallest count,
 * so the least information is lost; ties go to the one that opens the fewest new lines. Zeros are
 * never chosen: hiding a zero adds no uncertainty to the line's sum, so it protects nothing. Falls
 * back to the line's total when no member will do.
 */
function complementFor(
  l: Line,
  counts: readonly number[],
  status: Uint8Array,
  through: readonly number[][],
  lines: readonly Line[],
): number | undefined {
  let best: number | undefined;
  let bestCount = Infinity;
  let bestCascade = Infinity;
  for (const m of l.members) {
    const c = counts[m] as number;
    if (status[m] !== RELEASED || c === 0 || c > bestCount) continue;
    let cascade = 0;
    for (const li of through[m] as number[]) {
      const other = lines[li] as Line;
      if (other === l) continue;
      if (status[other.total] === RELEASED && other.members.every((x) => status[x] === RELEASED)) cascade++;
    }
    if (c < bestCount || cascade < bestCascade) {
      best = m;
      bestCount = c;
      bestCascade = cascade;
    }
  }
  if (best !== undefined) return best;
  return status[l.total] === RELEASED && (counts[l.total] as number) > 0 ? l.total : undefined;
}

/**
 * Complementary suppression to a fixed point: sweep every line of every dimension, hiding one more
 * entry in each leaking line, until a full sweep changes nothing (a complement hidden for a row can
 * open its column, so one pass is not enough). Mutates `status`; returns how many entries it hid.
 */
export function complementarySuppression(
  shape: Shape,
  counts: readonly number[],
  status: Uint8Array,
  opts: SuppressionOptions,
): number {
  const lines = linesOf(shape);
  const through = linesThrough(shape, lines);
  let added = 0;
  for (;;) {
    let changed = false;
    for (const l of lines) {
      while (lineLeaks(l, counts, status, opts.threshold)) {
        const e = complementFor(l, counts, status, through, lines);
        if (e === undefined) break; // nothing left to hide here; the recovery check decides
        status[e] = SECONDARY;
        added++;
        changed = true;
      }
    }
    if (!changed) return added;
  }
}

/** Released view of the table: the count, or null where suppressed. */
export function maskedValues(counts: readonly number[], status: Uint8Array): (number | null)[] {
  return counts.map((c, i) => (status[i] === RELEASED ? c : null));
}

/** Smallest released non-zero entry among `candidates`, else among all entries, else any released entry. */
function repairTarget(candidates: Iterable<number>, counts: readonly number[], status: Uint8Array): number | undefined {
  const pick = (pool: Iterable<number>, allowZero: boolean) => {
    let best: number | undefined;
    for (const e of pool) {
      if (status[e] !== RELEASED) continue;
      const c = counts[e] as number;
      if (!allowZero && c === 0) continue;
      if (best === undefined || c < (counts[best] as number)) best = e;
    }
    return best;
  };
  return pick(candidates, false) ?? pick(counts.keys(), false) ?? pick(counts.keys(), true);
}

/**
 * Primary, then complementary suppression, then the recovery check as the arbiter: while any
 * suppressed entry (or line sum) can be recovered, hide one more entry next to it and re-run the
 * line rule. Each round hides at least one entry, so this ends, at worst with everything hidden.
 */
export function suppressTable(shape: Shape, counts: readonly number[], opts: SuppressionOptions): Suppression {
  if (counts.length !== shape.length) throw new RangeError('counts do not match the table shape');
  const status = primarySuppression(counts, opts);
  const lines = linesOf(shape);
  const through = linesThrough(shape, lines);
  complementarySuppression(shape, counts, status, opts);
  let repairs = 0;
  for (;;) {
    const exposures = recoverable({ sizes: shape.sizes, values: maskedValues(counts, status) }, opts);
    if (exposures.length === 0) break;
    let hid = 0;
    for (const x of exposures) {
      const near = new Set<number>();
      const ls =
        x.kind === 'group'
          ? lines.filter((l) => l.total === x.entry && l.dim === x.dim)
          : (through[x.entry] as number[]).map((li) => lines[li] as Line);
      for (const l of ls) {
        for (const m of l.members) near.add(m);
        near.add(l.total);
      }
      const e = repairTarget(near, counts, status);
      if (e === undefined) continue;
      status[e] = SECONDARY;
      hid++;
    }
    if (hid === 0) break; // everything is hidden already; the caller's final check still runs
    repairs += hid;
    complementarySuppression(shape, counts, status, opts);
  }
  let primary = 0;
  let secondary = 0;
  for (const s of status) {
    if (s === PRIMARY) primary++;
    else if (s === SECONDARY) secondary++;
  }
  return { status, primary, secondary, repairs };
}
