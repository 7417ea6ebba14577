import type {} from '@fastify/jwt';
import { createSigner } from 'fast-jwt';
import { addPerson, registerAgency, revokeAgency } from '@blindlink/broker';
import { IG_PASSWORD, loginAs, tokenFor, type TestBroker } from './in-process.js';

/** Every kind of caller the authorisation matrix tries on every route. */
export const CALLER_KINDS = [
  'none',
  'expired',
  'forged',
  'revoked',
  'wrongAgency',
  'agency',
  'analyst',
  'igLead',
  'admin',
] as const;
export type CallerKind = (typeof CALLER_KINDS)[number];

/** The roles a route may admit, named as the matrix names callers. */
export type RoleKind = 'agency' | 'analyst' | 'igLead' | 'admin';

export interface Caller {
  /** Client certificate presented (an enrolled agency's), if any. */
  as?: string;
  token?: string;
}

export interface Callers {
  /** The genuine callers. */
  agency: Caller;
  wrongAgency: Caller;
  revoked: Caller;
  analyst: Caller;
  igLead: Caller;
  admin: Caller;
  /** Tokens carrying a real principal's claims that have expired, or were never signed by the broker. */
  expired(role: RoleKind): Caller[];
  forged(role: RoleKind): Caller[];
}

export const ADMIN = { username: 'ada', password: 'purple elephants dance quietly 17' };
export const ANALYST = { username: 'ann', password: 'seventeen green bottles 4 sale', purpose: 'testing' };

function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function claimsOnly(payload: Record<string, unknown>): Record<string, unknown> {
  const { iat: _iat, exp: _exp, iss: _iss, nbf: _nbf, ...rest } = payload;
  return rest;
}

/**
 * Set up every kind of caller on a testBroker: agency alpha over its own certificate, alpha's token over
 * beta's certificate, gamma's token after gamma is revoked, an admin, an analyst assigned to 'testing',
 * the IG lead iggy, and expired and forged tokens carrying each of their claims. Revokes gamma.
 */
export async function makeCallers(b: TestBroker): Promise<Callers> {
  await addPerson(b.db, { username: ADMIN.username, role: 'admin', password: ADMIN.password, createdBy: 'test' });
  await addPerson(b.db, {
    username: ANALYST.username,
    role: 'analyst',
    password: ANALYST.password,
    createdBy: 'test',
    purposes: [ANALYST.purpose],
  });
  const alpha = await tokenFor(b, 'alpha');
  const gamma = await tokenFor(b, 'gamma');
  await revokeAgency(b.db, 'gamma');
  const people = {
    analyst: await loginAs(b, ANALYST.username, ANALYST.password),
    igLead: await loginAs(b, 'iggy', IG_PASSWORD),
    admin: await loginAs(b, ADMIN.username, ADMIN.password),
  };
  const claims: Record<RoleKind, Record<string, unknown>> = {
    agency: claimsOnly(decodePayload(alpha)),
    analyst: claimsOnly(decodePayload(people.analyst)),
    igLead: claimsOnly(decodePayload(people.igLead)),
    admin: claimsOnly(decodePayload(people.admin)),
  };
  // Expired and forged tokens arrive over alpha's certificate, so the token is the only thing wrong.
  const expired = (role: RoleKind): Caller[] => [
    {
      as: 'alpha',
      token: b.app.jwt.sign(claims[role] as never, { expiresIn: 1, clockTimestamp: Date.now() - 3_600_000 } as never),
    },
  ];
  const wrongKey = createSigner({
    key: 'not the broker key at all, 32 bytes+',
    algorithm: 'HS256',
    iss: 'blindlink-broker',
    expiresIn: 600_000,
  });
  const unsigned = createSigner({ algorithm: 'none', iss: 'blindlink-broker', expiresIn: 600_000 });
  const forged = (role: RoleKind): Caller[] => {
    // A genuine agency token with its payload edited to claim this role: the signature no longer fits.
    // (its expiry is pushed out too, so even the agency's own claims are an edit).
    const [h, p, s] = alpha.split('.');
    const genuine = decodePayload(alpha);
    const edited = Buffer.from(
      JSON.stringify({ ...genuine, ...claims[role], exp: Number(genuine.exp) + 86_400 }),
    ).toString('base64url');
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    return [
      { as: 'alpha', token: wrongKey(claims[role]) },
      { as: 'alpha', token: unsigned(claims[role]) },
      { as: 'alpha', token: `${h}.${edited}.${s}` },
      // Not a JWT at all, and one naming an algorithm the broker does not accept.
      { as: 'alpha', token: 'not.a.jwt' },
      { as: 'alpha', token: `${b64({ alg: 'RS256', typ: 'JWT' })}.${p}.${s}` },
    ];
  };
  return {
    agency: { as: 'alpha', token: alpha },
    wrongAgency: { as: 'beta', token: alpha },
    revoked: { as: 'gamma', token: gamma },
    analyst: { token: people.analyst },
    igLead: { token: people.igLead },
    admin: { token: people.admin },
    expired,
    forged,
  };
}

/** An agency registered but never enrolled: a harmless target for admin routes that take :agency. */
export async function registerSpareAgency(b: TestBroker, slug = 'delta'): Promise<string> {
  await registerAgency(b.db, slug, slug);
  return slug;
}
