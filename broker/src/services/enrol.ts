import type { CertificateResponse, EnrolRequest } from '@blindlink/protocol';
import * as registry from '../agencies/registry.js';
import type { AuditNote } from './audit-note.js';
import type { ServiceDeps } from './deps.js';

/**
 * An agency's certificates: enrolled once with a one-time code, then renewed over mutual TLS with the
 * current one. Either answer carries what the agency pins: the CA and the broker's public keys.
 */

type Deps = Pick<ServiceDeps, 'db' | 'ca' | 'keys'>;

function certificateAnswer({ ca, keys }: Deps, cert: { certPem: string; notAfter: Date }): CertificateResponse {
  return {
    certificate: cert.certPem,
    caCertificate: ca.certPem,
    notAfter: cert.notAfter.toISOString(),
    brokerSigningPublicKey: keys.signingPublicKeyBase64,
    brokerSealingPublicKey: keys.sealingPublicKeyBase64,
  };
}

/** One-time code + CSR + signing key → client certificate. */
export async function enrol(deps: Deps, request: EnrolRequest, audit: AuditNote): Promise<CertificateResponse> {
  const cert = await registry.enrolAgency(deps.db, deps.ca, {
    agency: request.agency,
    code: request.code,
    csrPem: request.csr,
    signingPublicKey: request.signingPublicKey,
  });
  audit.reason = `agency ${request.agency} enrolled; certificate ${cert.serialHex}`;
  return certificateAnswer(deps, cert);
}

/** A new certificate for the agency behind the current one, which is revoked. */
export async function renewCertificate(
  deps: Deps,
  { peer, csr }: { peer: { agency: string; serialHex: string }; csr: string },
  audit: AuditNote,
): Promise<CertificateResponse> {
  const cert = await registry.renewCertificate(deps.db, deps.ca, peer.agency, peer.serialHex, csr);
  audit.reason = `certificate ${peer.serialHex} replaced by ${cert.serialHex}`;
  return certificateAnswer(deps, cert);
}
