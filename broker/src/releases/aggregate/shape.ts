/**
 * Geometry of a contingency table extended with its margins. Dimension k has sizes[k] categories and
 * one extra "total" slot at index sizes[k], so every cell, subtotal and the grand total is one entry
 * of a single (sizes[0]+1) × … array. Treating margins as ordinary entries lets suppression and the
 * recovery check handle cells and margins by one rule: along any dimension, the categories of a line
 * sum to its total slot.
 */
export interface Shape {
  /** Categories per dimension (excluding the total slot). */
  readonly sizes: readonly number[];
  /** Row-major strides over the extended array (last dimension fastest). */
  readonly strides: readonly number[];
  /** Number of entries in the extended array. */
  readonly length: number;
}

/** One additive relation: entries `members` (categories along `dim`) sum to entry `total`. */
export interface Line {
  readonly dim: number;
  readonly members: readonly number[];
  readonly total: number;
}

export function makeShape(sizes: readonly number[]): Shape {
  const strides = new Array<number>(sizes.length).fill(0);
  let length = 1;
  for (let k = sizes.length - 1; k >= 0; k--) {
    strides[k] = length;
    length *= (sizes[k] as number) + 1;
  }
  return { sizes: [...sizes], strides, length };
}

/** Coordinates of entry i; coordinate sizes[k] means "total over dimension k". */
export function coordsOf(shape: Shape, i: number): number[] {
  return shape.strides.map((s, k) => Math.floor(i / s) % ((shape.sizes[k] as number) + 1));
}

export function indexOf(shape: Shape, coords: readonly number[]): number {
  let i = 0;
  for (let k = 0; k < shape.sizes.length; k++) i += (coords[k] as number) * (shape.strides[k] as number);
  return i;
}

/** True for interior cells (no coordinate is a total slot). */
export function isCell(shape: Shape, i: number): boolean {
  return coordsOf(shape, i).every((c, k) => c < (shape.sizes[k] as number));
}

/** Every line of the extended table, all dimensions. */
export function linesOf(shape: Shape): Line[] {
  const out: Line[] = [];
  for (let k = 0; k < shape.sizes.length; k++) {
    const n = shape.sizes[k] as number;
    const s = shape.strides[k] as number;
    for (let i = 0; i < shape.length; i++) {
      if (Math.floor(i / s) % (n + 1) !== n) continue;
      const base = i - n * s;
      const members: number[] = [];
      for (let j = 0; j < n; j++) members.push(base + j * s);
      out.push({ dim: k, members, total: i });
    }
  }
  return out;
}

/** For each entry, the lines it takes part in (as member or as total). */
export function linesThrough(shape: Shape, lines: readonly Line[]): number[][] {
  const by: number[][] = Array.from({ length: shape.length }, () => []);
  lines.forEach((l, li) => {
    for (const m of l.members) (by[m] as number[]).push(li);
    (by[l.total] as number[]).push(li);
  });
  return by;
}
