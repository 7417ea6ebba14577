/**
 * One person per record: what knowing that a record has at most one partner in another source adds
 * to pairwise evidence. Pure maths, no I/O.
 *
 * Pairwise Fellegi–Sunter weighs each pair against two random people. Among a handful of records
 * that pairwise linkage left without a partner, a different question is the right one: *which* of
 * them (if any) is this record's partner? A council-tax row "Joan Hughes" (no date of birth; Joan is
 * her middle name) and a GP record "Sarah Hughes" at an address where nobody else of either source
 * lives are, pairwise, two people of one household (their given names differ). Jointly they are
 * almost surely one person: a liable adult is registered with a GP at her own address 97 times in
 * 100, and nobody else there could be her record.
 *
 * The model is the bipartite matching prior of Sadinle (2017, "Bayesian estimation of bipartite
 * matchings for record linkage", JASA) with a fixed coverage ρ: each record of the smaller side is
 * matched with probability ρ, to a partner drawn uniformly from the larger side without replacement:
 *
 *   P(M) = ρ^k (1 − ρ)^(n1 − k) · (n2 − k)! / n2!        for a partial matching M of k pairs,
 *
 * and each matched pair multiplies the likelihood by its Bayes factor (one person against two). The
 * marginal posterior of a pair sums over all matchings that hold it. For one row and one column it
 * reduces to ρ·BF / (ρ·BF + 1 − ρ); with two candidates of equal evidence (a father and son of one
 * name) neither reaches one half, as it should.
 */

/** Partial matchings enumerated at most; a larger group falls back to independent pairs. */
export const MAX_MATCHINGS = 200_000;

/** Number of partial matchings between n1 ≤ n2 records: Σ_k C(n1, k) · n2! / (n2 − k)!. */
export function matchingCount(n1: number, n2: number): number {
  if (n1 > n2) return matchingCount(n2, n1);
  let total = 0;
  let choose = 1; // C(n1, k)
  let falling = 1; // n2! / (n2 − k)!
  for (let k = 0; k <= n1; k++) {
    total += choose * falling;
    choose = (choose * (n1 - k)) / (k + 1);
    falling *= n2 - k;
  }
  return total;
}

/** Bayes factors beyond ±2^60 change nothing a probability can show, and would overflow a product. */
const MAX_LOG2_BF = 60;

/**
 * What a group's posteriors need of its Bayes factors, whatever ρ: per number of pairs k, the sum
 * over partial matchings of k pairs of their Bayes-factor products, in total and per pair (linear,
 * scaled by 2^-scale). The prior depends on a matching only through k, so one enumeration serves
 * every ρ (EM re-weighs the profile instead of enumerating again). Null when the group is too large.
 */
export interface MatchingProfile {
  rows: number;
  cols: number;
  /** Pairs a matching can hold: min(rows, cols). */
  maxPairs: number;
  scale: number;
  /** Per k. */
  total: Float64Array;
  /** Per pair (row-major) and k: pair · (maxPairs + 1) + k. */
  byPair: Float64Array;
}

export function matchingProfile(log2Bf: ArrayLike<number>, rows: number, cols: number): MatchingProfile | null {
  if (log2Bf.length !== rows * cols) throw new RangeError(`${log2Bf.length} Bayes factors for ${rows} × ${cols} pairs`);
  if (Math.max(rows, cols) > 31 || matchingCount(rows, cols) > MAX_MATCHINGS) return null;
  const clamp = (x: number) => (x > MAX_LOG2_BF ? MAX_LOG2_BF : Math.max(x, -MAX_LOG2_BF));
  // Enumerate over the smaller side, the other as a bitmask of used records.
  const transposed = rows > cols;
  const n1 = transposed ? cols : rows;
  const n2 = transposed ? rows : cols;
  const pairIndex = (i: number, j: number) => (transposed ? j * cols + i : i * cols + j);
  let scale = 0;
  for (let i = 0; i < n1; i++) {
    let top = 0;
    for (let j = 0; j < n2; j++) top = Math.max(top, clamp(log2Bf[pairIndex(i, j)] as number));
    scale += top;
  }
  const K = n1 + 1;
  const total = new Float64Array(K);
  const byPair = new Float64Array(rows * cols * K);
  const chosen = new Int32Array(n1).fill(-1);
  const step = (i: number, used: number, k: number, logBf: number): void => {
    if (i === n1) {
      const w = 2 ** (logBf - scale);
      total[k]! += w;
      for (let r = 0; r < n1; r++) if (chosen[r]! >= 0) byPair[pairIndex(r, chosen[r]!) * K + k]! += w;
      return;
    }
    chosen[i] = -1;
    step(i + 1, used, k, logBf);
    for (let j = 0; j < n2; j++) {
      if (used & (1 << j)) continue;
      chosen[i] = j;
      step(i + 1, used | (1 << j), k + 1, logBf + clamp(log2Bf[pairIndex(i, j)] as number));
    }
    chosen[i] = -1;
  };
  step(0, 0, 0, 0);
  return { rows, cols, maxPairs: n1, scale, total, byPair };
}

