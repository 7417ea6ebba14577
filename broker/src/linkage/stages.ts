/**
 * What the engine reports of its stages, for a full run and an incremental one alike: the seconds
 * each took, the progress callback as each starts, and the counts a result carries.
 */
import type { EntityGraph } from './entities/index.js';
import type { EngineOptions, EngineProgress, EngineResult } from './types.js';

/**
 * Seconds per stage, timed as the stages run; `total` since the clock started. `carried`: stages
 * timed elsewhere (a run's jobs that blocked pairs of sources), counted in the total too.
 */
export class StageClock {
  readonly seconds: Record<string, number>;
  private readonly started = performance.now();
  private readonly carriedTotal: number;

  constructor(carried: Record<string, number> = {}) {
    this.seconds = { ...carried };
    this.carriedTotal = Object.values(carried).reduce((a, b) => a + b, 0);
  }

  time<T>(stage: string, run: () => T): T {
    const since = performance.now();
    const out = run();
    this.seconds[stage] = (performance.now() - since) / 1000;
    return out;
  }

  finish(): Record<string, number> {
    this.seconds.total = this.carriedTotal + (performance.now() - this.started) / 1000;
    return this.seconds;
  }
}

/** The progress callback, told each stage with the counts known when it starts. */
export function stageProgress(records: number, onProgress: EngineOptions['onProgress']) {
  const tell = onProgress ?? (() => {});
  const scored = (candidatePairs: number): EngineProgress => ({
    stage: 'entities',
    records,
    candidatePairs,
    pairsScored: candidatePairs,
  });
  return {
    blocking: () => tell({ stage: 'blocking', records }),
    scoring: (candidatePairs: number) => tell({ stage: 'scoring', records, candidatePairs }),
    entities: (candidatePairs: number) => tell(scored(candidatePairs)),
    households: (candidatePairs: number, entities: number) =>
      tell({ ...scored(candidatePairs), stage: 'households', entities }),
    done: (candidatePairs: number, entities: number) => tell({ ...scored(candidatePairs), stage: 'done', entities }),
  };
}

/** A result's counts. */
export function engineStats(r: {
  records: number;
  candidatePairs: number;
  blocking: EngineResult['stats']['blocking'];
  graph: Pick<EntityGraph, 'pairs' | 'entities' | 'stats'>;
  households: number;
  seconds: Record<string, number>;
}): EngineResult['stats'] {
  return {
    records: r.records,
    candidatePairs: r.candidatePairs,
    blocking: r.blocking,
    linksAccepted: r.graph.pairs.a.length,
    entities: r.graph.entities.count,
    households: r.households,
    refusedByConstraint: r.graph.stats.refused,
    seconds: r.seconds,
  };
}
