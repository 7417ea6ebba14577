import { makeShape, type Shape } from './shape.js';

/** A grouping attribute with a declared domain, so categories nobody falls into still appear as 0. */
export interface Dimension {
  readonly name: string;
  readonly values: readonly string[];
}

/** One linked entity (or record): its declared attributes by dimension name. Other fields are ignored. */
export type AttributeRow = Readonly<Record<string, unknown>>;

export interface ContingencyTable {
  readonly dimensions: readonly Dimension[];
  readonly shape: Shape;
  /** Counts over the extended array of `shape`: interior cells and every margin. */
  readonly counts: readonly number[];
}

export const MAX_DIMENSIONS = 3;

/** Reject anything but 1–3 named dimensions with non-empty, duplicate-free domains. */
export function validateDimensions(dimensions: readonly Dimension[]): void {
  if (dimensions.length < 1 || dimensions.length > MAX_DIMENSIONS) {
    throw new RangeError(`an aggregate groups by 1 to ${MAX_DIMENSIONS} dimensions, not ${dimensions.length}`);
  }
  const names = new Set<string>();
  for (const d of dimensions) {
    if (typeof d.name !== 'string' || d.name === '') throw new TypeError('every dimension needs a name');
    if (names.has(d.name)) throw new TypeError(`dimension ${d.name} is declared twice`);
    names.add(d.name);
    if (!Array.isArray(d.values) || d.values.length === 0)
      throw new TypeError(`dimension ${d.name} declares no values`);
    if (new Set(d.values).size !== d.values.length) throw new TypeError(`dimension ${d.name} declares a value twice`);
    if (d.values.some((v) => typeof v !== 'string'))
      throw new TypeError(`dimension ${d.name} declares a non-string value`);
  }
}

/**
 * Count rows into the declared categories and fill every margin. A row whose attribute is missing or
 * outside the declared domain is refused rather than dropped: a silent drop would make released
 * totals disagree with the population the policy describes. Errors name the row and dimension, never
 * the value.
 */
export function buildTable(rows: readonly AttributeRow[], dimensions: readonly Dimension[]): ContingencyTable {
  validateDimensions(dimensions);
  const shape = makeShape(dimensions.map((d) => d.values.length));
  const lookup = dimensions.map((d) => new Map(d.values.map((v, i) => [v, i] as const)));
  const counts = new Array<number>(shape.length).fill(0);
  const d = dimensions.length;
  rows.forEach((row, r) => {
    const coords: number[] = [];
    for (let k = 0; k < d; k++) {
      const dim = dimensions[k] as Dimension;
      const v = row[dim.name];
      const at = typeof v === 'string' ? (lookup[k] as Map<string, number>).get(v) : undefined;
      if (at === undefined)
        throw new RangeError(`row ${r}: attribute ${dim.name} is missing or not one of its declared values`);
      coords.push(at);
    }
    // A cell adds to itself and to every margin that totals over any subset of its coordinates.
    for (let mask = 0; mask < 1 << d; mask++) {
      let i = 0;
      for (let k = 0; k < d; k++) {
        const c = mask & (1 << k) ? (shape.sizes[k] as number) : (coords[k] as number);
        i += c * (shape.strides[k] as number);
      }
      counts[i] = (counts[i] as number) + 1;
    }
  });
  return { dimensions: dimensions.map((x) => ({ name: x.name, values: [...x.values] })), shape, counts };
}
