import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import './audit-hook.js';
import { ProtocolError, type ErrorCode } from '@blindlink/protocol';
import { DATABASE_RETRY_AFTER_SECONDS, isConnectionLost } from '../db/connection-errors.js';
import { bodyLimitOf } from './body-limits.js';

/**
 * Map framework and library errors onto protocol codes; anything unknown is a 500 with no detail.
 * `bodyLimit` is the limit of the route that refused a body, named in the 413.
 */
export function toProtocolError(err: unknown, bodyLimit?: number): ProtocolError {
  if (err instanceof ProtocolError) return err;
  // A lost database connection is the server's trouble and passing: 503, worth retrying.
  if (isConnectionLost(err))
    return new ProtocolError('database-unavailable', 'the database is unavailable just now; retry shortly');
  const e = (err ?? {}) as FastifyError;
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' && bodyLimit) {
    return new ProtocolError('body-too-large', `request body is larger than this route accepts (${bodyLimit} bytes)`, {
      limit: bodyLimit,
    });
  }
  if (e.validation) {
    const first = e.validation[0];
    const where = `${e.validationContext ?? 'body'}${first?.instancePath ?? ''}`;
    const extra =
      first?.params && 'additionalProperty' in first.params ? ` (${String(first.params.additionalProperty)})` : '';
    return new ProtocolError('invalid-body', `${where} ${first?.message ?? 'is invalid'}${extra}`);
  }
  const byCode: Record<string, [ErrorCode, string]> = {
    FST_ERR_CTP_BODY_TOO_LARGE: ['body-too-large', 'request body is larger than the broker accepts'],
    FST_ERR_CTP_INVALID_MEDIA_TYPE: ['unsupported-media-type', 'send application/json'],
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['bad-request', 'content-length does not match the body'],
    FST_ERR_CTP_EMPTY_JSON_BODY: ['invalid-body', 'the JSON body is empty'],
    FST_JWT_NO_AUTHORIZATION_IN_HEADER: ['unauthenticated', 'send an Authorization: Bearer access token'],
    FST_JWT_AUTHORIZATION_TOKEN_EXPIRED: ['token-expired', 'the access token has expired; request a new one'],
    FST_JWT_AUTHORIZATION_TOKEN_INVALID: ['token-invalid', 'the access token is not valid'],
    FST_JWT_AUTHORIZATION_TOKEN_UNTRUSTED: ['token-invalid', 'the access token is not valid'],
    FST_JWT_BAD_REQUEST: ['token-invalid', 'the Authorization header is not a bearer token'],
    FST_JWT_BAD_COOKIE_REQUEST: ['token-invalid', 'the access token is not valid'],
  };
  const mapped = e.code ? byCode[e.code] : undefined;
  if (mapped) return new ProtocolError(mapped[0], mapped[1]);
  if (
    e instanceof SyntaxError ||
    e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
    (e.statusCode === 400 && /JSON/.test(e.message))
  ) {
    return new ProtocolError('invalid-body', 'the body is not valid JSON');
  }
  if (e.statusCode === 429) return new ProtocolError('rate-limited', 'too many requests; slow down');
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return new ProtocolError('bad-request', e.message);
  return new ProtocolError('internal', 'the broker failed to handle this request; it has been logged');
}

/** Headers an error reply carries besides its body. */
export function errorHeaders(perr: ProtocolError, request: FastifyRequest, reply: FastifyReply): void {
  if (perr.code === 'database-unavailable') reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
  // Refused before its body was read (authentication, a too-large Content-Length): close the connection
  // rather than have Node read and discard the rest of the body to keep it alive.
  if (!request.raw.complete) reply.header('connection', 'close');
}

/** What the log says of a failed request: never the error object of a database fault (pg hangs the statement's detail, parameters and connection settings on it). */
function logFailure(request: FastifyRequest, perr: ProtocolError, err: unknown): void {
  if (perr.code === 'database-unavailable') {
    const e = err as { code?: unknown; message?: unknown };
    request.log.warn(
      { code: e.code, message: e.message },
      'a request failed as the database connection was lost; answered 503',
    );
  } else if (perr.statusCode >= 500) {
    request.log.error({ err }, 'request failed');
  }
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const perr = toProtocolError(err, bodyLimitOf(request));
    logFailure(request, perr, err);
    errorHeaders(perr, request, reply);
    request.audit.decision ??= perr.code === 'policy-refused' ? 'refused' : 'failed';
    request.audit.reason ??= `${perr.code}: ${perr.message}`;
    if (perr.code === 'policy-refused' && perr.details) {
      // A refusal thrown deep in a handler (e.g. a run under a policy out of date) names its rule too.
      const d = perr.details as { policy?: string; version?: number; rule?: string };
      request.audit.policyId ??= d.policy ?? null;
      request.audit.policyVersion ??= d.version ?? null;
      request.audit.policyRule ??= d.rule ?? null;
    }
    return reply.code(perr.statusCode).type('application/json').send(perr.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    const perr = new ProtocolError('not-found', `no route ${request.method} ${request.url.split('?')[0]}`);
    request.audit.decision = 'failed';
    request.audit.reason = `${perr.code}: ${perr.message}`;
    return reply.code(404).send(perr.toBody());
  });
}
