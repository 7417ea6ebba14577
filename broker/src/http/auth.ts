import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ProtocolError } from '@blindlink/protocol';
import { toProtocolError } from './errors.js';

export interface Principal {
  sub: string;
  role: 'agency';
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: Principal;
    user: Principal;
  }
}

/** Access tokens are short-lived: a leaked one is useful for minutes, not days. */
export const ACCESS_TOKEN_SECONDS = 15 * 60;

export async function registerAuth(app: FastifyInstance, signingKey: Buffer): Promise<void> {
  await app.register(fastifyJwt, {
    secret: signingKey,
    sign: { algorithm: 'HS256', expiresIn: ACCESS_TOKEN_SECONDS, iss: 'blindlink-broker' },
    verify: { algorithms: ['HS256'], allowedIss: 'blindlink-broker' },
  });
}

/** preHandler for routes that need an authenticated agency. */
export async function requireAgency(request: FastifyRequest): Promise<void> {
  try {
    await request.jwtVerify();
  } catch (err) {
    throw toProtocolError(err);
  }
  if (request.user.role !== 'agency') throw new ProtocolError('forbidden', 'this route is for agencies');
}