/** Prior weight of a matching with k pairs (see the module comment), per k, relative to k = 0. */
function priorByK(maxPairs: number, larger: number, rho: number): Float64Array {
  const out = new Float64Array(maxPairs + 1);
  // ρ^k (1−ρ)^(n1−k) (n2−k)!/n2!, divided by its k = 0 value (1−ρ)^n1: (ρ/(1−ρ))^k (n2−k)!/n2!.
  let v = 1;
  for (let k = 0; k <= maxPairs; k++) {
    out[k] = v;
    v *= rho / (1 - rho) / (larger - k);
  }
  return out;
}

/** Marginal posterior of every pair of the profile's group under coverage ρ. */
export function profileMarginals(profile: MatchingProfile, rho: number): Float64Array {
  checkRho(rho);
  const { rows, cols, maxPairs, total, byPair } = profile;
  const prior = priorByK(maxPairs, Math.max(rows, cols), rho);
  const K = maxPairs + 1;
  let z = 0;
  for (let k = 0; k < K; k++) z += prior[k]! * total[k]!;
  const out = new Float64Array(rows * cols);
  for (let p = 0; p < out.length; p++) {
    let s = 0;
    for (let k = 1; k < K; k++) s += prior[k]! * byPair[p * K + k]!;
    out[p] = s / z;
  }
  return out;
}

/** Expected number of pairs matched in the profile's group under coverage ρ (what EM needs). */
export function expectedMatches(profile: MatchingProfile, rho: number): number {
  checkRho(rho);
  const prior = priorByK(profile.maxPairs, Math.max(profile.rows, profile.cols), rho);
  let z = 0;
  let e = 0;
  for (let k = 0; k < prior.length; k++) {
    z += prior[k]! * profile.total[k]!;
    e += k * prior[k]! * profile.total[k]!;
  }
  return e / z;
}

function checkRho(rho: number): void {
  if (!(rho > 0 && rho < 1)) throw new RangeError(`coverage ρ must lie strictly between 0 and 1, not ${rho}`);
}

/**
 * Marginal posterior probability of each pair (rows × cols, row-major) under the bipartite prior
 * with coverage `rho`, given each pair's log2 Bayes factor. Exact when the group has at most
 * MAX_MATCHINGS partial matchings (and at most 31 records a side); otherwise each pair is judged
 * alone with prior ρ / max(rows, cols).
 */
export function matchMarginals(log2Bf: ArrayLike<number>, rows: number, cols: number, rho: number): Float64Array {
  checkRho(rho);
  const profile = matchingProfile(log2Bf, rows, cols);
  if (profile) return profileMarginals(profile, rho);
  return pairwiseMarginals(log2Bf, rows, cols, rho);
}

/** The fallback for a group too large to enumerate: each pair alone, prior ρ / max(rows, cols). */
export function pairwiseMarginals(log2Bf: ArrayLike<number>, rows: number, cols: number, rho: number): Float64Array {
  const lambda = rho / Math.max(rows, cols);
  const prior = Math.log2(lambda) - Math.log2(1 - lambda);
  return Float64Array.from({ length: rows * cols }, (_, p) => 1 / (1 + 2 ** -(prior + (log2Bf[p] as number))));
}
