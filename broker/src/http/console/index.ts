import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import fastifyView from '@fastify/view';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import nunjucks from 'nunjucks';
import { noteFailure } from '../../services/audit-note.js';
import { bodyLimitOf } from '../body-limits.js';
import { errorHeaders, toProtocolError } from '../errors.js';
import type { RouteDeps } from '../route-deps.js';
import { adminPages } from './admin-pages.js';
import { analystPages } from './analyst-pages.js';
import { ASSETS_PREFIX } from './assets.js';
import { auditPages } from './audit-pages.js';
import { loginPages } from './login-pages.js';
import { policyPages } from './policy-pages.js';
import { publicPages } from './public-pages.js';
import { sessionPerson } from './session.js';

/**
 * The web console for people (admins, analysts, IG leads) and the public transparency page, served by
 * the broker beside its API: GOV.UK Design System (govuk-frontend) pages rendered on the server from
 * nunjucks templates, working without JavaScript. Every page calls the same services as the JSON
 * routes and is audited like them. Forms carry a CSRF token; the session is a cookie (session.ts).
 */

const here = dirname(fileURLToPath(import.meta.url));
/** broker/views (templates are not compiled: they sit beside src/ and dist/). */
export const VIEWS_DIR = join(here, '..', '..', '..', 'views');
const GOVUK_DIST = join(dirname(createRequire(import.meta.url).resolve('govuk-frontend/package.json')), 'dist');

declare module 'fastify' {
  interface FastifyReply {
    /** Render a console page with what every page needs (who is signed in, the CSRF token). */
    page(template: string, data?: Record<string, unknown>): Promise<FastifyReply>;
  }
}

export interface ConsoleDeps extends RouteDeps {
  /** The broker's access-token key: the cookie-signing secret is derived from it, so nothing new is kept. */
  jwtKey: Buffer;
}

export async function consoleRoutes(app: FastifyInstance, { jwtKey, ...deps }: ConsoleDeps): Promise<void> {
  const secret = createHmac('sha256', jwtKey).update('blindlink console cookies').digest('hex');
  await app.register(fastifyCookie, { secret });
  await app.register(fastifyFormbody);
  await app.register(fastifyCsrf, {
    cookieKey: '_csrf',
    cookieOpts: { path: '/', httpOnly: true, secure: true, sameSite: 'strict', signed: true },
    getToken: (request) => (request.body as { _csrf?: string } | undefined)?._csrf,
  });
  await app.register(fastifyView, {
    engine: { nunjucks },
    templates: [VIEWS_DIR, GOVUK_DIST],
    options: {
      onConfigure: (env: nunjucks.Environment) => {
        env.addFilter('date', (d: unknown) =>
          d ? new Date(d as string).toISOString().slice(0, 16).replace('T', ' ') : '',
        );
      },
    },
  });
  await app.register(fastifyStatic, {
    root: [join(GOVUK_DIST, 'govuk', 'assets'), join(GOVUK_DIST, 'govuk'), join(VIEWS_DIR, 'assets')],
    prefix: ASSETS_PREFIX,
    // Only the files a page links to: no directory listing, no source maps, no templates.
    allowedPath: (path) => /\.(css|woff2?|png|svg|ico|js)$/.test(path) && !path.includes('..'),
    index: false,
    maxAge: '1h',
  });

  app.decorateReply('page', async function (this: FastifyReply, template: string, data: Record<string, unknown> = {}) {
    const request = this.request;
    const who = request.user?.sub ? request.user : await sessionPerson(app, deps.db, request);
    return this.type('text/html; charset=utf-8').view(template, {
      ...data,
      who,
      csrfToken: this.generateCsrf(),
      path: request.url.split('?')[0],
    });
  });

  // A console error is a page, not JSON: the same codes and messages as the API, and the same audit note.
  app.setErrorHandler((err, request: FastifyRequest, reply: FastifyReply) => {
    const perr = toProtocolError(err, bodyLimitOf(request));
    if (perr.statusCode >= 500) request.log.error({ err }, 'console request failed');
    errorHeaders(perr, request, reply);
    noteFailure(request.audit, perr);
    return reply.code(perr.statusCode).page('error.njk', { error: { code: perr.code, message: perr.message } });
  });

  for (const pages of [publicPages, loginPages, policyPages, auditPages, analystPages, adminPages]) {
    await pages(app, deps);
  }
}
