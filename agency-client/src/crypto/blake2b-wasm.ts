/**
 * The BLAKE2b compression function as a tiny WebAssembly module, assembled here at load time.
 *
 * Why: in JavaScript the 64-bit additions and rotations are emulated on 32-bit halves (see
 * blake2b-compress.ts); WebAssembly has them as single i64 instructions, which makes one
 * compression several times cheaper, and a keyed token hash is one compression. The module has
 * no imports and one page of memory: the state h (8 × i64) at byte 0, the message block
 * (16 × i64) at byte 64. `compress(tLow, tHigh, last)` updates h in place, exactly as RFC 7693's F.
 * Where WebAssembly is missing, `wasmCompressor()` returns undefined and callers use the
 * JavaScript function (the tests check both against each other and against node:crypto).
 */

interface WasmGlobal {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

const IV = [
  0x6a09e667f3bcc908n,
  0xbb67ae8584caa73bn,
  0x3c6ef372fe94f82bn,
  0xa54ff53a5f1d36f1n,
  0x510e527fade682d1n,
  0x9b05688c2b3e6c1fn,
  0x1f83d9abfb41bd6bn,
  0x5be0cd19137e2179n,
];

const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
] as const;

// Opcodes used.
const LOCAL_GET = 0x20,
  LOCAL_SET = 0x21,
  I32_CONST = 0x41,
  I64_CONST = 0x42,
  I64_LOAD = 0x29,
  I64_STORE = 0x37;
const I64_ADD = 0x7c,
  I64_XOR = 0x85,
  I64_OR = 0x84,
  I64_SHL = 0x86,
  I64_ROTR = 0x8a,
  I64_EXTEND_I32_U = 0xad;
const IF = 0x04,
  VOID = 0x40,
  END = 0x0b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb64(v: bigint): number[] {
  let x = BigInt.asIntN(64, v);
  const out: number[] = [];
  for (;;) {
    const b = Number(x & 0x7fn);
    x >>= 7n;
    if ((x === 0n && (b & 0x40) === 0) || (x === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

/** The module's bytes. Locals: params 0–2 (tLow, tHigh, last), v0..v15 at 3..18, m0..m15 at 19..34. */
function moduleBytes(): Uint8Array {
  const V = 3,
    M = 19;
  const c: number[] = [];
  const get = (l: number): void => void c.push(LOCAL_GET, ...uleb(l));
  const set = (l: number): void => void c.push(LOCAL_SET, ...uleb(l));
  const load = (offset: number): void => void c.push(I32_CONST, 0, I64_LOAD, 3, ...uleb(offset));
  for (let i = 0; i < 16; i++) {
    load(64 + 8 * i);
    set(M + i);
  }
  for (let i = 0; i < 8; i++) {
    load(8 * i);
    set(V + i);
    c.push(I64_CONST, ...sleb64(IV[i]!));
    set(V + 8 + i);
  }
  // v12 ^= t (the byte counter as two u32 halves); v14 = ~v14 on the last block.
  get(V + 12);
  get(0);
  c.push(I64_EXTEND_I32_U);
  get(1);
  c.push(I64_EXTEND_I32_U, I64_CONST, 32, I64_SHL, I64_OR, I64_XOR);
  set(V + 12);
  get(2);
  c.push(IF, VOID);
  get(V + 14);
  c.push(I64_CONST, 0x7f, I64_XOR);
  set(V + 14);
  c.push(END);
  const g = (a: number, b: number, cc: number, d: number, x: number, y: number): void => {
    const mix = (m: number, rd: number, rb: number): void => {
      // a += b + m; d = rotr(d ^ a, rd); c += d; b = rotr(b ^ c, rb)
      get(V + a);
      get(V + b);
      c.push(I64_ADD);
      get(M + m);
      c.push(I64_ADD);
      set(V + a);
      get(V + d);
      get(V + a);
      c.push(I64_XOR, I64_CONST, rd, I64_ROTR);
      set(V + d);
      get(V + cc);
      get(V + d);
      c.push(I64_ADD);
      set(V + cc);
      get(V + b);
      get(V + cc);
      c.push(I64_XOR, I64_CONST, rb, I64_ROTR);
      set(V + b);
    };
    mix(x, 32, 24);
    mix(y, 16, 63);
  };
  for (let r = 0; r < 12; r++) {
    const s = SIGMA[r % 10]!;
    g(0, 4, 8, 12, s[0], s[1]);
    g(1, 5, 9, 13, s[2], s[3]);
    g(2, 6, 10, 14, s[4], s[5]);
    g(3, 7, 11, 15, s[6], s[7]);
    g(0, 5, 10, 15, s[8], s[9]);
    g(1, 6, 11, 12, s[10], s[11]);
    g(2, 7, 8, 13, s[12], s[13]);
    g(3, 4, 9, 14, s[14], s[15]);
  }
  for (let i = 0; i < 8; i++) {
    c.push(I32_CONST, 0);
    load(8 * i);
    get(V + i);
    c.push(I64_XOR);
    get(V + 8 + i);
    c.push(I64_XOR, I64_STORE, 3, ...uleb(8 * i));
  }
  c.push(END);
  const body = [1, 32, 0x7e, ...c]; // one group of 32 i64 locals
  const name = [...new TextEncoder().encode('compress')];
  const memName = [...new TextEncoder().encode('memory')];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, [1, 0x60, 3, 0x7f, 0x7f, 0x7f, 0]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, [2, name.length, ...name, 0x00, 0, memName.length, ...memName, 0x02, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

export interface WasmCompressor {
  /** The state h as 16 int32 halves (low half first), in the module's memory. */
  readonly h: Int32Array;
  /** The 128-byte message block, in the module's memory. */
  readonly block: Uint8Array;
  /** Compresses `block` into `h`; t = tHigh · 2^32 + tLow bytes so far, last: final block. */
  compress(tLow: number, tHigh: number, last: number): void;
}

let instance: WasmCompressor | null | undefined;

/** This thread's compressor (one module instance per thread), or undefined without WebAssembly. */
export function wasmCompressor(): WasmCompressor | undefined {
  if (instance === undefined) {
    instance = null;
    const wasm = (globalThis as unknown as { WebAssembly?: WasmGlobal }).WebAssembly;
    if (wasm !== undefined && process.env.BLINDLINK_BLAKE2B_WASM !== '0') {
      const inst = new wasm.Instance(new wasm.Module(moduleBytes()), {});
      const memory = inst.exports.memory as { buffer: ArrayBuffer };
      const compress = inst.exports.compress as (tLow: number, tHigh: number, last: number) => void;
      instance = { h: new Int32Array(memory.buffer, 0, 16), block: new Uint8Array(memory.buffer, 64, 128), compress };
    }
  }
  return instance ?? undefined;
}
