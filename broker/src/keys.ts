import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/**
 * The broker's own secrets live in a key directory on disk, outside the database, so a database dump
 * alone cannot mint tokens. Created on first use with owner-only permissions.
 */
export function loadOrCreateKey(keyDir: string, name: string, bytes = 32): Buffer {
  mkdirSync(keyDir, { recursive: true, mode: 0o700 });
  const file = join(keyDir, name);
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== bytes) throw new Error(`${file} holds ${key.length} bytes; expected ${bytes}`);
    return key;
  }
  const key = randomBytes(bytes);
  writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  return key;
}
