/**
 * The one correlation Fellegi–Sunter handles worst: people who share a household. A parent and
 * child agree on surname, address and postcode; the main model weighs each agreement against two
 * *random* people and adds them up, so the pair looks like one person. What matters at one address
 * is a different question: one person in two records, or two people of one household? A second
 * model answers it, fitted on the candidate pairs at one address: a two-class mixture whose classes
 * are "one person" and "co-residents", with the co-residents' level probabilities h estimated by EM
 * there (u is no use: co-residents share a surname far more often than random people). A pair at
 * one address links only if, with m from the main model and h from this one, one person is the
 * likelier reading. Twins and a parent and child of one name remain hard, as they are for people.
 *
 * The test runs only where it is needed: when the sources hold co-residents at all. A benchmark like
 * FEBRL has one person per address, and there it would only throw away true matches whose personal
 * fields were mistyped. Pure functions over typed arrays.
 */
import type { SimilarityMatrix } from './comparison.js';
import { levelCount, pairCount, similarityLevels } from './comparison.js';
import { priorOverAllPairs } from './em.js';
import type { FieldColumn } from './field-column.js';
import { fitModel, modelFromParameters } from './model.js';
import type { HouseholdModel, ScoringModel } from './model.js';
import { levelWeights, matchProbability, priorWeight, scoreSimilarities } from './weights.js';

/** Co-residents in at least this share of records turn the household test on. */
export const CO_RESIDENT_SHARE = 0.005;

/**
 * Share of records that agree on every shared (non-personal) field with a record of their own
 * source holding different personal fields: two people at one address with one surname. A record
 * duplicated within a source agrees on its personal fields too and does not count.
 */
export function coResidentShare(
  columns: readonly (readonly (FieldColumn | null)[])[],
  fieldNames: readonly string[],
  personal: ReadonlySet<string>,
): number {
  // Equality is what this counts, and flipped filters of one value are not equal: leave them out.
  const flipped = (i: number) => columns.some((source) => (source[i]?.flip ?? 0) > 0);
  const shared = fieldNames.map((f, i) => (personal.has(f) || flipped(i) ? -1 : i)).filter((i) => i >= 0);
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
        if (c?.present[r]) {
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

/** Per pair: 1 when every address field is present and at its top level. */
export function atOneAddress(
  model: ScoringModel,
  sims: SimilarityMatrix,
  addressFields: readonly number[],
): Uint8Array {
  const F = model.fields.length;
  const n = pairCount(sims, F);
  const levels = similarityLevels(sims, model.fields);
  const out = new Uint8Array(n);
  const top = model.fields.map((c) => levelCount(c) - 1);
  for (let p = 0; p < n; p++) {
    let all = addressFields.length > 0 ? 1 : 0;
    for (const f of addressFields) if (levels[p * F + f] !== top[f]) all = 0;
    out[p] = all;
  }
  return out;
}

/** Fits the co-resident model on the candidate pairs at one address; null with too few of them. */
export function fitHouseholdModel(
  model: ScoringModel,
  sims: SimilarityMatrix,
  addressFieldNames: readonly string[],
  minPairs = 100,
): HouseholdModel | null {
  const F = model.fields.length;
  const names = model.fields.map((c) => c.field);
  const address = addressFieldNames.map((a) => names.indexOf(a)).filter((i) => i >= 0);
  if (address.length === 0) return null;
  const here = atOneAddress(model, sims, address);
  let count = 0;
  for (let p = 0; p < here.length; p++) count += here[p]!;
  if (count < minPairs) return null;
  // The address fields selected these pairs: left out (missing) so they carry no weight here.
  const sub = new Float32Array(count * F);
  for (let p = 0, r = 0; p < here.length; p++) {
    if (!here[p]) continue;
    for (let f = 0; f < F; f++) sub[r * F + f] = address.includes(f) ? NaN : (sims[p * F + f] as number);
    r++;
  }
  const cutPoints = Object.fromEntries(model.fields.map((c) => [c.field, c.cutPoints]));
  const fit = fitModel(sub, names, { cutPoints });
  // m from the main model (anchored, so not blurred by co-residents); h is the fit's second class.
  const h = fit.u.map((row, f) => (address.includes(f) ? row.map(() => 1) : row));
  const m = model.m.map((row, f) => (address.includes(f) ? row.map(() => 1) : row));
  return {
    addressFields: address.map((f) => names[f]!),
    pairs: count,
    lambda: fit.lambda,
    priorWeight: priorWeight(fit.lambda),
    h,
    weights: levelWeights({ lambda: fit.lambda, m, u: h }),
  };
}

/**
 * The main model with its household test attached, and its prior λ counted again without the
 * co-residents: at one address, a pair is one person only as far as the household model says so.
 * (Pairs that share an address, a postcode and a surname would otherwise count as matches and
 * inflate λ.) Returns the model unchanged when no household model can be fitted.
 */
export function withHouseholdTest(
  model: ScoringModel,
  sims: SimilarityMatrix,
  addressFieldNames: readonly string[],
): ScoringModel {
  const household = fitHouseholdModel(model, sims, addressFieldNames);
  if (!household) return model;
  const names = model.fields.map((c) => c.field);
  const address = household.addressFields.map((a) => names.indexOf(a));
  const { patterns, counts, fieldCount: F } = model.patterns;
  const eligible = new Float64Array(counts.length);
  for (let j = 0; j < counts.length; j++) {
    let here = true;
    for (const f of address) if (patterns[j * F + f] !== levelCount(model.fields[f]!) - 1) here = false;
    if (!here) {
      eligible[j] = 1;
      continue;
    }
    let w = household.priorWeight;
    for (let f = 0; f < F; f++) w += household.weights[f]![patterns[j * F + f]!]!;
    eligible[j] = matchProbability(w);
  }
  const training = model.training;
  if (training.priorPairs === undefined) return { ...model, household };
  const prior = priorOverAllPairs(model.patterns, model, training.priorPairs, { eligible });
  return {
    ...modelFromParameters(model.fields, { lambda: prior.lambda, m: model.m, u: model.u }, model.patterns, training),
    household,
  };
}

/**
 * Per pair: whether it is at one address, and its household-model reading there (log2-odds of one
 * person against two co-residents; meaningful only where `here` is 1).
 */
export function householdReading(
  model: ScoringModel,
  household: HouseholdModel,
  sims: SimilarityMatrix,
): { here: Uint8Array; reading: Float32Array } {
  const names = model.fields.map((c) => c.field);
  const here = atOneAddress(
    model,
    sims,
    household.addressFields.map((a) => names.indexOf(a)),
  );
  const reading = scoreSimilarities(model.fields, household.weights, household.priorWeight, sims).weight;
  return { here, reading };
}

/**
 * Sets to −∞ every pair at or above the threshold, at one address, that the co-resident model reads
 * as two people of one household: they are two people, not a weak candidate for one (the residual
 * pass weighs pairs at one address with the household model itself). Returns how many it set.
 * `read`: the reading, when the caller has it already.
 */
export function householdVeto(
  model: ScoringModel,
  household: HouseholdModel,
  sims: SimilarityMatrix,
  weight: Float32Array,
  threshold: number,
  read: { here: Uint8Array; reading: Float32Array } = householdReading(model, household, sims),
): number {
  const { here, reading } = read;
  let vetoed = 0;
  for (let p = 0; p < weight.length; p++) {
    if (weight[p]! >= threshold && here[p] && reading[p]! < 0) {
      weight[p] = -Infinity;
      vetoed++;
    }
  }
  return vetoed;
}
