import fastifySwagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { PROTOCOL_VERSION } from '@blindlink/protocol';
import type { Database } from '../db/schema.js';
import { registerAuditHook } from './audit-hook.js';
import { registerAuth } from './auth.js';
import { registerErrorHandling } from './errors.js';
import { releaseRoutes } from './routes/releases.js';
import { runRoutes } from './routes/runs.js';
import { submissionRoutes } from './routes/submissions.js';
import { tokenRoutes } from './routes/token.js';

export interface RouteDeps {
  db: Kysely<Database>;
}

export interface AppOptions {
  db: Kysely<Database>;
  logger: FastifyBaseLogger;
  jwtKey: Buffer;
  /** Largest accepted request body, bytes. */
  bodyLimit?: number;
}

export const DEFAULT_BODY_LIMIT = 64 * 1024 * 1024;

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: opts.logger,
    bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // Unknown fields are an error, never silently dropped; types are never coerced.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerAuditHook(app, opts.db);
  registerErrorHandling(app);
  await registerAuth(app, opts.jwtKey);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'blindlink broker', version: String(PROTOCOL_VERSION), description: 'Privacy-preserving linkage broker API' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });

  const deps: RouteDeps = { db: opts.db };
  await app.register(tokenRoutes, deps);
  await app.register(submissionRoutes, deps);
  await app.register(runRoutes, deps);
  await app.register(releaseRoutes, deps);

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
  return app;
}
