import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The agency's key directory: owner-only (0700), secret files 0600. A secret file readable by others
 * is refused rather than used, as OpenSSH does. (The broker has its own copy of these few lines: the
 * two packages share no code.)
 */

export function ensureKeyDir(keyDir: string): void {
  mkdirSync(keyDir, { recursive: true, mode: 0o700 });
}

export function assertOwnerOnly(file: string): void {
  if (process.platform === 'win32') return;
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new Error(
      `${file} has mode ${mode.toString(8)}; a secret file must be readable by its owner only (chmod 600)`,
    );
  }
}

export function readSecretFile(file: string): string {
  assertOwnerOnly(file);
  return readFileSync(file, 'utf8');
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
  return readSecretFile(file);
}
