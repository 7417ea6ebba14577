/**
 * Generates the WebAssembly Dice kernel, specialised for one filter length.
 *
 * Two exported functions (addresses are byte offsets into the imported memory):
 *  - `row(aPtr, pa, bPtr, popPtr, idxPtr, n, outJ, outS, t) -> hits`: one A filter (popcount
 *    pa > 0) against n consecutive B filters (the popcount-admissible run of B sorted by popcount).
 *    For each B filter with Dice >= t it writes idx[j] to outJ and the score (f32) to outS.
 *  - `pairs(pairPtr, n, aBase, aPop, bBase, bPop, loPtr, hiPtr, outK, outS, t) -> hits`: an
 *    explicit candidate list (i, j interleaved u32). A pair is skipped when B's popcount is outside
 *    [lo[i], hi[i]] (popcount bound); for each qualifying pair the list position k is written.
 *
 * The pair's Dice is `f64(2c) / f64(pa + pb)` compared `>= t` in f64, exactly as the JS kernel
 * and `dice()` compute it, so every backend returns bit-identical results. The division only runs
 * after a cheap multiply pre-check with a slightly lowered threshold (it can only let through
 * pairs that the exact test then rejects, never drop one).
 *
 * Flavours: scalar uses i64.popcnt (one x86 POPCNT per word under V8); `simd` uses v128.and +
 * i8x16.popcnt (a single CNT on arm64, but a pshufb sequence on x64). The wasm copy of each filter
 * is padded to `strideBytes(words64, simd)` bytes; padding words must be zero.
 */
import { assembleModule, BLOCK_VOID, Code, Op, SimdOp, ValType } from './wasm-encoder.js';
import type { ValTypeCode } from './wasm-encoder.js';

/** Bytes per filter in wasm memory: 8-byte words, rounded up to 16 bytes for SIMD loads. */
export function strideBytes(words64: number, simd: boolean): number {
  return simd ? Math.ceil(words64 / 2) * 16 : words64 * 8;
}

/**
 * Scalar words summed between effect barriers. V8's TurboFan schedules every load of a straight
 * unrolled block first, which spills registers badly; storing the running sum to a scratch word
 * every GROUP words orders the loads into small batches (measured ~1.4× faster at 1024 bits).
 */
const GROUP = 4;
/** Address of the 8-byte scratch word used as that barrier (callers keep bytes 0..15 free). */
export const SCRATCH_BYTES = 16;
/** Vectors per SIMD byte-accumulator group: 16 vectors × 8 = 128 ≤ 255, so byte lanes never overflow. */
const SIMD_GROUP = 16;
/** Lowered-threshold factor for the multiply pre-check (far above f64 rounding, far below any gap). */
const PRECHECK_FACTOR = 1 - 2 ** -30;

const i64Store = 0x37;
const f64Mul = 0xa2;
const i16x8Add = 0x8e;

class Locals {
  readonly extra: ValTypeCode[] = [];
  constructor(private readonly paramCount: number) {}
  add(type: ValTypeCode): number {
    this.extra.push(type);
    return this.paramCount + this.extra.length - 1;
  }
}

type AOperand = { kind: 'locals'; first: number } | { kind: 'memory'; ptrLocal: number };

/**
 * Emit code setting i32 local `out` to popcount(A ∧ B), B at the address in local `bPtrLocal`,
 * A either in locals (row kernel: loaded once per row) or at the address in `a.ptrLocal`.
 */
