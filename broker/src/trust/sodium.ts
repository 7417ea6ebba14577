import sodium from 'libsodium-wrappers-sumo';

/**
 * The broker's one libsodium build. Sumo, because password hashing needs crypto_pwhash (Argon2id),
 * which the standard build lacks; everything else it uses is in both.
 */
export type Sodium = typeof sodium;

/** libsodium is WebAssembly and must finish loading before the first call; later awaits are free. */
export async function sodiumReady(): Promise<Sodium> {
  await sodium.ready;
  return sodium;
}

/** 1 for each character of the standard base64 alphabet (A–Z a–z 0–9 + /), by char code. */
const ALPHABET = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') ALPHABET[c.charCodeAt(0)] = 1;
const PAD = 61; // '='

/**
 * Strict standard base64 with padding: a length that is a multiple of 4, alphabet characters only,
 * and at most two '=' at the very end. One pass over the char codes: linear time and no recursion,
 * where a regular expression with a repeated group overflowed the stack on sealed uploads of a few
 * megabytes.
 */
export function isStrictBase64(text: string): boolean {
  const n = text.length;
  if (n % 4 !== 0) return false;
  let end = n;
  if (n > 0 && text.charCodeAt(n - 1) === PAD) end = text.charCodeAt(n - 2) === PAD ? n - 2 : n - 1;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || ALPHABET[c] === 0) return false;
  }
  return true;
}

/** Strict standard base64 (with padding): Buffer.from(…, 'base64') would silently skip bad characters. */
export function decodeBase64Strict(text: string, what: string): Uint8Array {
  if (!isStrictBase64(text)) throw new Error(`${what} is not base64`);
  return new Uint8Array(Buffer.from(text, 'base64'));
}
