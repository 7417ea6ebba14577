/**
 * Multi-core variant of `candidatesAbove`: A rows (or the candidate list) are cut into chunks that
 * worker threads take one at a time; results are concatenated in chunk order, so the output is
 * identical to the single-thread call.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { assertAvailable, kernelBackend } from './backend.js';
import { concatCandidates } from './candidate-buffer.js';
import type { Candidates } from './candidate-buffer.js';
import { candidatesAbove, validateInputs } from './candidates.js';
import type { CandidateOptions } from './candidates.js';
import type { FilterSet, FilterView } from './filter-set.js';
import type { ChunkRequest, WorkerInit, WorkerReply } from './parallel-protocol.js';
import { sortByPopcount } from './prune.js';

export interface ParallelOptions extends CandidateOptions {
  /**
   * Worker threads to use. Default: os.availableParallelism(), but small runs (below
   * MIN_PARALLEL_COMPARISONS) then stay on the calling thread, where spawning would cost more.
   * Given explicitly, that many workers are always used.
   */
  threads?: number;
}

/** Below this many comparisons, starting workers (~tens of ms) costs more than it saves. */
export const MIN_PARALLEL_COMPARISONS = 4_000_000;
/** Comparisons per all-pairs chunk; small enough to balance, large enough to amortise a message. */
const CHUNK_COMPARISONS = 4_000_000;
const MIN_PAIR_CHUNK = 1 << 16;

function toShared<T extends Uint32Array>(arr: T, make: (buffer: SharedArrayBuffer) => T): T {
  if (arr.buffer instanceof SharedArrayBuffer) return arr;
  const copy = make(new SharedArrayBuffer(arr.byteLength));
  copy.set(arr);
  return copy;
}

function sharedView(v: FilterView): FilterView {
  return {
    bits: v.bits,
    count: v.count,
    words64: v.words64,
    words: toShared(v.words, (b) => new Uint32Array(b)),
    pops: toShared(v.pops, (b) => new Uint32Array(b)),
  };
}

function chunkRanges(total: number, size: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (let from = 0; from < total; from += size) ranges.push([from, Math.min(total, from + size)]);
  return ranges;
}

export async function candidatesAboveParallel(
  A: FilterSet | FilterView,
  B: FilterSet | FilterView,
  threshold: number,
  opts: ParallelOptions = {},
): Promise<Candidates> {
  validateInputs(A, B, threshold, opts.pairs);
  const backend = opts.backend ?? kernelBackend();
  assertAvailable(backend);
  const comparisons = opts.pairs ? opts.pairs.length / 2 : A.count * B.count;
  if (opts.threads !== undefined && (!Number.isInteger(opts.threads) || opts.threads < 1)) {
    throw new RangeError(`threads must be a positive integer, got ${opts.threads}`);
  }
  const threads = opts.threads ?? availableParallelism();
  if (comparisons === 0 || (opts.threads === undefined && (threads <= 1 || comparisons < MIN_PARALLEL_COMPARISONS))) {
    return candidatesAbove(A, B, threshold, { ...opts, backend });
  }

  const pairs = opts.pairs ? toShared(opts.pairs, (b) => new Uint32Array(b)) : null;
  const init: WorkerInit = {
    backend,
    A: sharedView(A),
    B: sharedView(B),
    threshold,
    order: pairs ? null : sortByPopcount(B.pops, B.bits),
    pairs,
  };
  const ranges = pairs
    ? chunkRanges(comparisons, Math.max(MIN_PAIR_CHUNK, Math.ceil(comparisons / (threads * 8))))
    : chunkRanges(
        A.count,
        Math.max(1, Math.min(Math.ceil(CHUNK_COMPARISONS / B.count), Math.ceil(A.count / (threads * 4)))),
      );
  const workerCount = Math.min(threads, ranges.length);

  const results: Candidates[] = new Array<Candidates>(ranges.length);
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let next = 0;
      let done = 0;
      const dispatch = (w: Worker): void => {
        if (next >= ranges.length) return;
        const [from, to] = ranges[next] as [number, number];
        const req: ChunkRequest = { id: next++, from, to };
        w.postMessage(req);
      };
      for (let k = 0; k < workerCount; k++) {
        // execArgv: [] — the worker is plain compiled JS; inheriting loaders (tsx, test
        // instrumentation) would only slow its start.
        const w = new Worker(new URL('./kernel-worker.js', import.meta.url), { workerData: init, execArgv: [] });
        workers.push(w);
        w.on('message', (reply: WorkerReply) => {
          if (!reply.ok) return reject(new Error(`kernel worker: ${reply.message}`));
          results[reply.id] = { a: reply.a, b: reply.b, score: reply.score };
          if (++done === ranges.length) resolve();
          else dispatch(w);
        });
        w.on('error', reject);
        w.on('exit', (code) => {
          if (done < ranges.length) reject(new Error(`kernel worker exited early (code ${code})`));
        });
        dispatch(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return concatCandidates(results);
}
