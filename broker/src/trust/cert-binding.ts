import { timingSafeEqual } from 'node:crypto';
import { certificateThumbprint } from './ca.js';

/**
 * Certificate-bound access tokens (OAuth 2.0 mutual TLS, RFC 8705 §3): the token carries
 * `cnf: { 'x5t#S256': base64url(SHA-256(DER of the client certificate)) }`, and the broker accepts it
 * only over a TLS connection whose client certificate has that thumbprint. A stolen token is then
 * useless without the agency's private key.
 */

export interface CertificateConfirmation {
  'x5t#S256': string;
}

/** The `cnf` claim to put in an access token issued to the holder of this certificate. */
export function certificateConfirmation(thumbprint: string): { cnf: CertificateConfirmation } {
  return { cnf: { 'x5t#S256': thumbprint } };
}

export type BindingCheck = { ok: true } | { ok: false; reason: string };

/** Checks a verified token's claims against the DER of the certificate the client presented on this connection. */
export function checkCertificateBinding(
  claims: { cnf?: unknown },
  peerCertificateDer: Uint8Array | null | undefined,
): BindingCheck {
  const cnf = claims.cnf as Partial<CertificateConfirmation> | undefined;
  const bound = cnf && typeof cnf === 'object' ? cnf['x5t#S256'] : undefined;
  if (typeof bound !== 'string' || bound.length === 0)
    return { ok: false, reason: 'token is not bound to a client certificate' };
  if (!peerCertificateDer || peerCertificateDer.length === 0)
    return { ok: false, reason: 'no client certificate was presented' };
  const presented = Buffer.from(certificateThumbprint(peerCertificateDer), 'utf8');
  const expected = Buffer.from(bound, 'utf8');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    return { ok: false, reason: 'token was issued for another client certificate' };
  }
  return { ok: true };
}
