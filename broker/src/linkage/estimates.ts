/**
 * The run's own estimate of its precision and recall, per pair of sources, from the model alone (no
 * labels), measured on what the run decided (its entities, after clustering and the residual pass):
 *
 *   expected true links   TP = Σ p over record pairs of sources i, j placed in one entity
 *   expected missed links FN = Σ p over candidate pairs of i, j left apart whose records both lack a
 *                              partner of the other's source in their entity
 *   precision = TP / linked pairs,  recall = TP / (TP + FN)
 *
 * p is a pair's posterior of being one person. At one address: the joint matching's marginal there
 * (the residual pass's bipartite prior with the household model's m/h), since a pairwise reading
 * cannot know that a lone record of each source at an address is nearly always one person, nor that
 * one of four co-residents is. Elsewhere: the main model's pairwise posterior. A link the residual
 * pass added: the posterior under that pass. Two records joined through others: the better of their
 * own pair's posterior and the product of each one's best link in the entity. A pair left apart
 * whose record already has a partner of the other source is not counted as missed: a source holds
 * one record per person (but for its few duplicates), so that pair is a co-resident or a namesake.
 * Matches blocking never proposed are invisible to it, as to any model: read recall as an upper bound.
 */
import type { ScoredPairs } from './entities/index.js';
import { matchProbability } from './scoring/index.js';

export interface QualityEstimate {
  /** Record pairs of the two sources placed in one entity. */
  linkedPairs: number;
  /** Of them, expected to be one person (Σ p). */
  expectedTrue: number;
  /** Expected true pairs among the candidates left apart (Σ p). */
  expectedMissed: number;
  precision: number;
  recall: number;
}

export interface PairQualityEstimate extends QualityEstimate {
  /** The two sources (equal: duplicates within one source). */
  sources: [string, string];
}

export interface LinkageEstimates {
  /** Over every pair of different sources. */
  acrossSources: QualityEstimate;
  pairs: PairQualityEstimate[];
}

export interface EstimateInput {
  sourceNames: readonly string[];
  sourceOf: Uint16Array;
  entityOf: Uint32Array;
  /** Candidate pairs kept after scoring (global record numbers) and their posterior log2-odds. */
  scored: { a: Uint32Array; b: Uint32Array; evidence: Float32Array };
  /** Links the residual pass added, weighted by their posterior log2-odds under it. */
  residual: ScoredPairs;
  /** Pairs at one address with their posterior log2-odds under the joint matching there (residual pass). */
  addressPosteriors: ScoredPairs;
}

