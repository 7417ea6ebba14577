/** All pairs (or candidate pairs) of two filter sets with Dice ≥ threshold, on one thread. */
import { CandidateBuffer } from './candidate-buffer.js';
import type { Candidates } from './candidate-buffer.js';
import { assertAvailable, kernelBackend } from './backend.js';
import type { KernelBackend } from './backend.js';
import type { FilterSet, FilterView } from './filter-set.js';
import { createJsRun } from './js-kernel.js';
import type { KernelRun } from './kernel-run.js';
import { createNativeRun } from './native-kernel.js';
import { sortByPopcount } from './prune.js';
import type { PopcountOrder } from './prune.js';
import { createWasmRun } from './wasm-kernel.js';

export interface CandidateOptions {
  /** Candidate pairs from blocking, (i, j) interleaved; only these are compared. */
  pairs?: Uint32Array;
  /** Backend for this call; defaults to `kernelBackend()`. */
  backend?: KernelBackend;
}

/** Check that A and B can be compared and that the pair list is in range. */
export function validateInputs(A: FilterView, B: FilterView, threshold: number, pairs: Uint32Array | undefined): void {
  if (A.bits !== B.bits) throw new RangeError(`filter lengths differ: ${A.bits} vs ${B.bits} bits`);
  if (typeof threshold !== 'number' || Number.isNaN(threshold)) throw new RangeError('threshold must be a number');
  if (pairs) {
    if (pairs.length % 2 !== 0) throw new RangeError('pairs must hold (i, j) interleaved: even length');
    for (let k = 0; k < pairs.length; k += 2) {
      if ((pairs[k] as number) >= A.count || (pairs[k + 1] as number) >= B.count) {
        throw new RangeError(`pair ${k / 2} (${pairs[k]}, ${pairs[k + 1]}) is out of range`);
      }
    }
  }
}

export function createRun(
  backend: KernelBackend,
  A: FilterView,
  B: FilterView,
  threshold: number,
  order: PopcountOrder | null,
  pairs: Uint32Array | null,
): KernelRun {
  if (backend === 'js') return createJsRun(A, B, threshold, order, pairs);
  if (backend === 'native') return createNativeRun(A, B, threshold, order, pairs);
  return createWasmRun(A, B, threshold, order, pairs, backend === 'wasm-simd');
}

/**
 * Every pair (i in A, j in B) with Dice ≥ threshold, or only the given candidate pairs.
 * Pairs whose popcounts alone rule out the threshold are skipped (B is sorted by popcount and
 * each A filter scans only the admissible popcount range). Order: all-pairs results are by A
 * index, then B popcount, then B index; candidate-list results follow the list.
 */
export function candidatesAbove(
  A: FilterSet | FilterView,
  B: FilterSet | FilterView,
  threshold: number,
  opts: CandidateOptions = {},
): Candidates {
  validateInputs(A, B, threshold, opts.pairs);
  const backend = opts.backend ?? kernelBackend();
  assertAvailable(backend);
  const out = new CandidateBuffer();
  if (A.count === 0 || B.count === 0) return out.finish();
  if (opts.pairs) {
    createRun(backend, A, B, threshold, null, opts.pairs).pairs(0, opts.pairs.length / 2, out);
  } else {
    createRun(backend, A, B, threshold, sortByPopcount(B.pops, B.bits), null).rows(0, A.count, out);
  }
  return out.finish();
}
