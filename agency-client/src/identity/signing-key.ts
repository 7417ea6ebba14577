import { randomBytes } from 'node:crypto';
import sodium from 'libsodium-wrappers';
import { readOrCreateSecretFile } from './key-files.js';

/**
 * The agency's Ed25519 signing key (libsodium), kept in the agency key directory beside the TLS key.
 * Its public half is registered with the broker at enrolment; every submission digest is signed with
 * it, so the broker can later show which agency sent what. The file holds the 32-byte seed (base64).
 */

export const AGENCY_SIGNING_SEED_FILE = 'agency-signing.ed25519.seed';

export interface AgencySigningKey {
  publicKey: Uint8Array;
  publicKeyBase64: string;
  /** 64-byte libsodium secret key (seed ‖ public key). */
  secretKey: Uint8Array;
}

export async function signingKeyFromSeed(seed: Uint8Array): Promise<AgencySigningKey> {
  await sodium.ready;
  const kp = sodium.crypto_sign_seed_keypair(seed);
  return {
    publicKey: kp.publicKey,
    publicKeyBase64: Buffer.from(kp.publicKey).toString('base64'),
    secretKey: kp.privateKey,
  };
}

export async function loadOrCreateAgencySigningKey(keyDir: string): Promise<AgencySigningKey> {
  await sodium.ready;
  const text = readOrCreateSecretFile(
    keyDir,
    AGENCY_SIGNING_SEED_FILE,
    () => randomBytes(sodium.crypto_sign_SEEDBYTES).toString('base64') + '\n',
  );
  const seed = Buffer.from(text.trim(), 'base64');
  if (seed.length !== sodium.crypto_sign_SEEDBYTES)
    throw new Error(`${AGENCY_SIGNING_SEED_FILE} holds ${seed.length} bytes; expected ${sodium.crypto_sign_SEEDBYTES}`);
  return signingKeyFromSeed(new Uint8Array(seed));
}
