/**
 * One comparison run of A against B at a threshold, independent of backend. The main thread and
 * the worker threads drive the same interface over ranges of A rows or of the candidate list, so
 * their results are identical and concatenate in order.
 */
import type { CandidateBuffer } from './candidate-buffer.js';

export interface KernelRun {
  /**
   * All pairs of A rows [from, to) against the popcount-admissible B filters, appended to `out`
   * ordered by A row, then by B popcount, then by B index.
   */
  rows(from: number, to: number, out: CandidateBuffer): void;
  /** Candidate pairs k in [from, to) of the list given at creation, appended in list order. */
  pairs(from: number, to: number, out: CandidateBuffer): void;
}
