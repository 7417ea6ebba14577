/**
 * Blocking stage of the linkage engine: candidate pairs from the agencies' keyed blocking tokens
 * and from Hamming LSH on the encodings, combined, sorted and de-duplicated. Pure: no I/O.
 */
export { blockPairs } from './block-pairs.js';
export type { BlockingOptions, BlockingResult, BlockingSource, BlockingStats } from './block-pairs.js';
export { tokenBlockPairs, TOKEN_BYTES, DEFAULT_MAX_BLOCK_SIZE } from './token-blocks.js';
export type { RecordTokens, TokenBlockingOptions, TokenBlockingResult } from './token-blocks.js';
export {
  lshPairs,
  sampleBands,
  planPositions,
  planFromPositions,
  autoRows,
  unrelatedAgreement,
  LSH_DEFAULTS,
} from './lsh.js';
export type { BandPlan, LshOptions, LshPlan, LshResult } from './lsh.js';
export { bitFrequencies, informativePositions, serialBitOf } from './informative-bits.js';
export { unionPairs, interleave, pairListOf, sortUniquePairs } from './candidates.js';
export { PairCollector, EMPTY_PAIRS } from './pair-collector.js';
export type { PairList } from './pair-collector.js';
export { blockingQuality, countCommon, reductionRatio, totalPairs } from './metrics.js';
export type { BlockingQuality } from './metrics.js';
export { sortKeyed, sortPairs } from './radix-sort.js';
export type { TouchingMarks } from './touching.js';
