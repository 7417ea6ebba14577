/**
 * Which implementation of the kernel runs: the native addon (built at install), WASM (scalar or
 * SIMD) or the pure-TypeScript fallback. All give identical results; only speed differs.
 */
import { nativeStatus } from './native-kernel.js';
import { wasmSupport } from './wasm-kernel.js';

export type KernelBackend = 'native' | 'wasm-simd' | 'wasm' | 'js';

let forced: KernelBackend | null = null;

/** Backends this engine can run, fastest-preferred first for this CPU. */
export function availableBackends(): KernelBackend[] {
  const { wasm, simd } = wasmSupport();
  const list: KernelBackend[] = [];
  if (nativeStatus().available) list.push('native');
  if (wasm) {
    // On x64, V8 lowers i64.popcnt to one POPCNT but i8x16.popcnt to a pshufb sequence (measured
    // ~1.7× slower at 1024 bits); on arm64 i8x16.popcnt is a single CNT, so SIMD goes first there.
    if (simd && process.arch === 'arm64') list.push('wasm-simd', 'wasm');
    else list.push('wasm', ...(simd ? (['wasm-simd'] as const) : []));
  }
  list.push('js');
  return list;
}

/** The backend used when a call does not name one. */
export function kernelBackend(): KernelBackend {
  return forced ?? (availableBackends()[0] as KernelBackend);
}

/** Force a backend for subsequent calls (e.g. 'js' in tests), or 'auto' to choose again. */
export function setKernelBackend(backend: KernelBackend | 'auto'): void {
  if (backend === 'auto') {
    forced = null;
    return;
  }
  assertAvailable(backend);
  forced = backend;
}

export function assertAvailable(backend: KernelBackend): void {
  if (!availableBackends().includes(backend))
    throw new Error(`kernel backend '${backend}' is not available on this engine`);
}
