import { xorshift32 } from '../prng.js';
import type { FieldColumn } from './scoring/field-column.js';
import { fieldDice } from './scoring/field-dice.js';
import type { EngineSource } from './types.js';

/**
 * Field similarities of random record pairs, almost all non-matches: across every two sources, and
 * inside each source too, so that a field only one source holds (an NHS number, compared when
 * de-duplicating that source) has a u.
 */
export function randomPairSimilarities(
  sources: EngineSource[],
  fieldSets: (FieldColumn | null)[][],
  F: number,
  count: number,
  seed: number,
): Float32Array {
  const word = xorshift32(seed);
  const rnd = (n: number) => word() % n;
  const pairsOf = new Map<string, number[]>();
  const order: [number, number][] = [];
  for (let i = 0; i < sources.length; i++)
    for (let j = i; j < sources.length; j++) if (i !== j || sources[i]!.tokens.length > 1) order.push([i, j]);
  if (order.length === 0 || sources.some((s) => s.tokens.length === 0)) return new Float32Array(0);
  for (let k = 0; k < count; k++) {
    const [i, j] = order[k % order.length]!;
    const list = pairsOf.get(`${i},${j}`) ?? [];
    const a = rnd(sources[i]!.tokens.length);
    let b = rnd(sources[j]!.tokens.length);
    if (i === j && a === b) b = (b + 1) % sources[j]!.tokens.length; // a record is not a random pair with itself
    list.push(a, b);
    pairsOf.set(`${i},${j}`, list);
  }
  const out = new Float32Array(count * F);
  let at = 0;
  for (const [key, list] of pairsOf) {
    const [i, j] = key.split(',').map(Number) as [number, number];
    const pairs = Uint32Array.from(list);
    const n = pairs.length / 2;
    for (let f = 0; f < F; f++) {
      const fa = fieldSets[i]![f];
      const fb = fieldSets[j]![f];
      const d = fa && fb ? fieldDice(fa, fb, pairs) : null;
      for (let k = 0; k < n; k++) {
        const present = fa && fb && fa.present[pairs[2 * k]!] && fb.present[pairs[2 * k + 1]!];
        out[(at + k) * F + f] = present && d ? d[k]! : NaN;
      }
    }
    at += n;
  }
  return out.subarray(0, at * F);
}
