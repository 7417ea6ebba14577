/**
 * Guards against the one correlation Fellegi–Sunter handles worst: people who share a household.
 * A parent and child agree on surname, address and postcode, so the independent-fields model adds
 * up that shared evidence and links them. The personal fields (declared by the encoder: given name,
 * date of birth, NHS number, other personal identifiers) tell them apart.
 *
 * The veto is used only where it is needed: when the sources hold co-residents at all. A benchmark
 * like FEBRL has one person per address, and there the veto only throws away true matches whose
 * personal fields were mistyped. Pure functions over typed arrays.
 */
import type { FilterSet } from '../kernel/index.js';
import { similarityLevels } from './comparison.js';
import type { ScoringModel } from './model.js';

/** One field's filters in one source, with a presence flag per record. */
export interface FieldColumn {
  set: FilterSet;
  present: Uint8Array;
}

/** Co-residents in at least this share of records turn the veto on. */
export const CO_RESIDENT_SHARE = 0.005;

/**
 * Share of records that agree on every shared (non-personal) field with a record of their own
 * source holding different personal fields: two people at one address with one surname. A record
 * duplicated within a source agrees on its personal fields too and does not count.
 */
export function coResidentShare(columns: readonly (readonly (FieldColumn | null)[])[], fieldNames: readonly string[], personal: ReadonlySet<string>): number {
  const shared = fieldNames.map((f, i) => (personal.has(f) ? -1 : i)).filter((i) => i >= 0);
  const own = fieldNames.map((f, i) => (personal.has(f) ? i : -1)).filter((i) => i >= 0);
  if (shared.length === 0 || own.length === 0) return 0;
  let records = 0;
  let coResident = 0;
  for (const source of columns) {
    const n = source.find((c) => c !== null)?.present.length ?? 0;
    records += n;
    const firstPersonal = new Map<string, string>();
    const mixed = new Set<string>();
    const keyOf = (fields: number[], r: number): string | null => {
      let key = '';
      let any = false;
      for (const f of fields) {
        const c = source[f];
        if (c && c.present[r]) {
          key += `${f}:${Buffer.from(c.set.get(r)).toString('latin1')}|`;
          any = true;
        } else key += `${f}:-|`;
      }
      return any ? key : null;
    };
    const keys: (string | null)[] = new Array(n);
    for (let r = 0; r < n; r++) {
      const k = keyOf(shared, r);
      keys[r] = k;
      if (k === null) continue;
      const p = keyOf(own, r) ?? '';
      const seen = firstPersonal.get(k);
      if (seen === undefined) firstPersonal.set(k, p);
      else if (seen !== p) mixed.add(k);
    }
    for (let r = 0; r < n; r++) if (keys[r] !== null && mixed.has(keys[r]!)) coResident++;
  }
  return records === 0 ? 0 : coResident / records;
}

/**
 * Lowers below the threshold the weight of every pair at or above it whose personal fields together
 * weigh against a match. Returns how many pairs it vetoed.
 */
export function vetoOtherPeople(model: ScoringModel, sims: Float32Array, weight: Float32Array, threshold: number, personal: ReadonlySet<string>): number {
  const F = model.fields.length;
  let vetoed = 0;
  const person = model.fields.map((f, i) => (personal.has(f.field) ? i : -1)).filter((i) => i >= 0);
  if (person.length === 0) return 0;
  const levels = similarityLevels(sims, model.fields);
  for (let k = 0; k < weight.length; k++) {
    if (weight[k]! < threshold) continue;
    let evidence = 0;
    for (const f of person) evidence += model.weights[f]![levels[k * F + f]!]!;
    if (evidence < 0) {
      weight[k] = Math.fround(threshold) - 1;
      vetoed++;
    }
  }
  return vetoed;
}
