import type { Caller } from '../services/caller.js';

/** The caller an access token names: who and in what role, and for agencies the certificate it is bound to. */
export interface Principal extends Caller {
  /** Agencies only: the SHA-256 thumbprint of the certificate the token was issued over (RFC 8705). */
  cnf?: { 'x5t#S256': string };
  /** People only: the session generation the token was issued in (people/sessions.ts). */
  ep?: number;
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: Principal;
    user: Principal;
  }
}
