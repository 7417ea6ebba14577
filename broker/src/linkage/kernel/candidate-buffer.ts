/** Growable output of the kernel: parallel arrays of (a index, b index, Dice score). */

export interface Candidates {
  /** Index in A. The three arrays are parallel and may be views into larger buffers. */
  a: Uint32Array;
  b: Uint32Array;
  /** Dice as f32 (the f64 score rounded once). */
  score: Float32Array;
}

export class CandidateBuffer {
  private a = new Uint32Array(1024);
  private b = new Uint32Array(1024);
  private score = new Float32Array(1024);
  length = 0;

  private reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.a.length) return;
    let cap = this.a.length;
    while (cap < need) cap *= 2;
    const grow = <T extends Uint32Array | Float32Array>(old: T, make: (n: number) => T): T => {
      const next = make(cap);
      next.set(old.subarray(0, this.length));
      return next;
    };
    this.a = grow(this.a, (n) => new Uint32Array(n));
    this.b = grow(this.b, (n) => new Uint32Array(n));
    this.score = grow(this.score, (n) => new Float32Array(n));
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
    return { a: this.a.subarray(0, this.length), b: this.b.subarray(0, this.length), score: this.score.subarray(0, this.length) };
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
