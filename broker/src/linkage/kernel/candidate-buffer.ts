/** Growable output of the kernel: parallel arrays of (a index, b index, Dice score). */

export interface Candidates {
  /** Index in A. The three arrays are parallel and may be views into larger buffers. */
  a: Uint32Array;
  b: Uint32Array;
  /** Dice as f32 (the f64 score rounded once). */
  score: Float32Array;
}

/** Growth room reserved per array, as a multiple of its current capacity (address space only). */
const RESERVE_FACTOR = 64;
/** The largest resizable buffer the engine allows (bytes). */
const MAX_BYTES = 2 ** 32;

/**
 * A resizable ArrayBuffer reserves address space and grows in place, so growing the output costs
 * no copy (tens of millions of hits would otherwise be copied several times over, which cost
 * more than finding them); a copy into a larger reservation happens once per RESERVE_FACTOR.
 */
function reserveBytes(bytes: number, keep: ArrayBuffer | null): ArrayBuffer {
  const max = Math.min(MAX_BYTES, Math.max(bytes, 1024) * RESERVE_FACTOR);
  if (bytes > max) throw new RangeError(`candidate output of ${bytes} bytes exceeds the ${MAX_BYTES}-byte limit`);
  const buffer = new (ArrayBuffer as ResizableCtor)(bytes, { maxByteLength: max });
  if (keep) new Uint8Array(buffer).set(new Uint8Array(keep));
  return buffer;
}

type ResizableCtor = new (bytes: number, opts: { maxByteLength: number }) => ArrayBuffer;
interface Resizable {
  maxByteLength: number;
  resize(bytes: number): void;
}

export class CandidateBuffer {
  private a = new Uint32Array(reserveBytes(4096, null));
  private b = new Uint32Array(reserveBytes(4096, null));
  private score = new Float32Array(reserveBytes(4096, null));
  length = 0;

  private reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.a.length) return;
    let cap = this.a.length;
    while (cap < need) cap *= 2;
    const grow = (buf: ArrayBuffer): ArrayBuffer => {
      const r = buf as unknown as Resizable;
      if (cap * 4 <= r.maxByteLength) {
        r.resize(cap * 4);
        return buf;
      }
      return reserveBytes(cap * 4, buf);
    };
    // Typed arrays made without a length track their resizable buffer's length.
    this.a = new Uint32Array(grow(this.a.buffer as ArrayBuffer));
    this.b = new Uint32Array(grow(this.b.buffer as ArrayBuffer));
    this.score = new Float32Array(grow(this.score.buffer as ArrayBuffer));
  }

  push(i: number, j: number, score: number): void {
    this.reserve(1);
    this.a[this.length] = i;
    this.b[this.length] = j;
    this.score[this.length] = score;
    this.length++;
  }

  /** Append n hits of one A filter: partners js[0..n) with scores ss[0..n). */
  pushRow(i: number, js: Uint32Array, ss: Float32Array, n: number): void {
    if (n === 0) return;
    this.reserve(n);
    this.a.fill(i, this.length, this.length + n);
    this.b.set(js.subarray(0, n), this.length);
    this.score.set(ss.subarray(0, n), this.length);
    this.length += n;
  }

  /**
   * Let `fill` write up to `max` hits straight into the arrays from index `at` (the native kernel
   * writes there without a copy); it returns how many it wrote.
   */
  fillTail(max: number, fill: (a: Uint32Array, b: Uint32Array, score: Float32Array, at: number) => number): void {
    this.reserve(max);
    const n = fill(this.a, this.b, this.score, this.length);
    if (!(n >= 0 && n <= max)) throw new Error(`kernel wrote ${n} hits into room for ${max}`);
    this.length += n;
  }

  /**
   * The contents, as views of the grown arrays: copying tens of millions of hits again would
   * cost as much as finding them. The views may sit in buffers up to twice their length.
   */
  finish(): Candidates {
    return {
      a: this.a.subarray(0, this.length),
      b: this.b.subarray(0, this.length),
      score: this.score.subarray(0, this.length),
    };
  }

  /**
   * The contents as copies of their own (transferable), leaving the buffer empty for the next
   * chunk: a fresh buffer per chunk would reserve the kernel's worst-case room anew each time,
   * which cost a worker more than its comparisons (measured 2× slower on 4 M-comparison chunks).
   */
  take(): Candidates {
    const out = {
      a: this.a.slice(0, this.length),
      b: this.b.slice(0, this.length),
      score: this.score.slice(0, this.length),
    };
    this.length = 0;
    return out;
  }
}

/** Concatenate results in the given order. */
export function concatCandidates(parts: readonly Candidates[]): Candidates {
  const total = parts.reduce((n, p) => n + p.a.length, 0);
  const out: Candidates = { a: new Uint32Array(total), b: new Uint32Array(total), score: new Float32Array(total) };
  let at = 0;
  for (const p of parts) {
    out.a.set(p.a, at);
    out.b.set(p.b, at);
    out.score.set(p.score, at);
    at += p.a.length;
  }
  return out;
}