function emitAndPopcount(
  code: Code,
  words64: number,
  simd: boolean,
  a: AOperand,
  bPtrLocal: number,
  out: number,
  scratch: { i64Sum: number; v128: number },
): void {
  if (!simd) {
    const term = (w: number): void => {
      if (a.kind === 'locals') code.get(a.first + w);
      else code.get(a.ptrLocal).mem(Op.i64Load, 3, w * 8);
      code
        .get(bPtrLocal)
        .mem(Op.i64Load, 3, w * 8)
        .op(Op.i64And, Op.i64Popcnt);
    };
    const tree = (lo: number, hi: number): void => {
      if (hi - lo === 1) {
        term(lo);
        return;
      }
      const mid = (lo + hi) >>> 1;
      tree(lo, mid);
      tree(mid, hi);
      code.op(Op.i64Add);
    };
    const groups = Math.ceil(words64 / GROUP);
    for (let g = 0; g < groups; g++) {
      tree(g * GROUP, Math.min(words64, (g + 1) * GROUP));
      if (g > 0) code.get(scratch.i64Sum).op(Op.i64Add);
      code.set(scratch.i64Sum);
      // Barrier: store the running sum so the next group's loads are scheduled after it.
      if (g < groups - 1) code.i32(0).get(scratch.i64Sum).mem(i64Store, 3, 0);
    }
    code.get(scratch.i64Sum).op(Op.i32WrapI64).set(out);
    return;
  }
  const vectors = Math.ceil(words64 / 2);
  const term = (v: number): void => {
    if (a.kind === 'locals') code.get(a.first + v);
    else code.get(a.ptrLocal).simdMem(SimdOp.v128Load, 4, v * 16);
    code
      .get(bPtrLocal)
      .simdMem(SimdOp.v128Load, 4, v * 16)
      .simd(SimdOp.v128And)
      .simd(SimdOp.i8x16Popcnt);
  };
  const byteTree = (lo: number, hi: number): void => {
    if (hi - lo === 1) {
      term(lo);
      return;
    }
    const mid = (lo + hi) >>> 1;
    byteTree(lo, mid);
    byteTree(mid, hi);
    code.simd(SimdOp.i8x16Add);
  };
  // Byte sums of each group widened to u16 lanes, which hold up to 4095 vectors (524,000 bits).
  const groups = Math.ceil(vectors / SIMD_GROUP);
  const groupTree = (lo: number, hi: number): void => {
    if (hi - lo === 1) {
      byteTree(lo * SIMD_GROUP, Math.min(vectors, (lo + 1) * SIMD_GROUP));
      code.simd(SimdOp.i16x8ExtaddPairwiseI8x16U);
      return;
    }
    const mid = (lo + hi) >>> 1;
    groupTree(lo, mid);
    groupTree(mid, hi);
    code.simd(i16x8Add);
  };
  groupTree(0, groups);
  code.simd(SimdOp.i32x4ExtaddPairwiseI16x8U).tee(scratch.v128);
  // Horizontal sum of the four u32 lanes.
  code.simd(SimdOp.i32x4ExtractLane).op(0);
  code.get(scratch.v128).simd(SimdOp.i32x4ExtractLane).op(1).op(Op.i32Add);
  code.get(scratch.v128).simd(SimdOp.i32x4ExtractLane).op(2);
  code.get(scratch.v128).simd(SimdOp.i32x4ExtractLane).op(3).op(Op.i32Add, Op.i32Add);
  code.set(out);
}

/**
 * Emit: if Dice(c, den) >= t, append (value pushed by `pushId`, score) to the outputs.
 * `c` and `den` are i32 locals; den == 0 (two empty filters) has Dice 0.
 */
function emitTestAndStore(
  code: Code,
  v: { c: number; den: number; t: number; tLow: number; score: number; hits: number; outId: number; outS: number },
  pushId: () => void,
): void {
  // Pre-check 2c >= den·tLow (cheap; tLow < t, so it never rejects a qualifying pair).
  code.get(v.c).i32(1).op(Op.i32Shl, Op.f64ConvertI32U);
  code.get(v.den).op(Op.f64ConvertI32U).get(v.tLow).op(f64Mul, Op.f64Ge, Op.if, BLOCK_VOID);
  // score = den == 0 ? 0 : 2c / den
  code.get(v.c).i32(1).op(Op.i32Shl, Op.f64ConvertI32U).get(v.den).op(Op.f64ConvertI32U, Op.f64Div);
  code.f64(0).get(v.den).op(Op.select).tee(v.score); // den != 0 ? 2c/den : 0
  code.get(v.t).op(Op.f64Ge, Op.if, BLOCK_VOID);
  code.get(v.outId).get(v.hits).i32(2).op(Op.i32Shl, Op.i32Add);
  pushId();
  code.mem(Op.i32Store, 2, 0);
  code.get(v.outS).get(v.hits).i32(2).op(Op.i32Shl, Op.i32Add).get(v.score).op(Op.f32DemoteF64).mem(Op.f32Store, 2, 0);
  code.get(v.hits).i32(1).op(Op.i32Add).set(v.hits);
  code.op(Op.end);
  code.op(Op.end);
}

