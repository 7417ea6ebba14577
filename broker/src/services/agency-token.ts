import { certificateConfirmation } from '../trust/cert-binding.js';
import type { AuditNote } from './audit-note.js';

/**
 * The claims of an agency's access token, bound to the certificate of the connection it asked over
 * (RFC 8705): the transport has already checked that certificate is ours, live and the agency's.
 */
export function agencyTokenClaims(
  peer: { agency: string; serialHex: string; thumbprint: string },
  audit: AuditNote,
): { sub: string; role: 'agency'; cnf: { 'x5t#S256': string } } {
  audit.reason = `access token issued to ${peer.agency} bound to certificate ${peer.serialHex}`;
  return { sub: peer.agency, role: 'agency' as const, ...certificateConfirmation(peer.thumbprint) };
}
