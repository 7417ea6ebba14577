import { randomBytes, randomFillSync } from 'node:crypto';
import { auditKeyId } from '@blindlink/protocol';
import { readOrCreateSecretBytes } from './key-files.js';
import { decodeBase64Strict, sodiumReady, type Sodium } from './sodium.js';

/**
 * The broker's libsodium keys, all in the key directory (0600 files, never in the database):
 * - an Ed25519 signing key, for audit checkpoints (anyone with the public key can check them offline);
 * - an X25519 sealing key, to which agencies seal submissions, so a proxy that terminates TLS sees
 *   nothing;
 * - a 32-byte data-at-rest key for XChaCha20-Poly1305, so a database dump holds no readable encodings.
 * The files hold 32-byte seeds; the key pairs are derived from them, so a file is the whole key.
 */

export const SIGNING_SEED_FILE = 'broker-signing.ed25519.seed';
export const SEALING_SEED_FILE = 'broker-sealing.x25519.seed';
export const DATA_KEY_FILE = 'data-at-rest.key';

export interface BrokerKeySeeds {
  signingSeed: Uint8Array;
  sealingSeed: Uint8Array;
  dataKey: Uint8Array;
}

/**
 * Associated data for at-rest encryption from several parts (e.g. submission id, row token). Each part
 * is length-prefixed so ('ab','c') and ('a','bc') differ: a ciphertext moved to another row fails.
 */
export function atRestAad(...parts: string[]): Uint8Array {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const b = Buffer.from(p, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    chunks.push(len, b);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

const toBytes = (aad: Uint8Array | string): Uint8Array =>
  typeof aad === 'string' ? new Uint8Array(Buffer.from(aad, 'utf8')) : aad;

export class BrokerKeyring {
  readonly #sodium: Sodium;
  readonly #signingSecret: Uint8Array;
  readonly #sealingSecret: Uint8Array;
  readonly #dataKey: Uint8Array;
  readonly signingPublicKey: Uint8Array;
  readonly sealingPublicKey: Uint8Array;
  readonly keyId: string;

  private constructor(sodium: Sodium, seeds: BrokerKeySeeds) {
    if (seeds.dataKey.length !== sodium.crypto_aead_xchacha20poly1305_ietf_KEYBYTES)
      throw new Error('the data-at-rest key must be 32 bytes');
    this.#sodium = sodium;
    const signing = sodium.crypto_sign_seed_keypair(seeds.signingSeed);
    const sealing = sodium.crypto_box_seed_keypair(seeds.sealingSeed);
    this.#signingSecret = signing.privateKey;
    this.#sealingSecret = sealing.privateKey;
    this.#dataKey = new Uint8Array(seeds.dataKey);
    this.signingPublicKey = signing.publicKey;
    this.sealingPublicKey = sealing.publicKey;
    this.keyId = auditKeyId(signing.publicKey); // named in each checkpoint and receipt: a rotated key shows
  }

  /** From explicit seeds (tests, or keys held elsewhere than files). */
  static async fromSeeds(seeds: BrokerKeySeeds): Promise<BrokerKeyring> {
    return new BrokerKeyring(await sodiumReady(), seeds);
  }

  /** Loads the three key files from `keyDir`, creating any that are missing (mode 0600). */
  static async loadOrCreate(keyDir: string): Promise<BrokerKeyring> {
    const sodium = await sodiumReady();
    const random = (n: number) => new Uint8Array(randomBytes(n));
    return new BrokerKeyring(sodium, {
      signingSeed: readOrCreateSecretBytes(keyDir, SIGNING_SEED_FILE, sodium.crypto_sign_SEEDBYTES, random),
      sealingSeed: readOrCreateSecretBytes(keyDir, SEALING_SEED_FILE, sodium.crypto_box_SEEDBYTES, random),
      dataKey: readOrCreateSecretBytes(
        keyDir,
        DATA_KEY_FILE,
        sodium.crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
        random,
      ),
    });
  }

  get signingPublicKeyBase64(): string {
    return Buffer.from(this.signingPublicKey).toString('base64');
  }

  /** Published to agencies (e.g. in the enrolment answer) as the key to seal submissions to. */
  get sealingPublicKeyBase64(): string {
    return Buffer.from(this.sealingPublicKey).toString('base64');
  }

  /** Detached Ed25519 signature (64 bytes). Callers add their own context string to `message`. */
  sign(message: Uint8Array): Uint8Array {
    return this.#sodium.crypto_sign_detached(message, this.#signingSecret);
  }

  /** crypto_box_seal_open with the broker's sealing key pair. */
  sealedOpen(ciphertext: Uint8Array): Uint8Array {
    try {
      return this.#sodium.crypto_box_seal_open(ciphertext, this.sealingPublicKey, this.#sealingSecret);
    } catch {
      throw new Error('cannot open sealed box');
    }
  }

  /** XChaCha20-Poly1305 with a random 24-byte nonce, returned as nonce ‖ ciphertext ‖ tag. */
  encryptAtRest(plaintext: Uint8Array, aad: Uint8Array | string): Uint8Array {
    const s = this.#sodium;
    // node:crypto's CSPRNG: libsodium-wrappers' randombytes_buf costs ~0.5 ms a call in Node, which
    // was most of the time spent storing a large submission (one nonce per encoding).
    const nonce = randomFillSync(new Uint8Array(s.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES));
    const ct = s.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, toBytes(aad), null, nonce, this.#dataKey);
    const out = new Uint8Array(nonce.length + ct.length);
    out.set(nonce, 0);
    out.set(ct, nonce.length);
    return out;
  }

  /** Inverse of encryptAtRest; throws if the key, the associated data or any byte differs. */
  decryptAtRest(ciphertext: Uint8Array, aad: Uint8Array | string): Uint8Array {
    const s = this.#sodium;
    const n = s.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
    if (ciphertext.length < n + s.crypto_aead_xchacha20poly1305_ietf_ABYTES)
      throw new Error('at-rest ciphertext is too short');
    try {
      return s.crypto_aead_xchacha20poly1305_ietf_decrypt(
        null,
        ciphertext.subarray(n),
        toBytes(aad),
        ciphertext.subarray(0, n),
        this.#dataKey,
      );
    } catch {
      throw new Error('cannot decrypt at-rest data: wrong key, wrong row, or altered bytes');
    }
  }
}

export async function loadOrCreateBrokerKeys(keyDir: string): Promise<BrokerKeyring> {
  return BrokerKeyring.loadOrCreate(keyDir);
}

/** Checks a detached Ed25519 signature; the public key may be raw bytes or base64. Never throws on bad input. */
export async function verifySignature(
  publicKey: Uint8Array | string,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const sodium = await sodiumReady();
  let pk: Uint8Array;
  try {
    pk = typeof publicKey === 'string' ? decodeBase64Strict(publicKey, 'public key') : publicKey;
  } catch {
    return false;
  }
  if (pk.length !== sodium.crypto_sign_PUBLICKEYBYTES || signature.length !== sodium.crypto_sign_BYTES) return false;
  try {
    return sodium.crypto_sign_verify_detached(signature, message, pk);
  } catch {
    return false;
  }
}
