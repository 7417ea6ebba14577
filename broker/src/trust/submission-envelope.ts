import { createHash } from 'node:crypto';
import {
  SUBMISSION_ENVELOPE_ALG,
  SUBMISSION_SIGNATURE_CONTEXT,
  submissionSignedMessage,
  type SubmissionEnvelope,
} from '@blindlink/protocol';
import { verifySignature, type BrokerKeyring } from './keys.js';
import { decodeBase64Strict } from './sodium.js';

/**
 * Broker side of submission envelopes (format in @blindlink/protocol envelope.ts). The broker checks that the
 * registered agency key signed the digest, opens the sealed box, and checks the body matches the
 * digest, before anything is stored. It keeps digest and signature as evidence of what the agency sent.
 */

export type EnvelopeProblem = 'bad-envelope' | 'signature' | 'sealed-box' | 'digest';

export class EnvelopeError extends Error {
  constructor(
    readonly problem: EnvelopeProblem,
    message: string,
  ) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

export interface OpenedSubmission {
  body: Uint8Array;
  /** Keep these two for non-repudiation: with the agency's public key they prove what it sent. */
  digest: string;
  signature: string;
}

export async function openSubmission(
  envelope: SubmissionEnvelope,
  agencySigningPublicKey: Uint8Array | string,
  keys: BrokerKeyring,
  /** What the signature is over: a single-body submission, or an upload manifest (protocol uploads.ts). */
  signatureContext: string = SUBMISSION_SIGNATURE_CONTEXT,
): Promise<OpenedSubmission> {
  if (envelope.alg !== SUBMISSION_ENVELOPE_ALG)
    throw new EnvelopeError('bad-envelope', `unsupported envelope algorithm ${JSON.stringify(envelope.alg)}`);
  if (typeof envelope.digest !== 'string' || !/^[0-9a-f]{64}$/.test(envelope.digest)) {
    throw new EnvelopeError('bad-envelope', 'envelope digest must be 64 lower-case hex digits');
  }
  let signature: Uint8Array;
  let sealed: Uint8Array;
  try {
    signature = decodeBase64Strict(envelope.signature, 'envelope signature');
    sealed = decodeBase64Strict(envelope.sealed, 'envelope payload');
  } catch (err) {
    throw new EnvelopeError('bad-envelope', (err as Error).message);
  }
  if (
    !(await verifySignature(
      agencySigningPublicKey,
      submissionSignedMessage(envelope.digest, signatureContext),
      signature,
    ))
  ) {
    throw new EnvelopeError('signature', 'signature does not verify');
  }
  let body: Uint8Array;
  try {
    body = keys.sealedOpen(sealed);
  } catch {
    throw new EnvelopeError('sealed-box', 'cannot open sealed box');
  }
  if (createHash('sha256').update(body).digest('hex') !== envelope.digest)
    throw new EnvelopeError('digest', 'digest mismatch');
  return { body, digest: envelope.digest, signature: envelope.signature };
}
