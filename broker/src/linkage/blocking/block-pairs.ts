/**
 * The blocking stage: candidate pairs from the agencies' keyed blocking tokens and from LSH on the
 * encodings, combined into one sorted, duplicate-free list for the Dice kernel.
 */
import { candidatesAbove } from '../kernel/candidates.js';
import type { FilterView } from '../kernel/filter-set.js';
import { interleave, pairListOf, unionPairs } from './candidates.js';
import { lshPairs } from './lsh.js';
import type { LshOptions, LshPlan } from './lsh.js';
import { EMPTY_PAIRS } from './pair-collector.js';
import type { PairList } from './pair-collector.js';
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
  /**
   * The record-level Dice a pair must reach when only weak evidence proposes it: LSH (agreement on
   * sampled bits, shared zeros included) or a token block with more than `largeBlockSize` records on
   * a side (a value many records share, such as a postcode sector and sex, whose pairs grow with the
   * square of the sources' size). Pairs of smaller token blocks go on whatever their Dice. Decided
   * pair by pair, so the same in any partition and under `touching`. `covered`: the caller adds every
   * pair at or above `minDice` itself (the exact pass), so whatever LSH and the large blocks would
   * keep is there already: their bands are not joined nor their pairs compared (LSH's plan is still
   * drawn), and the result is the same.
   */
  diceFloor?: { minDice: number; largeBlockSize: number; covered?: boolean };
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
  /** Large token blocks (see `diceFloor`), their distinct pairs, and those that reached its Dice. */
  largeBlocks: number;
  largeBlockPairs: number;
  largeBlockKept: number;
  /** LSH pairs that reached the `diceFloor` Dice (`fromLsh` counts them all). */
  lshKept: number;
  /**
   * True when the exact pass covered the floor (`diceFloor.covered`): LSH's bands were not joined and
   * large blocks' pairs not compared, so `fromLsh`, `lshKept`, `lshRawPairs`, `skippedBuckets`,
   * `skippedBucketPairs`, `lshEmptyKeys` and `largeBlockKept` are 0.
   */
  floorCovered?: boolean;
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
        ...(opts.diceFloor ? { largeBlockSize: opts.diceFloor.largeBlockSize } : {}),
        ...(opts.touching ? { touching: opts.touching } : {}),
      })
    : { pairs: EMPTY_PAIRS, large: EMPTY_PAIRS, largeBlocks: 0, blocks: 0, skippedBlocks: 0, skippedPairs: 0 };
  const floor = opts.diceFloor?.minDice;
  const covered = floor !== undefined && opts.diceFloor?.covered === true;
  const kept =
    floor === undefined || covered ? EMPTY_PAIRS : similarEnough(tok.large, A.clks, B ? B.clks : A.clks, floor);
  const fromTokens = unionPairs(tok.pairs, kept);
  const lshOpts: LshOptions =
    opts.lsh === false
      ? { bands: 0 }
      : { ...opts.lsh, ...(opts.touching ? { touching: opts.touching } : {}), ...(covered ? { planOnly: true } : {}) };
  const lsh = lshPairs(A.clks, B ? B.clks : null, lshOpts);
  const lshKept =
    floor === undefined || covered ? lsh.pairs : similarEnough(lsh.pairs, A.clks, B ? B.clks : A.clks, floor);
  const all = unionPairs(fromTokens, lshKept);
  return {
    pairs: interleave(all),
    stats: {
      fromTokens: fromTokens.length,
      fromLsh: lsh.pairs.length,
      combined: all.length,
      tokenBlocks: tok.blocks,
      largeBlocks: tok.largeBlocks,
      largeBlockPairs: tok.large.length,
      largeBlockKept: kept.length,
      lshKept: lshKept.length,
      ...(covered ? { floorCovered: true } : {}),
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

/** The pairs of `list` whose record-level Dice is at least `minDice` (pair by pair: the same in any partition). */
function similarEnough(list: PairList, A: FilterView, B: FilterView, minDice: number): PairList {
  if (list.length === 0) return EMPTY_PAIRS;
  const c = candidatesAbove(A, B, minDice, { pairs: interleave(list) });
  const out = new Uint32Array(c.a.length * 2);
  for (let k = 0; k < c.a.length; k++) {
    out[2 * k] = c.a[k] as number;
    out[2 * k + 1] = c.b[k] as number;
  }
  return pairListOf(out);
}
