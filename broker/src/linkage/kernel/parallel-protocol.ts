/** Messages between `candidatesAboveParallel` and its kernel worker threads. */
import type { KernelBackend } from './backend.js';
import type { FilterView } from './filter-set.js';
import type { PopcountOrder } from './prune.js';

/** Sent once as workerData: buffers are SharedArrayBuffer-backed, so nothing is copied. */
export interface WorkerInit {
  backend: KernelBackend;
  A: FilterView;
  B: FilterView;
  threshold: number;
  /** B in popcount order (all-pairs mode) or null (candidate-list mode). */
  order: PopcountOrder | null;
  pairs: Uint32Array | null;
}

/** Compare A rows, or candidate-list positions, in [from, to). */
export interface ChunkRequest {
  id: number;
  from: number;
  to: number;
}

export type WorkerReply =
  | { id: number; ok: true; a: Uint32Array; b: Uint32Array; score: Float32Array }
  | { id: number; ok: false; message: string };