/**
 * tLow = t · PRECHECK_FACTOR, or −f64.max when t <= 0 so every pair passes the pre-check (t itself
 * would not do at t = −∞: den·tLow is NaN for two empty filters, and the pair would be lost).
 */
function emitTLow(code: Code, t: number, tLow: number): void {
  code
    .get(t)
    .f64(PRECHECK_FACTOR)
    .op(f64Mul)
    .f64(-Number.MAX_VALUE)
    .get(t)
    .f64(0)
    .op(0x64 /* f64.gt */, Op.select)
    .set(tLow);
}

const I32 = ValType.i32;
const F64 = ValType.f64;

function buildRow(words64: number, simd: boolean): { params: ValTypeCode[]; locals: ValTypeCode[]; body: Code } {
  const params: ValTypeCode[] = [I32, I32, I32, I32, I32, I32, I32, I32, F64];
  const [aPtr, pa, bPtr, popPtr, idxPtr, n, outJ, outS, t] = [0, 1, 2, 3, 4, 5, 6, 7, 8] as const;
  const L = new Locals(params.length);
  const hits = L.add(I32);
  const end = L.add(I32);
  const tLow = L.add(F64);
  const score = L.add(F64);
  const cnt = L.add(I32);
  const den = L.add(I32);
  const scratch = { i64Sum: L.add(ValType.i64), v128: simd ? L.add(ValType.v128) : -1 };
  const aCount = simd ? Math.ceil(words64 / 2) : words64;
  const aFirst = L.add(simd ? ValType.v128 : ValType.i64);
  for (let k = 1; k < aCount; k++) L.add(simd ? ValType.v128 : ValType.i64);
  const stride = strideBytes(words64, simd);

  const c = new Code();
  c.get(n).op(Op.i32Eqz, Op.if, BLOCK_VOID).i32(0).op(Op.return, Op.end);
  emitTLow(c, t, tLow);
  for (let k = 0; k < aCount; k++) {
    c.get(aPtr);
    if (simd) c.simdMem(SimdOp.v128Load, 4, k * 16);
    else c.mem(Op.i64Load, 3, k * 8);
    c.set(aFirst + k);
  }
  c.get(bPtr).get(n).i32(stride).op(Op.i32Mul, Op.i32Add).set(end);

  c.op(Op.loop, BLOCK_VOID);
  emitAndPopcount(c, words64, simd, { kind: 'locals', first: aFirst }, bPtr, cnt, scratch);
  c.get(pa).get(popPtr).mem(Op.i32Load, 2, 0).op(Op.i32Add).set(den);
  emitTestAndStore(c, { c: cnt, den, t, tLow, score, hits, outId: outJ, outS }, () =>
    c.get(idxPtr).mem(Op.i32Load, 2, 0),
  );
  c.get(popPtr).i32(4).op(Op.i32Add).set(popPtr);
  c.get(idxPtr).i32(4).op(Op.i32Add).set(idxPtr);
  c.get(bPtr).i32(stride).op(Op.i32Add).tee(bPtr);
  c.get(end).op(Op.i32LtU, Op.brIf, 0);
  c.op(Op.end);
  c.get(hits);
  return { params, locals: L.extra, body: c };
}

