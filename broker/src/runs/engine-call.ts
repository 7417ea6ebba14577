/**
 * What a run's jobs ask of the engine, as data that crosses to a worker thread by structured clone:
 * a whole link (incremental runs, and the offline path), or one job of a full run — a partition, the
 * sample, the fit, a partition's pairs weighed, the finish. Pure: the dispatch runs inline or in the
 * thread alike.
 */
import {
  fitRun,
  link,
  linkPartition,
  linkScored,
  scoreChunk,
  scoringSample,
  type Compatible,
  type FittedScoring,
  type Partition,
  type PartitionResult,
  type ScoredChunk,
  type ScoringSample,
} from '../linkage/engine.js';
import { linkIncremental, type IncrementalStats, type PreviousRun } from '../linkage/engine-incremental.js';
import { prepareSources } from '../linkage/prepare.js';
import type { EngineOptions, EngineProgress, EngineResult, EngineSource } from '../linkage/types.js';

/** What the engine is given for a whole link; the same for an inline call and a worker thread. */
export interface EngineInput {
  sources: EngineSource[];
  previous: PreviousRun | null;
  opts: Omit<EngineOptions, 'onProgress'>;
}
export type EngineOutput = EngineResult & { incremental?: IncrementalStats };

export type EngineCall =
  | { kind: 'link'; input: EngineInput }
  /** `sources`: the partition's one or two sources only; `fields`: the whole run's comparable fields. */
  | {
      kind: 'partition';
      input: { sources: EngineSource[]; part: Partition; fields: Compatible; opts: EngineInput['opts'] };
    }
  /** Every source: what the fit draws from the sources themselves. */
  | { kind: 'sample'; input: { sources: EngineSource[]; fields: Compatible; opts: EngineInput['opts'] } }
  /** Every partition's result in plan order, and the sample. */
  | {
      kind: 'fit';
      input: { parts: PartitionResult[]; sample: ScoringSample; fields: Compatible; opts: EngineInput['opts'] };
    }
  /** One partition's pairs, weighed with the run's fit. */
  | { kind: 'score'; input: { fit: FittedScoring; part: PartitionResult } }
  /** Every source, every partition's blocking (in plan order) and weighed pairs, and the fit. */
  | {
      kind: 'finish';
      input: {
        sources: EngineSource[];
        parts: Pick<PartitionResult, 'stats' | 'plan' | 'seconds'>[];
        chunks: ScoredChunk[];
        fit: FittedScoring;
        /** Seconds the sample, fit and weighing took in their jobs. */
        seconds: Record<string, number>;
        opts: EngineInput['opts'];
      };
    };

export type EngineCallResult<C extends EngineCall> = C extends { kind: 'partition' }
  ? PartitionResult
  : C extends { kind: 'sample' }
    ? ScoringSample
    : C extends { kind: 'fit' }
      ? FittedScoring
      : C extends { kind: 'score' }
        ? ScoredChunk
        : EngineOutput;

/** Runs an engine call: inline (tests, benches) or in a worker thread (jobs/engine-thread.ts). */
export type EngineCallRunner = <C extends EngineCall>(
  call: C,
  onProgress: (p: EngineProgress) => void,
) => Promise<EngineCallResult<C>>;

/** What the fit knows of the run's fields: those every source shares (none when linking CLKs only). */
function fitBasis(fields: Compatible, opts: { clkOnly?: boolean }) {
  const compatible = opts.clkOnly ? { names: [], personal: new Set<string>() } : fields;
  return { compatible, fieldNames: compatible.names, clkMode: compatible.names.length < 2 };
}

export function callEngine(
  call: EngineCall,
  onProgress: (p: EngineProgress) => void,
): PartitionResult | ScoringSample | FittedScoring | ScoredChunk | EngineOutput {
  switch (call.kind) {
    case 'link': {
      const { sources, previous, opts } = call.input;
      return previous
        ? linkIncremental(sources, previous, { ...opts, onProgress })
        : link(sources, { ...opts, onProgress });
    }
    case 'partition': {
      const { sources, part, fields, opts } = call.input;
      return linkPartition(sources, part, fields, opts);
    }
    case 'sample': {
      const { sources, fields, opts } = call.input;
      return scoringSample(sources, prepareSources(sources, opts, fields));
    }
    case 'fit': {
      const { parts, sample, fields, opts } = call.input;
      return fitRun(fitBasis(fields, opts), parts, sample, opts);
    }
    case 'score':
      return scoreChunk(call.input.fit, call.input.part);
    case 'finish': {
      const { sources, parts, chunks, fit, seconds, opts } = call.input;
      const started = performance.now();
      const prep = prepareSources(sources, opts);
      const prepared = (performance.now() - started) / 1000;
      return linkScored(sources, prep, parts, chunks, fit, { ...opts, onProgress }, { ...seconds, prepare: prepared });
    }
  }
}

export const inlineCall: EngineCallRunner = async (call, onProgress) =>
  callEngine(call, onProgress) as EngineCallResult<typeof call>;
