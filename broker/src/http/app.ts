import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { PROTOCOL_VERSION, ProtocolError } from '@blindlink/protocol';
import type { Database } from '../db/schema.js';
import type { CertificateAuthority } from '../trust/ca.js';
import type { BrokerKeyring } from '../trust/keys.js';
import { appendAuditRow } from '../services/audit-row.js';
import { registerAuditHook } from './audit-hook.js';
import { registerAuth } from './auth.js';
import { PUBLIC_BODY_LIMIT, registerBodyLimits } from './body-limits.js';
import { registerErrorHandling } from './error-handler.js';
import { adminRoutes } from './routes/admin.js';
import { auditRoutes } from './routes/audit.js';
import { governanceRoutes } from './routes/governance.js';
import { identityRoutes } from './routes/identity.js';
import { privacyReportRoutes } from './routes/privacy-reports.js';
import { formRoutes, releaseRoutes } from './routes/releases.js';
import { reviewRoutes } from './routes/review.js';
import { runRoutes } from './routes/runs.js';
import { NO_JOBS, type JobQueue } from '../jobs/queue.js';
import { scheduleRoutes } from './routes/schedules.js';
import { submissionRoutes } from './routes/submissions.js';
import { uploadRoutes } from './routes/uploads.js';
import { consoleRoutes } from './console/index.js';
import type { RouteDeps } from './route-deps.js';

export interface AppOptions {
  db: Kysely<Database>;
  /** Where queued runs go; default: nowhere (runs stay queued until a worker takes them). */
  jobs?: JobQueue;
  logger: FastifyBaseLogger;
  jwtKey: Buffer;
  keys: BrokerKeyring;
  ca: CertificateAuthority;
  pseudonymKey: Uint8Array;
  /** node:https server options (mutual TLS); omitted only by tests that inject requests. */
  https?: Record<string, unknown>;
  /**
   * Largest accepted request body, bytes: the submission route's limit; every other route takes less (body-limits.ts).
   */
  bodyLimit?: number;
  /** Requests per minute per caller. */
  rateLimit?: number;
}

export const DEFAULT_BODY_LIMIT = 256 * 1024 * 1024;
export const DEFAULT_RATE_LIMIT = 1200;

/** Who a request counts against for rate limiting: the client certificate if any, else the address. */
function rateKey(request: { raw: { socket: unknown }; ip: string }): string {
  const socket = request.raw.socket as { getPeerCertificate?: () => { serialNumber?: string } };
  const serial = socket.getPeerCertificate?.()?.serialNumber;
  return serial ? `cert:${serial}` : `ip:${request.ip}`;
}

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: opts.logger,
    // The server-wide limit covers what no route declares (404s included): the smallest, public one.
    bodyLimit: Math.min(PUBLIC_BODY_LIMIT, opts.bodyLimit ?? DEFAULT_BODY_LIMIT),
    ...(opts.https ? { https: opts.https } : {}),
    // Unknown fields are an error, never silently dropped; types are never coerced.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false } },
    // Malformed URLs are answered by the router before any hook runs: still the protocol's error
    // shape, never the URL echoed back, and audited here since no hook will do it.
    frameworkErrors: (err, request, reply) => {
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
      const r = reply as unknown as { code(n: number): { type(t: string): { send(b: unknown): unknown } } };
      const send = () =>
        void r
          .code(status)
          .type('application/json')
          .send({ error: { code: 'bad-request', message: 'the request URL is malformed or too long' } });
      appendAuditRow(
        opts.db,
        { reason: `bad-request: ${err.code ?? 'malformed URL'}` },
        { actor: 'anonymous', action: `${request.method} (malformed URL)`, status, ok: false },
      ).then(send, (auditErr: unknown) => {
        opts.logger.error({ err: auditErr }, 'could not audit a malformed request');
        send();
      });
    },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as FastifyInstance;

  registerBodyLimits(app, opts.bodyLimit ?? DEFAULT_BODY_LIMIT);
  registerAuditHook(app, opts.db, opts.keys);
  registerErrorHandling(app);
  // PostgreSQL text cannot hold NUL: refuse it at the door with a clear 400 instead of a 500 later.
  app.addHook('preValidation', async (request) => {
    const bad = findNul(request.body) ?? findNul(request.query) ?? findNul(request.params);
    if (bad !== null) throw new ProtocolError('invalid-body', `${bad} contains a NUL character`);
  });
  await app.register(fastifyHelmet, { global: true });
  await app.register(fastifyRateLimit, {
    max: opts.rateLimit ?? DEFAULT_RATE_LIMIT,
    timeWindow: '1 minute',
    keyGenerator: rateKey,
  });
  await registerAuth(app, opts.jwtKey);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'blindlink broker',
        version: String(PROTOCOL_VERSION),
        description: 'Privacy-preserving linkage broker API',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });
  // Policies arrive as YAML text, exactly as an IG lead wrote and reviewed them.
  app.addContentTypeParser(['application/yaml', 'text/yaml'], { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );

  const deps: RouteDeps = {
    db: opts.db,
    jobs: opts.jobs ?? NO_JOBS,
    keys: opts.keys,
    ca: opts.ca,
    pseudonymKey: opts.pseudonymKey,
  };
  for (const routes of [
    identityRoutes,
    adminRoutes,
    governanceRoutes,
    privacyReportRoutes,
    submissionRoutes,
    uploadRoutes,
    runRoutes,
    scheduleRoutes,
    releaseRoutes,
    formRoutes,
    reviewRoutes,
    auditRoutes,
  ]) {
    await app.register(routes, deps);
  }
  // The web console and the public transparency page (console/): same services, HTML pages.
  await app.register(consoleRoutes, { ...deps, jwtKey: opts.jwtKey });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
  return app;
}

/** Path of the first string holding U+0000 in a parsed body, or null (bodies are at most MAX_JSON_DEPTH deep). */
function findNul(value: unknown, path = 'body'): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  // Raw bytes (a sealed upload chunk) are never stored as text; walking them byte by byte would be slow.
  if (value instanceof Uint8Array) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = findNul(value[i], `${path}[${i}]`);
      if (p) return p;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes('\u0000')) return `${path} key`;
      const p = findNul(v, `${path}.${k}`);
      if (p) return p;
    }
  }
  return null;
}
