/**
 * Encoded records' JSON lines (and token-map lines), written as bytes into one growing buffer: no
 * Buffer, base64 string or string piece is made per filter, and a batch's lines go to the output
 * file as the bytes they are, never as a string to join and encode again. Nearly everything
 * written is ASCII (JSON punctuation, schema field names, base64, base64url row and blocking
 * tokens); utf8() is for the rest (attributes, record ids).
 */
const B64 = new TextEncoder().encode('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
const B64URL = new TextEncoder().encode('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');
const PAD = 0x3d; // '='

export class LineWriter {
  private buf: Buffer;
  private at = 0;

  constructor(size = 4096) {
    this.buf = Buffer.allocUnsafe(size);
  }

  reset(): void {
    this.at = 0;
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.at + n));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }

  /** Appends ASCII text (prepared once: field names, punctuation). */
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }

  /** Appends a string known to be ASCII (row tokens, blocking tokens). */
  ascii(s: string): void {
    this.room(s.length);
    const buf = this.buf;
    let at = this.at;
    for (let i = 0; i < s.length; i++) buf[at++] = s.charCodeAt(i);
    this.at = at;
  }

  /** Appends any string as UTF-8. */
  utf8(s: string): void {
    this.room(3 * s.length);
    this.at += this.buf.write(s, this.at, 'utf8');
  }

  /** Appends what another writer holds. */
  append(other: LineWriter): void {
    this.room(other.at);
    other.buf.copy(this.buf, this.at, 0, other.at);
    this.at += other.at;
  }

  get length(): number {
    return this.at;
  }

  byte(c: number): void {
    this.room(1);
    this.buf[this.at++] = c;
  }

  /** Appends standard base64 with '=' padding, as Buffer's 'base64'. */
  base64(src: Uint8Array): void {
    this.room(4 * Math.ceil(src.length / 3));
    this.at = encode64(src, src.length, this.buf, this.at, B64, true);
  }

  /** Drops what was written after `length` (a row given up half-way). */
  truncate(length: number): void {
    this.at = Math.min(this.at, length);
  }

  /** What was written from `start` as a string (all of it by default). */
  text(start = 0): string {
    return this.buf.toString('utf8', start, this.at);
  }

  /** A copy of what was written: the buffer itself is reused. */
  copy(): Buffer {
    // Not Buffer.from(subarray): that copies a Uint8Array element by element.
    const out = Buffer.allocUnsafeSlow(this.at);
    this.buf.copy(out, 0, 0, this.at);
    return out;
  }
}

/** base64url without padding of the first `len` bytes of `src`, as Buffer's 'base64url'. */
export function base64url(src: Uint8Array, len: number): string {
  if (scratch.length < 4 * Math.ceil(len / 3)) scratch = Buffer.allocUnsafe(8 * Math.ceil(len / 3));
  return scratch.toString('latin1', 0, encode64(src, len, scratch, 0, B64URL, false));
}
let scratch = Buffer.allocUnsafe(64);

function encode64(src: Uint8Array, len: number, out: Uint8Array, at: number, table: Uint8Array, pad: boolean): number {
  let i = 0;
  for (; i + 2 < len; i += 3) {
    const v = (src[i]! << 16) | (src[i + 1]! << 8) | src[i + 2]!;
    out[at++] = table[v >>> 18]!;
    out[at++] = table[(v >>> 12) & 63]!;
    out[at++] = table[(v >>> 6) & 63]!;
    out[at++] = table[v & 63]!;
  }
  if (i < len) {
    const two = i + 1 < len;
    const v = (src[i]! << 16) | (two ? src[i + 1]! << 8 : 0);
    out[at++] = table[v >>> 18]!;
    out[at++] = table[(v >>> 12) & 63]!;
    if (two) out[at++] = table[(v >>> 6) & 63]!;
    else if (pad) out[at++] = PAD;
    if (pad) out[at++] = PAD;
  }
  return at;
}
