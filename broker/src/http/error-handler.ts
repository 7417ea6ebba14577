import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ProtocolError } from '@blindlink/protocol';
import { noteFailure } from '../services/audit-note.js';
import { bodyLimitOf } from './body-limits.js';
import { errorHeaders, toProtocolError } from './errors.js';
import './request-audit.js';

/**
 * What the log says of a failed request: never the error object of a database fault (pg hangs the statement's detail,
 * parameters and connection settings on it).
 */
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

/** Every error becomes the protocol's JSON error reply, and its audit row says why. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const perr = toProtocolError(err, bodyLimitOf(request));
    logFailure(request, perr, err);
    errorHeaders(perr, request, reply);
    noteFailure(request.audit, perr);
    return reply.code(perr.statusCode).type('application/json').send(perr.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    const perr = new ProtocolError('not-found', `no route ${request.method} ${request.url.split('?')[0]}`);
    request.audit.decision = 'failed';
    request.audit.reason = `${perr.code}: ${perr.message}`;
    return reply.code(404).send(perr.toBody());
  });
}