export function estimateQuality(input: EstimateInput): LinkageEstimates {
  const { sourceOf, entityOf, sourceNames } = input;
  const S = sourceNames.length;
  const n = entityOf.length;
  const cell = (a: number, b: number) => {
    const i = sourceOf[a]!;
    const j = sourceOf[b]!;
    return i <= j ? i * S + j : j * S + i;
  };
  // Which sources each entity holds: a record whose entity already holds a record of the other
  // source has its partner there (a source holds one record per person, but for its few duplicates).
  const holds = new Set<number>();
  for (let g = 0; g < n; g++) holds.add(entityOf[g]! * S + sourceOf[g]!);
  const partnered = (a: number, b: number) => holds.has(entityOf[a]! * S + sourceOf[b]!);
  const missedMass = new Float64Array(S * S);
  const p = new Map<number, number>();
  const key = (a: number, b: number) => (a < b ? a * n + b : b * n + a);
  // At one address, the joint matching's posterior (residual pass) replaces the pairwise reading:
  // it knows that a lone record of each source at an address is far likelier one person than a
  // random pair of co-residents, and that a record has one partner there at most.
  const atAddress = new Map<number, number>();
  const ap = input.addressPosteriors;
  for (let k = 0; k < ap.a.length; k++) atAddress.set(key(ap.a[k]!, ap.b[k]!), matchProbability(ap.weight[k]!));
  const { scored } = input;
  for (let k = 0; k < scored.a.length; k++) {
    const a = scored.a[k]!;
    const b = scored.b[k]!;
    const q = atAddress.get(key(a, b)) ?? matchProbability(scored.evidence[k]!);
    if (entityOf[a] !== entityOf[b]) {
      // Left apart: a true pair missed only if neither record found a partner of the other's source.
      if (!partnered(a, b) && !partnered(b, a)) missedMass[cell(a, b)]! += q;
      continue;
    }
    p.set(key(a, b), Math.max(q, p.get(key(a, b)) ?? 0));
  }
  const { residual } = input;
  for (let k = 0; k < residual.a.length; k++) {
    const a = residual.a[k]!;
    const b = residual.b[k]!;
    if (entityOf[a] !== entityOf[b]) continue;
    p.set(key(a, b), Math.max(matchProbability(residual.weight[k]!), p.get(key(a, b)) ?? 0));
  }
  const best = new Float64Array(n);
  for (const [k, q] of p) {
    const a = Math.floor(k / n);
    const b = k - a * n;
    if (q > best[a]!) best[a] = q;
    if (q > best[b]!) best[b] = q;
  }

  // Every pair of records in one entity: members listed entity by entity (counting sort).
  let entities = 0;
  for (let g = 0; g < n; g++) entities = Math.max(entities, entityOf[g]! + 1);
  const start = new Uint32Array(entities + 1);
  for (let g = 0; g < n; g++) start[entityOf[g]! + 1]!++;
  for (let e = 0; e < entities; e++) start[e + 1]! += start[e]!;
  const fill = start.slice(0, entities);
  const members = new Uint32Array(n);
  for (let g = 0; g < n; g++) members[fill[entityOf[g]!]!++] = g;
  const linked = new Float64Array(S * S);
  const truePairs = new Float64Array(S * S);
  for (let e = 0; e < entities; e++) {
    for (let x = start[e]!; x < start[e + 1]!; x++) {
      const a = members[x]!;
      for (let y = x + 1; y < start[e + 1]!; y++) {
        const b = members[y]!;
        const c = cell(a, b);
        linked[c]!++;
        // Joined through others as well as directly: the better of the two readings.
        truePairs[c]! += Math.max(p.get(key(a, b)) ?? 0, best[a]! * best[b]!);
      }
    }
  }

  const estimate = (l: number, tp: number, missed: number): QualityEstimate => ({
    linkedPairs: l,
    expectedTrue: tp,
    expectedMissed: missed,
    precision: l > 0 ? tp / l : 1,
    recall: tp + missed > 0 ? tp / (tp + missed) : 1,
  });
  const pairs: PairQualityEstimate[] = [];
  const across = { l: 0, tp: 0, missed: 0 };
  for (let i = 0; i < S; i++) {
    for (let j = i; j < S; j++) {
      const c = i * S + j;
      const missed = missedMass[c]!;
      pairs.push({ sources: [sourceNames[i]!, sourceNames[j]!], ...estimate(linked[c]!, truePairs[c]!, missed) });
      if (i === j) continue;
      across.l += linked[c]!;
      across.tp += truePairs[c]!;
      across.missed += missed;
    }
  }
  return { acrossSources: estimate(across.l, across.tp, across.missed), pairs };
}

/** One line for a summary: the estimates across sources. */
export function estimateLine(e: LinkageEstimates): string {
  const a = e.acrossSources;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return (
    'Estimated from the model (no labels), over pairs of records of different sources: ' +
    `precision ${pct(a.precision)}, recall ${pct(a.recall)} (${Math.round(a.linkedPairs)} pairs linked, ` +
    `about ${Math.round(a.linkedPairs - a.expectedTrue)} ` +
    `of them false; about ${Math.round(a.expectedMissed)} true pairs among the candidates left apart). ` +
    'Matches that blocking never proposed are not counted.'
  );
}
