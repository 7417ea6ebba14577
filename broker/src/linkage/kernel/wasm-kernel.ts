/**
 * WASM backend: compiles the generated kernel (cached per filter length and flavour), lays the
 * run's data out in a fresh linear memory and drives the `row` / `pairs` functions.
 */
import type { CandidateBuffer } from './candidate-buffer.js';
import type { FilterView } from './filter-set.js';
import type { KernelRun } from './kernel-run.js';
import { admissibleRange, popcountBounds } from './prune.js';
import type { PopcountOrder } from './prune.js';
import { wasmApi } from './wasm-api.js';
import type { WasmApi, WasmModule } from './wasm-api.js';
import { buildDiceModule, SCRATCH_BYTES, simdProbeModule, strideBytes } from './wasm-dice-module.js';

type RowFn = (
  aPtr: number,
  pa: number,
  bPtr: number,
  popPtr: number,
  idxPtr: number,
  n: number,
  outJ: number,
  outS: number,
  t: number,
) => number;
type PairsFn = (
  pairPtr: number,
  n: number,
  aBase: number,
  aPop: number,
  bBase: number,
  bPop: number,
  loPtr: number,
  hiPtr: number,
  outK: number,
  outS: number,
  t: number,
) => number;

let support: { wasm: boolean; simd: boolean } | undefined;

/** Whether this engine runs the scalar kernel and the SIMD kernel (checked once, by validation). */
export function wasmSupport(): { wasm: boolean; simd: boolean } {
  if (!support) {
    const wasm = wasmApi !== undefined && validates(buildDiceModule(1, false));
    support = { wasm, simd: wasm && validates(simdProbeModule()) };
  }
  return support;
}

function validates(bytes: Uint8Array): boolean {
  try {
    return (wasmApi as WasmApi).validate(bytes);
  } catch {
    return false;
  }
}

function api(): WasmApi {
  if (!wasmApi) throw new Error('WebAssembly is not available');
  return wasmApi;
}

const modules = new Map<string, WasmModule>();

function kernelModule(words64: number, simd: boolean): WasmModule {
  const key = `${words64}:${simd ? 's' : 'w'}`;
  let mod = modules.get(key);
  if (!mod) {
    mod = new (api().Module)(buildDiceModule(words64, simd));
    modules.set(key, mod);
  }
  return mod;
}

/** Pairs handed to the `pairs` function per call (bounds the output area). */
const PAIR_CHUNK = 1 << 16;
const PAGE = 65536;

/** Bump allocator over byte offsets, 16-byte aligned. */
function layout(): { take(bytes: number): number; size(): number } {
  let top = SCRATCH_BYTES;
  return {
    take(bytes) {
      const at = top;
      top += Math.ceil(bytes / 16) * 16;
      return at;
    },
    size: () => top,
  };
}

function bytesOf(words: Uint32Array): Uint8Array {
  return new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
}

export function createWasmRun(
  A: FilterView,
  B: FilterView,
  t: number,
  order: PopcountOrder | null,
  pairList: Uint32Array | null,
  simd: boolean,
): KernelRun {
  const words64 = A.words64;
  const stride = strideBytes(words64, simd);
  const filterBytes = words64 * 8;
  const aBytes = bytesOf(A.words);
  const bBytes = bytesOf(B.words);

  const mem = layout();
  // Rows mode keeps one A filter in a slot and B in popcount order; pairs mode needs all of A.
  const aBase = order ? mem.take(stride) : mem.take(A.count * stride);
  const aPop = order ? 0 : mem.take(A.count * 4);
  const loPtr = order ? 0 : mem.take(A.count * 4);
  const hiPtr = order ? 0 : mem.take(A.count * 4);
  const bBase = mem.take(B.count * stride);
  const bPop = mem.take(B.count * 4);
  const bIdx = order ? mem.take(B.count * 4) : 0;
  const outCap = order ? Math.max(1, B.count) : PAIR_CHUNK;
  const pairPtr = order ? 0 : mem.take(PAIR_CHUNK * 8);
  const outId = mem.take(outCap * 4);
  const outS = mem.take(outCap * 4);

  const memory = new (api().Memory)({ initial: Math.ceil(mem.size() / PAGE) });
  const instance = new (api().Instance)(kernelModule(words64, simd), { env: { memory } });
  const row = instance.exports.row as RowFn;
  const pairsFn = instance.exports.pairs as PairsFn;
  const u8 = new Uint8Array(memory.buffer);
  const u32 = new Uint32Array(memory.buffer);
  const f32 = new Float32Array(memory.buffer);

  const copyFilters = (src: Uint8Array, base: number, count: number, indexOf: (k: number) => number): void => {
    for (let k = 0; k < count; k++) {
      const j = indexOf(k);
      u8.set(src.subarray(j * filterBytes, (j + 1) * filterBytes), base + k * stride);
    }
  };

  if (order) {
    copyFilters(bBytes, bBase, B.count, (k) => order.order[k] as number);
    u32.set(order.pops, bPop / 4);
    u32.set(order.order, bIdx / 4);
  } else {
    if (stride === filterBytes) {
      u8.set(aBytes, aBase);
      u8.set(bBytes, bBase);
    } else {
      copyFilters(aBytes, aBase, A.count, (k) => k);
      copyFilters(bBytes, bBase, B.count, (k) => k);
    }
    u32.set(A.pops, aPop / 4);
    u32.set(B.pops, bPop / 4);
    for (let i = 0; i < A.count; i++) {
      const bounds = popcountBounds(A.pops[i] as number, t);
      u32[loPtr / 4 + i] = bounds.min;
      u32[hiPtr / 4 + i] = bounds.max;
    }
  }

  const idOut = u32.subarray(outId / 4, outId / 4 + outCap);
  const scoreOut = f32.subarray(outS / 4, outS / 4 + outCap);

  return {
    rows(from: number, to: number, out: CandidateBuffer) {
      if (!order) throw new Error('rows() needs B in popcount order');
      for (let i = from; i < to; i++) {
        const pa = A.pops[i] as number;
        const { from: k0, to: k1 } = admissibleRange(order.pops, popcountBounds(pa, t));
        if (k0 >= k1) continue;
        u8.set(aBytes.subarray(i * filterBytes, (i + 1) * filterBytes), aBase);
        const hits = row(aBase, pa, bBase + k0 * stride, bPop + k0 * 4, bIdx + k0 * 4, k1 - k0, outId, outS, t);
        out.pushRow(i, idOut, scoreOut, hits);
      }
    },
    pairs(from: number, to: number, out: CandidateBuffer) {
      if (!pairList) throw new Error('pairs() needs a candidate list');
      for (let k0 = from; k0 < to; k0 += PAIR_CHUNK) {
        const n = Math.min(PAIR_CHUNK, to - k0);
        u32.set(pairList.subarray(2 * k0, 2 * (k0 + n)), pairPtr / 4);
        const hits = pairsFn(pairPtr, n, aBase, aPop, bBase, bPop, loPtr, hiPtr, outId, outS, t);
        for (let h = 0; h < hits; h++) {
          const k = k0 + (idOut[h] as number);
          out.push(pairList[2 * k] as number, pairList[2 * k + 1] as number, scoreOut[h] as number);
        }
      }
    },
  };
}
