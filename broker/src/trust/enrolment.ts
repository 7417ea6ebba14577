import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * One-time enrolment codes. An admin creates an agency and hands its operator a code out of band; the
 * agency client presents it once with its CSR. The code carries 160 random bits, so a plain SHA-256 of
 * it is enough to store (no salt or slow hash needed: there is nothing to guess), and a database dump
 * does not reveal usable codes. The caller stores the hash with an expiry and deletes it on use.
 *
 * Alphabet: Crockford base32 (no I, L, O, U), shown in groups of four. On input, case, spaces and
 * hyphens are ignored and the look-alikes O→0, I/L→1 are mapped, so a code read over the phone works.
 */

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const ENROLMENT_CODE_BITS = 160;
const CODE_CHARS = ENROLMENT_CODE_BITS / 5; // 32
/** A reasonable default lifetime; the caller stores `expiresAt` and refuses after it. */
export const ENROLMENT_CODE_TTL_MS = 72 * 60 * 60 * 1000;

export interface EnrolmentCode {
  /** Show once to the admin; never store or log. */
  code: string;
  /** Store this: 'sha256:' + hex of the normalised code. */
  hash: string;
}

function base32(bytes: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

/** Canonical form of a typed code, or null if it cannot be one of ours. */
export function normaliseEnrolmentCode(input: string): string | null {
  const s = input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (s.length !== CODE_CHARS) return null;
  for (const ch of s) if (!ALPHABET.includes(ch)) return null;
  return s;
}

export function hashEnrolmentCode(code: string): string {
  const n = normaliseEnrolmentCode(code);
  if (n === null) throw new Error('not an enrolment code');
  return 'sha256:' + createHash('sha256').update(n, 'utf8').digest('hex');
}

export function newEnrolmentCode(): EnrolmentCode {
  const raw = base32(randomBytes(ENROLMENT_CODE_BITS / 8));
  const code = raw.match(/.{4}/g)!.join('-');
  return { code, hash: hashEnrolmentCode(code) };
}

/** Constant-time comparison of a presented code with a stored hash. Malformed input is simply false. */
export function checkEnrolmentCode(code: string, storedHash: string): boolean {
  const n = normaliseEnrolmentCode(code);
  // Hash something even for malformed input, so timing does not say which check failed.
  const presented = Buffer.from(
    'sha256:' +
      createHash('sha256')
        .update(n ?? code, 'utf8')
        .digest('hex'),
    'utf8',
  );
  const stored = Buffer.from(storedHash, 'utf8');
  if (presented.length !== stored.length) return false;
  return timingSafeEqual(presented, stored) && n !== null;
}

export function enrolmentCodeExpired(expiresAt: Date, now = new Date()): boolean {
  return now.getTime() >= expiresAt.getTime();
}
