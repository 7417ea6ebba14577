import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BrokerKeyring, DATA_KEY_FILE, SEALING_SEED_FILE, SIGNING_SEED_FILE } from '../trust/keys.js';
import { decodeBase64Strict } from '../trust/sodium.js';

/**
 * Keys for the audit commands. Signing a checkpoint with a freshly created key would write, forever
 * (checkpoints are append-only), a signature no IG lead can check against the broker's published key;
 * so the audit commands never create keys: the broker's key files must already be there.
 */
export async function loadExistingBrokerKeys(keyDir: string): Promise<BrokerKeyring> {
  const missing = [SIGNING_SEED_FILE, SEALING_SEED_FILE, DATA_KEY_FILE].filter((f) => !existsSync(join(keyDir, f)));
  if (missing.length)
    throw new Error(
      `no broker keys in ${keyDir} (missing ${missing.join(', ')}): give the --data-dir the broker serves from`,
    );
  return BrokerKeyring.loadOrCreate(keyDir);
}

/** Reads a file holding the broker's Ed25519 public key in base64 (as `audit broker-key` prints it). */
export function readBrokerPublicKeyFile(file: string): Uint8Array {
  const text = readFileSync(file, 'utf8').trim();
  const key = decodeBase64Strict(text, `${file}`);
  if (key.length !== 32)
    throw new Error(
      `${file} must hold the broker's Ed25519 public key (32 bytes, base64); it holds ${key.length} bytes`,
    );
  return key;
}
