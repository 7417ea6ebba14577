import { createHash } from 'node:crypto';
import sodium from 'libsodium-wrappers';
import {
  SUBMISSION_ENVELOPE_ALG,
  SUBMISSION_SIGNATURE_CONTEXT,
  submissionSignedMessage,
  type SubmissionEnvelope,
} from '@blindlink/protocol';

/**
 * Agency side of submission envelopes (wire type in @blindlink/protocol; the broker opens them in
 * broker/src/trust/submission-envelope.ts):
 * - digest: SHA-256 of the body bytes, lower-case hex;
 * - signature: detached Ed25519 over submissionSignedMessage (protocol), base64;
 * - sealed: crypto_box_seal(body, broker X25519 public key), base64.
 * Sealing to the broker's key means a proxy that terminates TLS still sees only ciphertext.
 */

/**
 * Signs and seals a submission body. `brokerSealingPublicKey` is the broker's X25519 key (raw or
 * base64, as the broker publishes it); `agencySigningSecretKey` the 64-byte libsodium Ed25519 secret key.
 */
export async function sealSubmission(
  body: Uint8Array,
  brokerSealingPublicKey: Uint8Array | string,
  agencySigningSecretKey: Uint8Array,
  /** The single-body submission context, or UPLOAD_MANIFEST_SIGNATURE_CONTEXT for a chunked upload's manifest. */
  signatureContext: string = SUBMISSION_SIGNATURE_CONTEXT,
): Promise<SubmissionEnvelope> {
  await sodium.ready;
  const brokerKey =
    typeof brokerSealingPublicKey === 'string'
      ? new Uint8Array(Buffer.from(brokerSealingPublicKey, 'base64'))
      : brokerSealingPublicKey;
  if (brokerKey.length !== sodium.crypto_box_PUBLICKEYBYTES)
    throw new Error('the broker sealing key must be a 32-byte X25519 public key');
  if (agencySigningSecretKey.length !== sodium.crypto_sign_SECRETKEYBYTES)
    throw new Error('the agency signing key must be a 64-byte Ed25519 secret key');
  const digest = createHash('sha256').update(body).digest('hex');
  const signature = sodium.crypto_sign_detached(
    submissionSignedMessage(digest, signatureContext),
    agencySigningSecretKey,
  );
  const sealed = sodium.crypto_box_seal(body, brokerKey);
  return {
    alg: SUBMISSION_ENVELOPE_ALG,
    digest,
    signature: Buffer.from(signature).toString('base64'),
    sealed: Buffer.from(sealed).toString('base64'),
  };
}
