import { sodiumReady, type Sodium } from './sodium.js';

/**
 * Password hashing for people (admin, analyst, IG lead) with Argon2id via libsodium's
 * crypto_pwhash_str, which embeds algorithm, parameters and a random salt in the stored string.
 *
 * Parameters: INTERACTIVE (t=2, 64 MiB). Measured on the 2-core dev machine: 0.1-0.2 s per hash or
 * verify when idle, 0.3-0.5 s under heavy load; MODERATE (t=3, 256 MiB) took 1.1 s idle and 3.3 s
 * loaded, and needs a 256 MiB WebAssembly heap: too slow for a login and an easy denial of service on
 * a small broker. 64 MiB/t=2 is above OWASP's Argon2id minimum (19 MiB, t=2). needsRehash lets a later
 * change of parameters upgrade hashes at the next login. The call is synchronous WebAssembly: it holds
 * the event loop for its duration, so login must stay rate-limited.
 *
 * The standard libsodium-wrappers build has no crypto_pwhash: the broker loads the sumo build (sodium.ts).
 */

export const PASSWORD_OPSLIMIT_NAME = 'INTERACTIVE';
/** Bound the work a single request can ask for; the policy allows far less than this anyway. */
export const PASSWORD_MAX_LENGTH = 1024;

const limits = (s: Sodium) => ({
  ops: s.crypto_pwhash_OPSLIMIT_INTERACTIVE,
  mem: s.crypto_pwhash_MEMLIMIT_INTERACTIVE,
});

/** NFC so the same password typed on different systems (composed or decomposed accents) matches. */
const prepare = (password: string) => password.normalize('NFC');

export async function hashPassword(password: string): Promise<string> {
  if (password.length > PASSWORD_MAX_LENGTH) throw new Error(`password longer than ${PASSWORD_MAX_LENGTH} characters`);
  const s = await sodiumReady();
  const { ops, mem } = limits(s);
  return s.crypto_pwhash_str(prepare(password), ops, mem);
}

let dummyHash: Promise<string> | undefined;

/**
 * True if `password` matches `storedHash`. Pass null for an unknown user: a dummy hash is checked so
 * the answer takes as long as for a real account and does not reveal which user names exist.
 */
export async function verifyPassword(storedHash: string | null, password: string): Promise<boolean> {
  const s = await sodiumReady();
  let hash = storedHash;
  if (hash === null) {
    dummyHash ??= hashPassword('blindlink dummy password');
    hash = await dummyHash;
  }
  const candidate = password.length > PASSWORD_MAX_LENGTH ? '' : prepare(password);
  let ok = false;
  try {
    ok = s.crypto_pwhash_str_verify(hash, candidate);
  } catch {
    ok = false;
  }
  return ok && storedHash !== null && password.length <= PASSWORD_MAX_LENGTH;
}

/** True if the hash was made with other parameters (or another algorithm) and should be redone at login. */
export async function needsRehash(storedHash: string): Promise<boolean> {
  const s = await sodiumReady();
  const { ops, mem } = limits(s);
  if (!storedHash.startsWith('$argon2id$')) return true;
  try {
    return s.crypto_pwhash_str_needs_rehash(storedHash, ops, mem);
  } catch {
    return true;
  }
}
