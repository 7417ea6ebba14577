/**
 * A tiny WebAssembly binary encoder: just enough to assemble the Dice kernel at run time.
 *
 * Why hand-assemble: the kernel is a few loops, and emitting the bytes from TypeScript needs no
 * toolchain (no wat2wasm, no clang) on a fresh machine, and lets us specialise the code for the
 * filter length (A's words live in locals, loops fully unrolled).
 */

/** Opcodes used by the kernel generator (core MVP). */
export const Op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  select: 0x1b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i64Load: 0x29,
  i32Store: 0x36,
  f32Store: 0x38,
  i32Const: 0x41,
  f64Const: 0x44,
  i32Eqz: 0x45,
  i32LtU: 0x49,
  i32GtU: 0x4b,
  f64Ge: 0x66,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32Or: 0x72,
  i32Shl: 0x74,
  i64Popcnt: 0x7b,
  i64Add: 0x7c,
  i64And: 0x83,
  f64Div: 0xa3,
  i32WrapI64: 0xa7,
  f32DemoteF64: 0xb6,
  f64ConvertI32U: 0xb8,
} as const;

/** SIMD opcodes (0xFD prefix, LEB128 sub-opcode). */
export const SimdOp = {
  v128Load: 0x00,
  i32x4ExtractLane: 0x1b,
  v128And: 0x4e,
  i8x16Popcnt: 0x62,
  i8x16Add: 0x6e,
  i16x8ExtaddPairwiseI8x16U: 0x7d,
  i32x4ExtaddPairwiseI16x8U: 0x7f,
  i32x4Add: 0xae,
} as const;

export const ValType = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;
export type ValTypeCode = (typeof ValType)[keyof typeof ValType];

/** Block type "no result". */
export const BLOCK_VOID = 0x40;

export function uleb(value: number): number[] {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`uleb: ${value}`);
  const out: number[] = [];
  let v = value;
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

export function sleb(value: number): number[] {
  if (!Number.isInteger(value)) throw new RangeError(`sleb: ${value}`);
  const out: number[] = [];
  let v = value;
  for (;;) {
    const byte = v & 0x7f;
    v = Math.floor(v / 128);
    const signBit = (byte & 0x40) !== 0;
    if ((v === 0 && !signBit) || (v === -1 && signBit)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function utf8(name: string): number[] {
  const bytes = new TextEncoder().encode(name);
  return [...uleb(bytes.length), ...bytes];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/** Function body builder: appends instructions as bytes. */
export class Code {
  readonly bytes: number[] = [];

  op(...codes: number[]): this {
    this.bytes.push(...codes);
    return this;
  }
  simd(sub: number): this {
    this.bytes.push(0xfd, ...uleb(sub));
    return this;
  }
  get(local: number): this {
    return this.op(Op.localGet, ...uleb(local));
  }
  set(local: number): this {
    return this.op(Op.localSet, ...uleb(local));
  }
  tee(local: number): this {
    return this.op(Op.localTee, ...uleb(local));
  }
  i32(value: number): this {
    return this.op(Op.i32Const, ...sleb(value | 0));
  }
  f64(value: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value, true);
    return this.op(Op.f64Const, ...b);
  }
  /** Memory access with alignment log2 and constant byte offset. */
  mem(opcode: number, alignLog2: number, offset: number): this {
    return this.op(opcode, ...uleb(alignLog2), ...uleb(offset));
  }
  simdMem(sub: number, alignLog2: number, offset: number): this {
    return this.simd(sub).op(...uleb(alignLog2), ...uleb(offset));
  }
}

export interface FuncDef {
  name: string;
  params: ValTypeCode[];
  results: ValTypeCode[];
  /** Extra locals after the params, in order. */
  locals: ValTypeCode[];
  body: Code;
}

/**
 * Assemble a module that imports one memory as `env.memory` (min `minPages`) and exports the
 * given functions under their names.
 */
export function assembleModule(funcs: FuncDef[], minPages = 1): Uint8Array {
  const section = (id: number, payload: number[]): number[] => [id, ...uleb(payload.length), ...payload];

  const types = funcs.map((f) => [0x60, ...vec(f.params.map((p) => [p])), ...vec(f.results.map((r) => [r]))]);
  const typeSec = section(1, vec(types));
  // import "env" "memory" (memory minPages)
  const importSec = section(2, vec([[...utf8('env'), ...utf8('memory'), 0x02, 0x00, ...uleb(minPages)]]));
  const funcSec = section(3, vec(funcs.map((_, i) => uleb(i))));
  const exportSec = section(7, vec(funcs.map((f, i) => [...utf8(f.name), 0x00, ...uleb(i)])));
  const bodies = funcs.map((f) => {
    // Run-length encode the locals declaration.
    const groups: number[][] = [];
    let k = 0;
    while (k < f.locals.length) {
      const type = f.locals[k] as number;
      let n = 0;
      while (k < f.locals.length && f.locals[k] === type) {
        n++;
        k++;
      }
      groups.push([...uleb(n), type]);
    }
    const body = [...vec(groups), ...f.body.bytes, Op.end];
    return [...uleb(body.length), ...body];
  });
  const codeSec = section(10, vec(bodies));
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...typeSec,
    ...importSec,
    ...funcSec,
    ...exportSec,
    ...codeSec,
  ]);
}
