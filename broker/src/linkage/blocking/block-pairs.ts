/**
 * The blocking stage: candidate pairs from the agencies' keyed blocking tokens and from LSH on the
 * encodings, combined into one sorted, duplicate-free list for the Dice kernel.
 */
import type { FilterView } from '../kernel/filter-set.js';
import { interleave, unionPairs } from './candidates.js';
import { lshPairs } from './lsh.js';
import type { LshOptions, LshPlan } from './lsh.js';
import { EMPTY_PAIRS } from './pair-collector.js';
import { tokenBlockPairs } from './token-blocks.js';
import type { RecordTokens, TokenBlockingOptions } from './token-blocks.js';
import type { TouchingMarks } from './touching.js';

export interface BlockingSource {
  /** The records' encodings. */
  clks: FilterView;
  /** Per record, its keyed blocking tokens (16·k bytes), or null; absent = no tokens at all. */
  blocks?: readonly RecordTokens[];
}

export interface BlockingOptions {
  /** Token blocking options, or false to ignore tokens. */
  tokens?: TokenBlockingOptions | false;
  /** LSH options, or false to use tokens only. */
  lsh?: LshOptions | false;
  /**
   * Only the pairs with a marked record: exactly the unrestricted result filtered to them, at the
   * cost of one pass over every record instead of joining them all (incremental runs).
   */
  touching?: TouchingMarks;
}

export interface BlockingStats {
  /** Distinct pairs from tokens, from LSH, and after combining (what `pairs` holds). */
  fromTokens: number;
  fromLsh: number;
  combined: number;
  /** Token blocks (values shared across the sides) and those skipped as too large. */
  tokenBlocks: number;
  skippedBlocks: number;
  skippedBlockPairs: number;
  /** LSH buckets skipped as too large, and the pairs they held. */
  skippedBuckets: number;
  skippedBucketPairs: number;
  /** LSH pairs over all bands before de-duplication. */
  lshRawPairs: number;
  /** Record keys LSH left out because all sampled bits were zero (summed over bands). */
  lshEmptyKeys: number;
  lshBands: number;
  lshRows: number;
}

export interface BlockingResult {
  /** (i, j) interleaved, sorted by i then j, no repeats; within one source i < j. */
  pairs: Uint32Array;
  stats: BlockingStats;
  /** The LSH positions used (to reuse as LshOptions.plan), or null without LSH. */
  lshPlan: LshPlan | null;
}

/**
 * Candidate pairs for A × B, or within A when B is null (de-duplication). Both sources are used
 * when available: tokens only if some record carries them, LSH unless `opts.lsh` is false.
 */
export function blockPairs(A: BlockingSource, B: BlockingSource | null, opts: BlockingOptions = {}): BlockingResult {
  if (A.blocks && A.blocks.length !== A.clks.count)
    throw new RangeError(`A: ${A.blocks.length} token lists for ${A.clks.count} records`);
  if (B?.blocks && B.blocks.length !== B.clks.count)
    throw new RangeError(`B: ${B.blocks.length} token lists for ${B.clks.count} records`);
  if (B && B.clks.bits !== A.clks.bits)
    throw new RangeError(`filter lengths differ: ${A.clks.bits} vs ${B.clks.bits} bits`);

  const useTokens = opts.tokens !== false && A.blocks !== undefined && (B === null || B.blocks !== undefined);
  const tok = useTokens
    ? tokenBlockPairs(A.blocks ?? [], B ? (B.blocks ?? []) : null, {
        ...(opts.tokens || {}),
        ...(opts.touching ? { touching: opts.touching } : {}),
      })
    : { pairs: EMPTY_PAIRS, blocks: 0, skippedBlocks: 0, skippedPairs: 0 };
  const lshOpts: LshOptions =
    opts.lsh === false ? { bands: 0 } : { ...opts.lsh, ...(opts.touching ? { touching: opts.touching } : {}) };
  const lsh = lshPairs(A.clks, B ? B.clks : null, lshOpts);
  const all = unionPairs(tok.pairs, lsh.pairs);
  return {
    pairs: interleave(all),
    stats: {
      fromTokens: tok.pairs.length,
      fromLsh: lsh.pairs.length,
      combined: all.length,
      tokenBlocks: tok.blocks,
      skippedBlocks: tok.skippedBlocks,
      skippedBlockPairs: tok.skippedPairs,
      skippedBuckets: lsh.skippedBuckets,
      skippedBucketPairs: lsh.skippedPairs,
      lshRawPairs: lsh.rawPairs,
      lshEmptyKeys: lsh.emptyKeys,
      lshBands: lsh.positions.length === 0 ? 0 : lsh.positions.length / lsh.rows,
      lshRows: lsh.positions.length === 0 ? 0 : lsh.rows,
    },
    lshPlan: opts.lsh === false ? null : { rows: lsh.rows, positions: lsh.positions },
  };
}
