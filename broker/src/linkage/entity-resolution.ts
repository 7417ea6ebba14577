import { apartEvidence, undatedRecords } from './apart.js';
import {
  clusterEntities,
  concatPairs,
  type EntityGraph,
  type ScoredPairs,
  tornPairs,
  withoutPairs,
  withTorn,
} from './entities/index.js';
import type { PreparedSources } from './prepare.js';
import { NEAR_FLOOR, residualLinks, type ResidualResult } from './residual.js';
import type { EngineResult, EngineSource } from './types.js';

/**
 * Scored pairs → entities: greedy constrained clustering of the pairs at or above the threshold (no entity
 * holding two records that direct evidence says are two people: apart.ts; rows torn between two people link to
 * neither: entities/torn.ts), then
 * (Fellegi–Sunter mode) the residual pass over what that left unpartnered, and the clustering again
 * with its links. A full run and an incremental one both end here, with every scored pair.
 */
export function resolveEntities(
  sources: Pick<EngineSource, 'duplicateFree' | 'population'>[],
  prep: PreparedSources,
  pairs: ScoredPairs,
  scoring: Pick<EngineResult['scoring'], 'threshold' | 'model'>,
): { graph: EntityGraph; residual: ResidualResult | null } {
  const populations = sources.map((s) => s.population);
  const apart = apartEvidence(prep, populations);
  const undated = undatedRecords(prep);
  // Rows of one source torn between two people of another link to neither, nor to each other (entities/torn.ts).
  const torn =
    apart && undated && scoring.model
      ? tornPairs({ sourceOf: prep.sourceOf, pairs, threshold: scoring.threshold, undated, apart })
      : null;
  const kept = torn ? withoutPairs(pairs, torn.drop) : pairs;
  const keptApart = apart && torn ? withTorn(apart, torn) : apart;
  const cluster = (p: ScoredPairs) =>
    clusterEntities({
      sourceOf: prep.sourceOf,
      duplicateFree: sources.map((s) => s.duplicateFree),
      populations,
      pairs: p,
      threshold: scoring.threshold,
      ...(keptApart ? { apart: keptApart } : {}),
    });
  const base = cluster(kept);
  if (!scoring.model) return { graph: base, residual: null };
  const residual = residualLinks({ prep, model: scoring.model, pairs, threshold: scoring.threshold, graph: base });
  return { graph: residual.pairs.a.length > 0 ? cluster(concatPairs([kept, residual.pairs])) : base, residual };
}

export const NO_PAIRS: ScoredPairs = { a: new Uint32Array(0), b: new Uint32Array(0), weight: new Float32Array(0) };

/**
 * The lowest weight a pair may have and still matter: to entities (the threshold) and to the residual
 * pass (NEAR_FLOOR). Pairs below it change nothing, so a run keeps only the others.
 */
export function carryFloor(scoring: Pick<EngineResult['scoring'], 'threshold' | 'model'>): number {
  return scoring.model ? Math.min(NEAR_FLOOR, scoring.threshold) : scoring.threshold;
}

/** What the next run carries of this one's scoring: every pair close enough to matter to the residual pass. */
export function pairsToCarry(
  pairs: ScoredPairs,
  scoring: Pick<EngineResult['scoring'], 'threshold' | 'model'>,
): ScoredPairs {
  const floor = carryFloor(scoring);
  let n = 0;
  for (let k = 0; k < pairs.a.length; k++) if (pairs.weight[k]! >= floor) n++;
  const out: ScoredPairs = { a: new Uint32Array(n), b: new Uint32Array(n), weight: new Float32Array(n) };
  for (let k = 0, j = 0; k < pairs.a.length; k++) {
    if (!(pairs.weight[k]! >= floor)) continue;
    out.a[j] = pairs.a[k]!;
    out.b[j] = pairs.b[k]!;
    out.weight[j++] = pairs.weight[k]!;
  }
  return out;
}
