import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { ProtocolError } from '@blindlink/protocol';
import type { Database, PersonRole } from '../../db/schema.js';
import { sessionIsCurrent } from '../../people/sessions.js';
import { ACCESS_TOKEN_SECONDS } from '../auth.js';
import type { Principal } from '../principal.js';

/**
 * A person's console session: the same signed, 15-minute access token the API issues at /v1/login,
 * carried in a cookie a script cannot read (HttpOnly), sent only over HTTPS (Secure) and never on a
 * request another site starts (SameSite=Strict). Each page a person opens issues a fresh one, so a
 * session ends after 15 idle minutes; logging out ends it, and every other token the person holds.
 */
export const SESSION_COOKIE = 'blindlink_session';

const COOKIE = { path: '/', httpOnly: true, secure: true, sameSite: 'strict', maxAge: ACCESS_TOKEN_SECONDS } as const;

export function startSession(app: FastifyInstance, reply: FastifyReply, who: Principal): void {
  reply.setCookie(SESSION_COOKIE, app.jwt.sign({ sub: who.sub, role: who.role, ep: who.ep }), COOKIE);
}

export function endSession(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/' });
}

/** The person behind the session cookie, or null (none, expired, forged, logged out). */
export async function sessionPerson(
  app: FastifyInstance,
  db: Kysely<Database>,
  request: FastifyRequest,
): Promise<Principal | null> {
  const token = request.cookies[SESSION_COOKIE];
  if (!token) return null;
  let p: Principal;
  try {
    p = app.jwt.verify<Principal>(token);
  } catch {
    return null;
  }
  if (p.role !== 'agency' && !(await sessionIsCurrent(db, p))) return null;
  return { sub: p.sub, role: p.role, ep: p.ep };
}

/**
 * onRequest hook of a console page: a person in one of these roles. Without a valid session the
 * browser is sent to the login page (303); a session of another role (or an agency's token) is
 * refused with 403, and the page says which role it needs.
 */
export function requirePerson(app: FastifyInstance, db: Kysely<Database>, ...roles: PersonRole[]) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const who = await sessionPerson(app, db, request);
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