function buildPairs(words64: number, simd: boolean): { params: ValTypeCode[]; locals: ValTypeCode[]; body: Code } {
  const params: ValTypeCode[] = [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, F64];
  const [pairPtr, n, aBase, aPop, bBase, bPop, loPtr, hiPtr, outK, outS, t] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
  ] as const;
  const L = new Locals(params.length);
  const k = L.add(I32);
  const hits = L.add(I32);
  const ai4 = L.add(I32);
  const aPtr = L.add(I32);
  const bPtr = L.add(I32);
  const pb = L.add(I32);
  const cnt = L.add(I32);
  const den = L.add(I32);
  const tLow = L.add(F64);
  const score = L.add(F64);
  const scratch = { i64Sum: L.add(ValType.i64), v128: simd ? L.add(ValType.v128) : -1 };
  const stride = strideBytes(words64, simd);

  const c = new Code();
  c.get(n).op(Op.i32Eqz, Op.if, BLOCK_VOID).i32(0).op(Op.return, Op.end);
  emitTLow(c, t, tLow);
  c.op(Op.loop, BLOCK_VOID);
  c.op(Op.block, BLOCK_VOID);
  // ai4 = 4·i; bPtr = j (an index until turned into an address below)
  c.get(pairPtr).mem(Op.i32Load, 2, 0).i32(2).op(Op.i32Shl).set(ai4);
  c.get(pairPtr).mem(Op.i32Load, 2, 4).tee(bPtr);
  c.i32(2).op(Op.i32Shl).get(bPop).op(Op.i32Add).mem(Op.i32Load, 2, 0).set(pb);
  // popcount bound: skip when lo[i] > pb or pb > hi[i]
  c.get(ai4).get(loPtr).op(Op.i32Add).mem(Op.i32Load, 2, 0).get(pb).op(Op.i32GtU);
  c.get(pb).get(ai4).get(hiPtr).op(Op.i32Add).mem(Op.i32Load, 2, 0).op(Op.i32GtU);
  c.op(Op.i32Or, Op.brIf, 0);
  c.get(ai4).get(aPop).op(Op.i32Add).mem(Op.i32Load, 2, 0).get(pb).op(Op.i32Add).set(den);
  c.get(ai4)
    .i32(stride / 4)
    .op(Op.i32Mul)
    .get(aBase)
    .op(Op.i32Add)
    .set(aPtr);
  c.get(bPtr).i32(stride).op(Op.i32Mul).get(bBase).op(Op.i32Add).set(bPtr);
  emitAndPopcount(c, words64, simd, { kind: 'memory', ptrLocal: aPtr }, bPtr, cnt, scratch);
  emitTestAndStore(c, { c: cnt, den, t, tLow, score, hits, outId: outK, outS }, () => c.get(k));
  c.op(Op.end); // skipped pairs land here
  c.get(pairPtr).i32(8).op(Op.i32Add).set(pairPtr);
  c.get(k).i32(1).op(Op.i32Add).tee(k);
  c.get(n).op(Op.i32LtU, Op.brIf, 0);
  c.op(Op.end);
  c.get(hits);
  return { params, locals: L.extra, body: c };
}

/** Largest filter the kernel accepts: keeps every count and offset far inside i32 and u16 lanes. */
export const MAX_WORDS64 = 4096; // 262,144 bits

/** Assemble the kernel module for filters of `words64` 64-bit words. */
export function buildDiceModule(words64: number, simd: boolean): Uint8Array {
  if (!Number.isInteger(words64) || words64 < 1 || words64 > MAX_WORDS64) {
    throw new RangeError(`words64 must be an integer in 1..${MAX_WORDS64}, got ${words64}`);
  }
  const row = buildRow(words64, simd);
  const pairs = buildPairs(words64, simd);
  return assembleModule([
    { name: 'row', params: row.params, results: [ValType.i32], locals: row.locals, body: row.body },
    { name: 'pairs', params: pairs.params, results: [ValType.i32], locals: pairs.locals, body: pairs.body },
  ]);
}

/** A minimal module that validates only if the engine supports SIMD (incl. i8x16.popcnt). */
export function simdProbeModule(): Uint8Array {
  const c = new Code();
  c.i32(0).simdMem(SimdOp.v128Load, 4, 0).simd(SimdOp.i8x16Popcnt).simd(SimdOp.i32x4ExtractLane).op(0);
  return assembleModule([{ name: 'probe', params: [], results: [ValType.i32], locals: [], body: c }]);
}
