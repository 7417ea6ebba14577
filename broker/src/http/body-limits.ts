import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ProtocolError } from '@blindlink/protocol';
import { jsonDeeperThan, MAX_JSON_DEPTH } from './json-depth.js';

/**
 * How large a body each route reads. A route names its class in its options (`config: { body: 'json' }`,
 * in the manner of @fastify/rate-limit's `config.rateLimit`); an onRoute hook turns that into fastify's
 * per-route `bodyLimit`, which fastify checks against Content-Length before reading a byte and enforces
 * on a chunked body as it arrives. A route that names no class, and anything no route matches, gets the
 * smallest: a forgotten declaration fails closed. A route may instead state its own `bodyLimit` in
 * bytes (the chunked-upload routes do), capped like the others at the broker's largest body.
 *
 * - public: routes anyone may call before authenticating (login, enrolment, token): small JSON only.
 * - json: authenticated JSON requests (ids, CSRs, schedules, release requests).
 * - policy: a policy's YAML text, as loaded by an admin.
 * - upload: a sealed submission; the broker's configurable limit (`--body-limit`).
 *
 * Authentication runs in onRequest hooks, before fastify reads the body: an unauthenticated caller is
 * refused on the upload route without the broker reading its body.
 */
export type BodyClass = 'public' | 'json' | 'policy' | 'upload';

export const PUBLIC_BODY_LIMIT = 64 * 1024;
export const JSON_BODY_LIMIT = 1024 * 1024;
export const POLICY_BODY_LIMIT = 2 * 1024 * 1024;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which body limit the route takes; 'public' when unset. */
    body?: BodyClass;
  }
}

/** The byte limit of each class; none exceeds the broker's configured largest body. */
export function bodyLimits(uploadLimit: number): Record<BodyClass, number> {
  const cap = (n: number) => Math.min(n, uploadLimit);
  return {
    public: cap(PUBLIC_BODY_LIMIT),
    json: cap(JSON_BODY_LIMIT),
    policy: cap(POLICY_BODY_LIMIT),
    upload: uploadLimit,
  };
}

/** Register before any route: sets each route's bodyLimit from its declared class. */
export function registerBodyLimits(app: FastifyInstance, uploadLimit: number): void {
  const limits = bodyLimits(uploadLimit);
  app.addHook('onRoute', (route) => {
    const named = (route.config as { body?: BodyClass } | undefined)?.body;
    // A route that states its own byte limit (an upload chunk, a manifest) has declared it too.
    if (named === undefined && route.bodyLimit !== undefined) {
      route.bodyLimit = Math.min(route.bodyLimit, uploadLimit);
      return;
    }
    const declared = named ?? 'public';
    const limit = limits[declared];
    if (limit === undefined)
      throw new Error(`route ${String(route.method)} ${route.url}: unknown body class ${JSON.stringify(declared)}`);
    route.bodyLimit = limit;
  });

  // JSON bodies: nesting depth checked in one linear pass before parsing, then fastify's own parser
  // (which refuses __proto__ and constructor.prototype keys).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (jsonDeeperThan(body as string, MAX_JSON_DEPTH)) {
      done(
        new ProtocolError('invalid-body', `the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`, {
          maxDepth: MAX_JSON_DEPTH,
        }),
        undefined,
      );
      return;
    }
    parseJson(request, body as string, done);
  });
}

/** The limit that refused this request's body, for the 413's message. */
export function bodyLimitOf(request: FastifyRequest): number | undefined {
  return request.routeOptions?.bodyLimit;
}
