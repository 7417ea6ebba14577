/**
 * Native backend: the Node-API addon built from broker/native/dice.cc at install (-O3
 * -march=native). It only counts; the admissible ranges and popcount bounds come from prune.ts,
 * as for the other backends, so results are bit-identical. Set BLINDLINK_KERNEL_NATIVE=0 to
 * leave it unloaded (the engine then runs WebAssembly).
 */
import { createRequire } from 'node:module';
import type { CandidateBuffer } from './candidate-buffer.js';
import type { FilterView } from './filter-set.js';
import type { KernelRun } from './kernel-run.js';
import { admissibleRange, popcountBounds } from './prune.js';
import type { PopcountOrder } from './prune.js';

/** The addon's exports (broker/native/dice.cc documents each argument). */
interface NativeDice {
  abiVersion: number;
  /** 'avx512-vpopcntdq' or 'scalar-popcount': what the compiler had to work with. */
  flavour: string;
  rows(
    aWords: Uint32Array,
    aPops: Uint32Array,
    from: number,
    to: number,
    ranges: Uint32Array,
    bWords: Uint32Array,
    bPops: Uint32Array,
    bIdx: Uint32Array,
    words64: number,
    t: number,
    outA: Uint32Array,
    outB: Uint32Array,
    outS: Float32Array,
    at: number,
  ): number;
  pairs(
    aWords: Uint32Array,
    aPops: Uint32Array,
    bWords: Uint32Array,
    bPops: Uint32Array,
    list: Uint32Array,
    from: number,
    to: number,
    bounds: Uint32Array,
    words64: number,
    t: number,
    outA: Uint32Array,
    outB: Uint32Array,
    outS: Float32Array,
    at: number,
  ): number;
  gather(src: Uint32Array, words64: number, order: Uint32Array, dst: Uint32Array): void;
}

/** The signature version this file is written against (dice.cc's kAbiVersion). */
const ABI_VERSION = 2;
/** From dist/linkage/kernel/ (or src/linkage/kernel/) to the package's native build. */
const ADDON = '../../../native/build/Release/blindlink_dice.node';

export interface NativeStatus {
  available: boolean;
  /** The addon's flavour when loaded, else why it is not (not built, disabled, stale). */
  detail: string;
}

let loaded: { addon: NativeDice | null; status: NativeStatus } | undefined;

function load(): { addon: NativeDice | null; status: NativeStatus } {
  if (process.env.BLINDLINK_KERNEL_NATIVE === '0') {
    return { addon: null, status: { available: false, detail: 'disabled by BLINDLINK_KERNEL_NATIVE=0' } };
  }
  try {
    const addon = createRequire(import.meta.url)(ADDON) as NativeDice;
    if (addon.abiVersion !== ABI_VERSION) {
      return {
        addon: null,
        status: {
          available: false,
          detail: `stale build (ABI ${addon.abiVersion}, want ${ABI_VERSION}): npm run build:native -w broker`,
        },
      };
    }
    return { addon, status: { available: true, detail: addon.flavour } };
  } catch (err) {
    const why = err instanceof Error ? (err.message.split('\n')[0] as string) : String(err);
    return { addon: null, status: { available: false, detail: `not built or not loadable (${why})` } };
  }
}

/** Load once; say so when the addon was expected but is missing (an opt-out stays quiet). */
function loadOnce(): { addon: NativeDice | null; status: NativeStatus } {
  if (!loaded) {
    loaded = load();
    if (!loaded.addon && process.env.BLINDLINK_KERNEL_NATIVE !== '0') {
      process.emitWarning(`native Dice kernel ${loaded.status.detail}; the kernel runs on WebAssembly`, {
        code: 'BLINDLINK_KERNEL_FALLBACK',
      });
    }
  }
  return loaded;
}

/** Whether the addon loaded in this thread, and its flavour or the reason it did not. */
export function nativeStatus(): NativeStatus {
  return loadOnce().status;
}

function addon(): NativeDice {
  const { addon: dice, status } = loadOnce();
  if (!dice) throw new Error(`native kernel unavailable: ${status.detail}`);
  return dice;
}

/** Room reserved per rows() call: bounds the scratch a batch of rows may claim. */
const ROW_BATCH_SLOTS = 1 << 20;
/** B filters per block of the addon's rows() layout (dice.cc's kLanes). */
const LANES = 8;
/** Pairs per pairs() call (each may need an output slot). */
const PAIR_CHUNK = 1 << 16;

export function createNativeRun(
  A: FilterView,
  B: FilterView,
  t: number,
  order: PopcountOrder | null,
  pairList: Uint32Array | null,
): KernelRun {
  const dice = addon();
  const words64 = A.words64;
  let bSorted: Uint32Array | null = null;
  let bounds: Uint32Array | null = null;
  if (order) {
    // B in popcount order, in the addon's block-transposed layout: blocks of eight filters, padded.
    bSorted = new Uint32Array(Math.ceil(B.count / LANES) * LANES * words64 * 2);
    dice.gather(B.words, words64, order.order, bSorted);
  } else {
    bounds = new Uint32Array(A.count * 2);
    for (let i = 0; i < A.count; i++) {
      const b = popcountBounds(A.pops[i] as number, t);
      bounds[2 * i] = b.min;
      bounds[2 * i + 1] = b.max;
    }
  }

  return {
    rows(from: number, to: number, out: CandidateBuffer) {
      if (!order || !bSorted) throw new Error('rows() needs B in popcount order');
      const ranges = new Uint32Array(2 * (to - from));
      for (let i = from; i < to; i++) {
        const r = admissibleRange(order.pops, popcountBounds(A.pops[i] as number, t));
        ranges[2 * (i - from)] = r.from;
        ranges[2 * (i - from) + 1] = r.to;
      }
      // Batches of rows whose ranges fit the reserved room (at least one row per batch).
      for (let i0 = from; i0 < to; ) {
        let i1 = i0;
        let slots = 0;
        while (i1 < to) {
          const n = (ranges[2 * (i1 - from) + 1] as number) - (ranges[2 * (i1 - from)] as number);
          if (i1 > i0 && slots + n > ROW_BATCH_SLOTS) break;
          slots += n;
          i1++;
        }
        const batch = ranges.subarray(2 * (i0 - from), 2 * (i1 - from));
        const first = i0;
        out.fillTail(slots, (a, b, s, at) =>
          dice.rows(
            A.words,
            A.pops,
            first,
            i1,
            batch,
            bSorted as Uint32Array,
            order.pops,
            order.order,
            words64,
            t,
            a,
            b,
            s,
            at,
          ),
        );
        i0 = i1;
      }
    },
    pairs(from: number, to: number, out: CandidateBuffer) {
      if (!pairList || !bounds) throw new Error('pairs() needs a candidate list');
      for (let k0 = from; k0 < to; k0 += PAIR_CHUNK) {
        const k1 = Math.min(to, k0 + PAIR_CHUNK);
        out.fillTail(k1 - k0, (a, b, s, at) =>
          dice.pairs(
            A.words,
            A.pops,
            B.words,
            B.pops,
            pairList,
            k0,
            k1,
            bounds as Uint32Array,
            words64,
            t,
            a,
            b,
            s,
            at,
          ),
        );
      }
    },
  };
}
