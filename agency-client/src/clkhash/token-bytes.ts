/**
 * Token → bytes in the feature's encoding, into a reusable buffer. Python's 'utf-16' and 'utf-32'
 * codecs prepend a byte-order mark to every encoded string (little-endian on the platforms
 * clkhash runs on), so each token carries one.
 */
import { encodeUtf8Into } from '../crypto/utf8.js';
import type { TextEncoding } from './schema.js';

export class TokenEncoder {
  private buf = new Uint8Array(256);
  constructor(private readonly encoding: TextEncoding) {}

  /** Encodes `token`; the bytes are `bytes()[0..returned length)` until the next call. */
  encode(token: string): number {
    const need =
      this.encoding === 'utf-32'
        ? 4 + 4 * token.length
        : this.encoding === 'utf-16'
          ? 2 + 2 * token.length
          : 3 * token.length;
    if (need > this.buf.length) this.buf = new Uint8Array(Math.max(need, this.buf.length * 2));
    const b = this.buf;
    switch (this.encoding) {
      case 'utf-8':
        return encodeUtf8Into(token, b);
      case 'ascii':
        for (let i = 0; i < token.length; i++) b[i] = token.charCodeAt(i);
        return token.length;
      case 'utf-16': {
        b[0] = 0xff;
        b[1] = 0xfe;
        for (let i = 0; i < token.length; i++) {
          const c = token.charCodeAt(i);
          b[2 + 2 * i] = c & 0xff;
          b[3 + 2 * i] = c >>> 8;
        }
        return 2 + 2 * token.length;
      }
      case 'utf-32': {
        b[0] = 0xff;
        b[1] = 0xfe;
        b[2] = 0;
        b[3] = 0;
        let p = 4;
        for (const ch of token) {
          const cp = ch.codePointAt(0)!;
          b[p++] = cp & 0xff;
          b[p++] = (cp >>> 8) & 0xff;
          b[p++] = cp >>> 16;
          b[p++] = 0;
        }
        return p;
      }
    }
  }

  bytes(): Uint8Array {
    return this.buf;
  }
}
