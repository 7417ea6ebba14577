/** Distinct filters of a field column, as words, with how many records carry each. */
import { filterWords, popcountWords } from './bits.js';

export interface DistinctFilters {
  bits: number;
  /** Filter words per distinct filter. */
  words: Uint32Array[];
  pops: Uint32Array;
  counts: Uint32Array;
  /** Index of each record's distinct filter, or −1 when the record has none. */
  ofRecord: Int32Array;
}

export function distinctFilters(filters: readonly (string | null)[], bits: number): DistinctFilters {
  const index = new Map<string, number>();
  const words: Uint32Array[] = [];
  const counts: number[] = [];
  const ofRecord = new Int32Array(filters.length).fill(-1);
  filters.forEach((f, r) => {
    if (f === null) return;
    let d = index.get(f);
    if (d === undefined) {
      d = words.length;
      index.set(f, d);
      words.push(filterWords(f, bits));
      counts.push(0);
    }
    counts[d]!++;
    ofRecord[r] = d;
  });
  return { bits, words, pops: Uint32Array.from(words, popcountWords), counts: Uint32Array.from(counts), ofRecord };
}

/** Per-record guesses from per-distinct-filter guesses. */
export function spread<T>(d: DistinctFilters, perDistinct: readonly T[], none: T): T[] {
  return Array.from(d.ofRecord, (i) => (i < 0 ? none : perDistinct[i]!));
}
