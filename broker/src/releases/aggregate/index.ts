import { coordsOf, isCell, makeShape } from './shape.js';
import { buildTable, type AttributeRow, type Dimension } from './table.js';
import { maskedValues, suppressTable } from './suppress.js';
import { roundReleased } from './round.js';
import { recoverable, type MaskedTable } from './verify.js';

export {
  buildTable,
  validateDimensions,
  MAX_DIMENSIONS,
  type AttributeRow,
  type ContingencyTable,
  type Dimension,
} from './table.js';
export { makeShape, linesOf, coordsOf, indexOf, isCell, type Shape, type Line } from './shape.js';
export {
  suppressTable,
  primarySuppression,
  complementarySuppression,
  maskedValues,
  isPrimary,
  RELEASED,
  PRIMARY,
  SECONDARY,
  type Status,
  type Suppression,
  type SuppressionOptions,
} from './suppress.js';
export { roundCount, roundReleased } from './round.js';
export {
  recoverable,
  feasibleBounds,
  linearlyDetermined,
  DEFAULT_MAX_SWEEPS,
  type MaskedTable,
  type Exposure,
  type ExposureKind,
  type Bounds,
} from './verify.js';

export const DEFAULT_THRESHOLD = 7;

export interface AggregateOptions {
  /** Counts 1..threshold are never published (default 7, as OpenSAFELY). 0 turns this off. */
  threshold?: number;
  /** Round published counts to a multiple of this base (e.g. 5) after suppression. */
  roundTo?: number;
  /** Also suppress zeros (default false: zeros are published). */
  suppressZeros?: boolean;
}

export interface AggregateCell {
  /** One declared value per dimension, in dimension order. */
  key: string[];
  /** null = suppressed. */
  count: number | null;
}

export interface AggregateMargin {
  /** A declared value per dimension, or null where the margin totals over that dimension. */
  key: (string | null)[];
  count: number | null;
}

export interface AggregateRelease {
  dimensions: Dimension[];
  threshold: number;
  /** Rounding base applied, or null when counts are exact. */
  roundTo: number | null;
  cells: AggregateCell[];
  margins: {
    grandTotal: number | null;
    /** Every subtotal (row, column, layer totals and, in 3-D, the two-way margins). */
    subtotals: AggregateMargin[];
  };
  /** Entries hidden, cells and margins together. */
  suppressed: { primary: number; secondary: number };
  notes: string[];
}

function checkOptions(opts: AggregateOptions): { threshold: number; roundTo: number | null; suppressZeros: boolean } {
  const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
  if (!Number.isInteger(threshold) || threshold < 0) throw new RangeError('threshold must be a non-negative integer');
  const roundTo = opts.roundTo ?? null;
  if (roundTo !== null && (!Number.isInteger(roundTo) || roundTo < 1))
    throw new RangeError('roundTo must be a positive integer');
  return { threshold, roundTo, suppressZeros: opts.suppressZeros ?? false };
}

/**
 * Depersonalised counts for a Community Safety Partnership: rows (one per linked entity or record)
 * counted by 1–3 declared attributes, with every margin, small counts suppressed, complementary
 * suppression so no hidden count can be derived from what is shown, optional rounding. Nothing
 * person-level leaves: only counts keyed by declared attribute values. Refuses (throws) if the
 * recovery check finds any hidden count recoverable.
 */
export function aggregateRelease(
  rows: readonly AttributeRow[],
  dimensions: readonly Dimension[],
  opts: AggregateOptions = {},
): AggregateRelease {
  const { threshold, roundTo, suppressZeros } = checkOptions(opts);
  const table = buildTable(rows, dimensions);
  const { shape, counts } = table;
  const sup = suppressTable(shape, counts, { threshold, suppressZeros });
  const masked = maskedValues(counts, sup.status);

  // Final safety check, independent of how the suppression was chosen.
  const exposed = recoverable({ sizes: shape.sizes, values: masked }, { threshold });
  if (exposed.length > 0)
    throw new Error(`refusing to release: ${exposed.length} suppressed entries could be recovered from the table`);

  const published = roundTo === null ? masked : roundReleased(masked, roundTo, threshold);
  const dims = table.dimensions.map((d) => ({ name: d.name, values: [...d.values] }));
  const cells: AggregateCell[] = [];
  const subtotals: AggregateMargin[] = [];
  let grandTotal: number | null = null;
  for (let i = 0; i < shape.length; i++) {
    const c = coordsOf(shape, i);
    const count = published[i] ?? null;
    if (isCell(shape, i)) {
      cells.push({ key: c.map((x, k) => (dims[k] as Dimension).values[x] as string), count });
    } else if (c.every((x, k) => x === shape.sizes[k])) {
      grandTotal = count;
    } else {
      subtotals.push({
        key: c.map((x, k) => (x === shape.sizes[k] ? null : ((dims[k] as Dimension).values[x] as string))),
        count,
      });
    }
  }

  const notes = [
    threshold > 0
      ? `Counts from 1 to ${threshold} are not published (shown as null), in cells and in totals alike.`
      : 'No small-count threshold applies (threshold 0).',
    suppressZeros
      ? 'Zeros are suppressed too, so an empty category cannot be told from a small one.'
      : 'Zeros are published.',
    `${sup.primary} entries are suppressed as small; ${sup.secondary} more are suppressed so that no ` +
      `hidden count can be worked out from the published cells and totals.`,
  ];
  if (roundTo !== null && roundTo > 1) {
    notes.push(
      `Published counts are rounded to the nearest ${roundTo}, each independently, so totals need not ` +
        `equal the sum of the rounded cells.`,
    );
  }
  notes.push(
    'Suppression protects this table on its own. Comparing it with another release over overlapping data ' +
      '(an earlier period, a different grouping) can reveal hidden counts; the policy must limit repeated ' +
      'and overlapping requests.',
  );

  return {
    dimensions: dims,
    threshold,
    roundTo,
    cells,
    margins: { grandTotal, subtotals },
    suppressed: { primary: sup.primary, secondary: sup.secondary },
    notes,
  };
}

/**
 * Rebuild the extended masked table from a release, to run `recoverable` on what was actually
 * published. Meaningful for unrounded releases only (rounded entries do not add up by design).
 */
export function toMaskedTable(release: Pick<AggregateRelease, 'dimensions' | 'cells' | 'margins'>): MaskedTable {
  const shape = makeShape(release.dimensions.map((d) => d.values.length));
  const lookup = release.dimensions.map((d) => new Map(d.values.map((v, i) => [v, i] as const)));
  const values = new Array<number | null | undefined>(shape.length).fill(undefined);
  const place = (key: readonly (string | null)[], count: number | null) => {
    if (key.length !== shape.sizes.length) throw new RangeError('release key has the wrong number of dimensions');
    let i = 0;
    key.forEach((v, k) => {
      const c = v === null ? (shape.sizes[k] as number) : (lookup[k] as Map<string, number>).get(v);
      if (c === undefined)
        throw new RangeError(`release key names an undeclared value of ${(release.dimensions[k] as Dimension).name}`);
      i += c * (shape.strides[k] as number);
    });
    values[i] = count;
  };
  for (const c of release.cells) place(c.key, c.count);
  for (const m of release.margins.subtotals) place(m.key, m.count);
  place(
    shape.sizes.map(() => null),
    release.margins.grandTotal,
  );
  if (values.some((v) => v === undefined)) throw new RangeError('release does not cover every cell and margin');
  return { sizes: shape.sizes, values: values as (number | null)[] };
}
