import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Secrets on disk: the key directory is owner-only (0700) and each secret file is 0600. A secret file
 * that others can read is refused rather than used, as OpenSSH does, because by then it may already
 * have leaked and the operator should know. Every broker key file (CA, TLS, signing, sealing, data,
 * JWT and pseudonym keys) is read through this module, so the rule holds for all of them.
 */

export function ensureKeyDir(keyDir: string): void {
  mkdirSync(keyDir, { recursive: true, mode: 0o700 });
}

/** Throws if a secret file is readable or writable by group or others (POSIX only). */
export function assertOwnerOnly(file: string): void {
  if (process.platform === 'win32') return;
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new Error(
      `${file} has mode ${mode.toString(8)}; a secret file must be readable by its owner only (chmod 600)`,
    );
  }
}

/**
 * Reads `name` from the key directory, or creates it with `create()` if absent. The create uses the
 * `wx` flag so two processes starting together cannot both write; the loser reads the winner's file.
 */
export function readOrCreateSecretFile(keyDir: string, name: string, create: () => string): string {
  ensureKeyDir(keyDir);
  const file = join(keyDir, name);
  if (!existsSync(file)) writeSecretFileOnce(file, create());
  assertOwnerOnly(file);
  return readFileSync(file, 'utf8');
}

/** Writes a new secret file with mode 0600; if another process wrote it first, keeps theirs. */
export function writeSecretFileOnce(file: string, content: string): void {
  try {
    writeFileSync(file, content, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600); // the umask may have narrowed the mode further; never widened, but be exact
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/** A 32-byte (or `bytes`-byte) secret stored as base64, created from `random()` on first use. */
export function readOrCreateSecretBytes(
  keyDir: string,
  name: string,
  bytes: number,
  random: (n: number) => Uint8Array,
): Uint8Array {
  const text = readOrCreateSecretFile(keyDir, name, () => Buffer.from(random(bytes)).toString('base64') + '\n');
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== bytes) throw new Error(`${join(keyDir, name)} holds ${key.length} bytes; expected ${bytes}`);
  return new Uint8Array(key);
}

/**
 * A random key of `bytes` bytes (base64 on disk), created on first use: the JWT signing key and the
 * pseudonym master key. They live outside the database so a database dump alone cannot mint tokens.
 */
export function loadOrCreateKey(keyDir: string, name: string, bytes = 32): Buffer {
  return Buffer.from(readOrCreateSecretBytes(keyDir, name, bytes, (n) => randomBytes(n)));
}
