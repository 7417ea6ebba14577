import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ProtocolError, type ErrorCode } from '@blindlink/protocol';
import { DATABASE_RETRY_AFTER_SECONDS, isConnectionLost } from '../db/connection-errors.js';

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
    // The console's forms (http/console/): a form posted without its token, or from another page or site.
    FST_CSRF_INVALID_TOKEN: ['forbidden', "the form's security token is missing or out of date; reload the page"],
    FST_CSRF_MISSING_SECRET: ['forbidden', "the form's security token is missing or out of date; reload the page"],
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
