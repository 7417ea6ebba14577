import type { PeerCertificate } from 'node:tls';
import { certificateThumbprint, normaliseSerial } from './ca.js';
import type { RevocationList } from './revocation.js';

/**
 * TLS options for the broker's HTTPS server (node:https.createServer or fastify's `https`). The server
 * asks every client for a certificate but does not refuse a connection without one, so people's routes
 * (password login) work from a browser; agency routes call `agencyPeer` and refuse unless the
 * connection carries a valid, unrevoked agency certificate.
 */
export function mutualTlsServerOptions(material: { keyPem: string; certPem: string; caPem: string }) {
  return {
    key: material.keyPem,
    cert: material.certPem,
    ca: [material.caPem],
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2' as const,
  };
}

/** What agencyPeer needs from a socket: node's TLSSocket has all of it (request.socket in fastify). */
export interface PeerSocket {
  authorized?: boolean;
  authorizationError?: Error | string | null;
  getPeerCertificate?: (detailed?: boolean) => PeerCertificate | Record<string, never>;
}

export interface AgencyPeer {
  agency: string;
  serialHex: string;
  /** base64url SHA-256 of the certificate DER, to compare with the token's cnf."x5t#S256". */
  thumbprint: string;
  der: Buffer;
}

export type AgencyPeerCheck = { ok: true; peer: AgencyPeer } | { ok: false; reason: string };

const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const AGENCY_SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * The agency behind this connection, if its certificate chains to the broker CA (OpenSSL checked that
 * during the handshake and set `authorized`), is for client authentication, and is not revoked.
 * Call on every request: revocation must bite on connections that are already open.
 */
export function agencyPeer(socket: PeerSocket, revocations: RevocationList, now = new Date()): AgencyPeerCheck {
  if (typeof socket.getPeerCertificate !== 'function') return { ok: false, reason: 'not a TLS connection' };
  const cert = socket.getPeerCertificate(false) as Partial<PeerCertificate>;
  if (!cert.raw || cert.raw.length === 0) return { ok: false, reason: 'no client certificate was presented' };
  if (socket.authorized !== true) {
    return {
      ok: false,
      reason: `client certificate not accepted: ${String(socket.authorizationError ?? 'not issued by the broker CA')}`,
    };
  }
  if (!(cert.ext_key_usage ?? []).includes(OID_CLIENT_AUTH))
    return { ok: false, reason: 'certificate is not for client authentication' };
  const cn = cert.subject?.CN;
  if (typeof cn !== 'string' || !AGENCY_SLUG.test(cn))
    return { ok: false, reason: 'certificate subject is not an agency' };
  const serialHex = normaliseSerial(cert.serialNumber ?? '');
  if (revocations.isRevoked(serialHex, now)) return { ok: false, reason: 'client certificate has been revoked' };
  return { ok: true, peer: { agency: cn, serialHex, thumbprint: certificateThumbprint(cert.raw), der: cert.raw } };
}
