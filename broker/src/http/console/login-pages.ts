import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { ProtocolError } from '@blindlink/protocol';
import { login } from '../../services/login.js';
import { logout } from '../../services/logout.js';
import type { RouteDeps } from '../route-deps.js';
import { endSession, requirePerson, sessionPerson, startSession } from './session.js';

const CsrfOnly = Type.Object({ _csrf: Type.String({ maxLength: 200 }) }, { additionalProperties: false });
const LoginForm = Type.Object(
  {
    _csrf: Type.String({ maxLength: 200 }),
    username: Type.String({ maxLength: 200 }),
    password: Type.String({ maxLength: 1000 }),
  },
  { additionalProperties: false },
);

/** Signing in and out with the people accounts /v1/login uses: the same lockout, the same audit. */
export async function loginPages(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  app.get('/login', { config: { audit: { action: 'console.login-page' } } }, async (request, reply) => {
    if (await sessionPerson(app, deps.db, request)) return reply.redirect('/', 303);
    return reply.page('login.njk');
  });

  app.post(
    '/login',
    {
      preHandler: app.csrfProtection,
      config: { audit: { action: 'person.login' } },
      schema: { body: LoginForm },
    },
    async (request, reply) => {
      const { username, password } = request.body as { username: string; password: string };
      try {
        const who = await login(deps, { username, password }, request.audit);
        request.user = who;
        startSession(app, reply, who);
        return reply.redirect('/', 303);
      } catch (err) {
        if (!(err instanceof ProtocolError) || (err.statusCode !== 401 && err.statusCode !== 429)) throw err;
        request.audit.decision = 'refused';
        request.audit.reason = `${err.code}: ${err.message}`;
        return reply.code(err.statusCode).page('login.njk', { error: err.message, username });
      }
    },
  );

  app.post(
    '/logout',
    { preHandler: app.csrfProtection, config: { audit: { action: 'console.logout' } }, schema: { body: CsrfOnly } },
    async (request, reply) => {
      const who = await sessionPerson(app, deps.db, request);
      if (who) {
        request.user = who;
        await logout(deps, who, request.audit);
      }
      endSession(reply);
      return reply.redirect('/login', 303);
    },
  );

  app.get(
    '/',
    {
      onRequest: requirePerson(app, deps.db, 'admin', 'analyst', 'ig-lead'),
      config: { audit: { action: 'console.home' } },
    },
    async (_request, reply) => reply.page('home.njk'),
  );
}
