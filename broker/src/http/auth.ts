import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { ProtocolError } from '@blindlink/protocol';
import { issuedCertificate } from '../agencies/registry.js';
import type { Database } from '../db/schema.js';
import { agencyPeer, type PeerSocket } from '../trust/tls-options.js';
import { checkCertificateBinding } from '../trust/cert-binding.js';
import { sessionIsCurrent } from '../people/sessions.js';
import { RevocationList } from '../trust/revocation.js';
import type { Role } from '../services/caller.js';
import { toProtocolError } from './errors.js';
import type { Principal } from './principal.js';

/** Access tokens are short-lived: a leaked one is useful for minutes, not days. */
export const ACCESS_TOKEN_SECONDS = 15 * 60;

export async function registerAuth(app: FastifyInstance, signingKey: Buffer): Promise<void> {
  await app.register(fastifyJwt, {
    secret: signingKey,
    sign: { algorithm: 'HS256', expiresIn: ACCESS_TOKEN_SECONDS, iss: 'blindlink-broker' },
    verify: { algorithms: ['HS256'], allowedIss: 'blindlink-broker' },
  });
}

/**
 * The agency behind this TLS connection: a client certificate issued by our CA, for an agency, not
 * revoked (checked in the database on every request, so a revocation applies at once).
 */
export async function peerAgency(db: Kysely<Database>, request: FastifyRequest) {
  const socket = request.raw.socket as unknown as PeerSocket;
  const first = agencyPeer(socket, new RevocationList());
  if (!first.ok) throw new ProtocolError('unauthenticated', `mutual TLS: ${first.reason}`);
  const cert = await issuedCertificate(db, first.peer.serialHex);
  if (!cert)
    throw new ProtocolError(
      'unauthenticated',
      'mutual TLS: the client certificate is not one this broker issued to an enrolled agency',
    );
  if (cert.revokedAt && cert.revokedAt.getTime() <= Date.now())
    throw new ProtocolError('unauthenticated', 'mutual TLS: the client certificate has been revoked');
  return first.peer;
}

async function verifiedPrincipal(request: FastifyRequest): Promise<Principal> {
  try {
    await request.jwtVerify();
  } catch (err) {
    // Whatever is wrong with a presented token (unsigned, another algorithm, malformed, tampered),
    // the answer is the same 401: never a 400 or 500 that tells a forger which check caught him.
    const perr = toProtocolError(err);
    if (perr.code === 'unauthenticated' || perr.code === 'token-expired') throw perr;
    throw new ProtocolError('token-invalid', 'the access token is not valid');
  }
  return request.user;
}

/**
 * preHandler factory: the caller must hold one of these roles. A person's token must name their current
 * session (a logout ends it). Agency tokens are also bound to the certificate of the connection they
 * arrive on: a token replayed over another certificate is refused.
 */
export function requireRole(db: Kysely<Database>, ...roles: Role[]) {
  return async (request: FastifyRequest): Promise<void> => {
    const principal = await verifiedPrincipal(request);
    if (principal.role !== 'agency' && !(await sessionIsCurrent(db, principal)))
      throw new ProtocolError('token-invalid', 'the session has ended (logged out): log in again');
    if (!roles.includes(principal.role)) {
      throw new ProtocolError(
        'forbidden',
        `this route is for ${roles.join(' or ')}; the caller is ` +
          `${principal.role === 'ig-lead' ? 'an' : 'a'} ${principal.role}`,
      );
    }
    if (principal.role === 'agency') {
      const peer = await peerAgency(db, request);
      const binding = checkCertificateBinding(principal, peer.der);
      if (!binding.ok)
        throw new ProtocolError('token-invalid', `the access token is bound to another certificate: ${binding.reason}`);
      if (peer.agency !== principal.sub)
        throw new ProtocolError('token-invalid', 'the access token was issued to another agency');
    }
  };
}
