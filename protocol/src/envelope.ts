import Type, { type Static } from 'typebox';

/**
 * Wire format of a sealed, signed submission: a proxy that terminates TLS still sees nothing of the
 * encodings, and the broker can prove which agency sent what.
 *
 * - digest: SHA-256 of the submission body bytes, lower-case hex.
 * - signature: detached Ed25519 (agency key registered at enrolment) over
 *   UTF-8(SUBMISSION_SIGNATURE_CONTEXT) ‖ 0x00 ‖ the 32 digest bytes; standard base64 with padding.
 * - sealed: crypto_box_seal(body, broker X25519 public key); standard base64 with padding.
 */

export const SUBMISSION_ENVELOPE_ALG = 'ed25519+x25519-sealedbox';
export const SUBMISSION_SIGNATURE_CONTEXT = 'blindlink/submission/v1';

export const SubmissionEnvelope = Type.Object(
  {
    alg: Type.Literal(SUBMISSION_ENVELOPE_ALG),
    digest: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256 of the body, hex' }),
    signature: Type.String({ pattern: '^[A-Za-z0-9+/]{86}==$', description: 'Ed25519 detached signature, base64' }),
    sealed: Type.String({
      minLength: 64,
      pattern: '^[A-Za-z0-9+/]*={0,2}$',
      description: 'crypto_box_seal of the body to the broker X25519 key, base64',
    }),
  },
  { $id: 'SubmissionEnvelope', additionalProperties: false },
);
export type SubmissionEnvelope = Static<typeof SubmissionEnvelope>;

/**
 * The exact bytes an agency signs and the broker verifies: UTF-8(context) ‖ 0x00 ‖ the 32 digest
 * bytes. The context is SUBMISSION_SIGNATURE_CONTEXT for a single-body submission, or
 * UPLOAD_MANIFEST_SIGNATURE_CONTEXT (uploads.ts) for a chunked upload's manifest.
 */
export function submissionSignedMessage(
  digestHex: string,
  signatureContext: string = SUBMISSION_SIGNATURE_CONTEXT,
): Uint8Array {
  const context = Buffer.from(signatureContext, 'utf8');
  return new Uint8Array(Buffer.concat([context, Buffer.from([0]), Buffer.from(digestHex, 'hex')]));
}
