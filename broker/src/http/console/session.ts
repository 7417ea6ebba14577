import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ProtocolError } from '@blindlink/protocol';
import type { PersonRole } from '../../db/schema.js';
import type { Caller } from '../../services/caller.js';
import { ACCESS_TOKEN_SECONDS } from '../auth.js';
import type { Principal } from '../principal.js';

/**
 * A person's console session: the same signed, 15-minute access token the API issues at /v1/login,
 * carried in a cookie a script cannot read (HttpOnly), sent only over HTTPS (Secure) and never on a
 * request another site starts (SameSite=Strict). Each page a person opens issues a fresh one, so a
 * session ends after 15 idle minutes; logging out clears it.
 */
export const SESSION_COOKIE = 'blindlink_session';

const COOKIE = { path: '/', httpOnly: true, secure: true, sameSite: 'strict', maxAge: ACCESS_TOKEN_SECONDS } as const;

export function startSession(app: FastifyInstance, reply: FastifyReply, who: Caller): void {
  reply.setCookie(SESSION_COOKIE, app.jwt.sign({ sub: who.sub, role: who.role }), COOKIE);
}

export function endSession(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/' });
}

/** The person behind the session cookie, or null (none, expired, forged). */
export function sessionPerson(app: FastifyInstance, request: FastifyRequest): Principal | null {
  const token = request.cookies[SESSION_COOKIE];
  if (!token) return null;
  try {
    const p = app.jwt.verify<Principal>(token);
    return { sub: p.sub, role: p.role };
  } catch {
    return null;
  }
}

/**
 * onRequest hook of a console page: a person in one of these roles. Without a valid session the
 * browser is sent to the login page (303); a session of another role (or an agency's token) is
 * refused with 403, and the page says which role it needs.
 */
export function requirePerson(app: FastifyInstance, ...roles: PersonRole[]) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const who = sessionPerson(app, request);
    if (!who) {
      request.audit.reason = 'no console session: sent to log in';
      return reply.redirect('/login', 303);
    }
    request.user = who; // audited as this person, refused or not
    if (!roles.includes(who.role as PersonRole)) {
      throw new ProtocolError('forbidden', `this page is for ${roles.join(' or ')}; you are signed in as ${who.role}`);
    }
    startSession(app, reply, who);
  };
}
