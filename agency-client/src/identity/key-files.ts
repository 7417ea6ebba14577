import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The agency's secrets on disk: the key directory is owner-only (0700), secret files 0600. A secret
 * file readable by others is refused rather than used, as OpenSSH does: by then it may already have
 * leaked, and the operator should know. Every agency secret (TLS key, signing seed, and the linkage
 * secret given with --secret-file) is read through this module, so the rule holds for all of them.
 * (The broker has its own copy of these few lines: the two packages share no code.)
 */

export function ensureKeyDir(keyDir: string): void {
  mkdirSync(keyDir, { recursive: true, mode: 0o700 });
}

function refuseShared(file: string, mode: number): void {
  if (process.platform === 'win32') return;
  if ((mode & 0o077) !== 0) {
    throw new Error(
      `${file} has mode ${(mode & 0o777).toString(8)}; a secret file must be readable by its owner only (chmod 600)`,
    );
  }
}

/** Throws if a secret file is readable or writable by group or others (POSIX only). */
export function assertOwnerOnly(file: string): void {
  refuseShared(file, statSync(file).mode);
}

/** Reads a key file from the key directory (UTF-8), refusing it if others can read it. */
export function readKeyFile(file: string): string {
  assertOwnerOnly(file);
  return readFileSync(file, 'utf8');
}

/**
 * Reads the linkage secret: the UTF-8 bytes of the file minus one trailing newline (LF or CRLF).
 * The file is refused, like a key file, if group or others can read it.
 */
export async function readSecretFile(path: string): Promise<Uint8Array> {
  let bytes: Buffer;
  let mode: number;
  try {
    const handle = await open(path, 'r');
    try {
      mode = (await handle.stat()).mode;
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (e) {
    throw new Error(`cannot read secret file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  refuseShared(path, mode);
  if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0a) {
    bytes = bytes.subarray(0, bytes.length - (bytes.length > 1 && bytes[bytes.length - 2] === 0x0d ? 2 : 1));
  }
  if (bytes.length === 0) throw new Error(`secret file ${path} is empty`);
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`secret file ${path} is not valid UTF-8`);
  }
  return new Uint8Array(bytes);
}

/** Writes (or replaces) a file atomically via a temporary file and rename. */
export function replaceFile(file: string, content: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode, flag: 'w' });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

/** Reads `name`, creating it with `create()` (mode 0600, `wx` so a concurrent creator wins cleanly) if absent. */
export function readOrCreateSecretFile(keyDir: string, name: string, create: () => string): string {
  ensureKeyDir(keyDir);
  const file = join(keyDir, name);
  if (!existsSync(file)) {
    try {
      writeFileSync(file, create(), { mode: 0o600, flag: 'wx' });
      chmodSync(file, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return readKeyFile(file);
}
