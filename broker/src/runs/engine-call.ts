/**
 * What a run's jobs ask of the engine, as data that crosses to a worker thread by structured clone:
 * a whole link (incremental runs, and the offline path), one partition of a full run, or a full run's
 * finish from its partitions' results. Pure: the dispatch runs inline or in the thread alike.
 */
import {
  link,
  linkFinish,
  linkPartition,
  type Compatible,
  type Partition,
  type PartitionResult,
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
  /** Every source, and every partition's result in plan order. */
  | { kind: 'finish'; input: { sources: EngineSource[]; parts: PartitionResult[]; opts: EngineInput['opts'] } };

export type EngineCallResult<C extends EngineCall> = C extends { kind: 'partition' } ? PartitionResult : EngineOutput;

/** Runs an engine call: inline (tests, benches) or in a worker thread (jobs/engine-thread.ts). */
export type EngineCallRunner = <C extends EngineCall>(
  call: C,
  onProgress: (p: EngineProgress) => void,
) => Promise<EngineCallResult<C>>;

export function callEngine(call: EngineCall, onProgress: (p: EngineProgress) => void): PartitionResult | EngineOutput {
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
    case 'finish': {
      const { sources, parts, opts } = call.input;
      const started = performance.now();
      const prep = prepareSources(sources, opts);
      return linkFinish(sources, prep, parts, { ...opts, onProgress }, (performance.now() - started) / 1000);
    }
  }
}

export const inlineCall: EngineCallRunner = async (call, onProgress) =>
  callEngine(call, onProgress) as EngineCallResult<typeof call>;
