/**
 * Similarity kernel of the linkage engine: Dice coefficient on packed Bloom-filter encodings with
 * popcount-bound pruning, in a native addon built at install (broker/native/), generated
 * WebAssembly when the addon is missing, and a pure-TypeScript fallback, plus a worker-thread
 * variant for large runs. Pure: no I/O beyond loading the addon.
 */
export { FilterSet } from './filter-set.js';
export type { FilterView } from './filter-set.js';
export { dice, diceFromCounts } from './dice.js';
export { candidatesAbove } from './candidates.js';
export type { CandidateOptions } from './candidates.js';
export type { Candidates } from './candidate-buffer.js';
export { candidatesAboveParallel, MIN_PARALLEL_COMPARISONS } from './parallel.js';
export type { ParallelOptions } from './parallel.js';
export { availableBackends, kernelBackend, setKernelBackend } from './backend.js';
export type { KernelBackend } from './backend.js';
export { nativeStatus } from './native-kernel.js';
export type { NativeStatus } from './native-kernel.js';
export { popcountBounds, sortByPopcount, admissibleRange, NO_UPPER_BOUND } from './prune.js';
export type { PopcountBounds, PopcountOrder } from './prune.js';
export { buildDiceModule } from './wasm-dice-module.js';
