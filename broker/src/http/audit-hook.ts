import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { AUDIT_HEAD_HEADER, ProtocolError } from '@blindlink/protocol';
import type { BrokerKeyring } from '../trust/keys.js';
import { auditHeadHeader } from '../audit/receipts.js';
import { isConnectionLost } from '../db/connection-errors.js';
import type { AuditNote } from '../services/audit-note.js';
import { appendAuditRow } from '../services/audit-row.js';
import { actorOf } from '../services/caller.js';
import { errorHeaders } from './errors.js';
import { ASSETS_PREFIX } from './console/assets.js';
import type { Principal } from './principal.js';
import './request-audit.js';

/**
 * Every request is audited, allowed or refused, before its reply leaves: the entry is appended in
 * onSend, and if the append fails the reply becomes an error, so nothing is released unaudited.
 * The row is written as an operator command's is (services/audit-row.ts). With `keys`, the reply also
 * carries a signed receipt of the chain head that includes its own row (AUDIT_HEAD_HEADER): the row
 * appended is this request's, its seq and hash from one insert.
 */
export function registerAuditHook(app: FastifyInstance, db: Kysely<Database>, keys?: BrokerKeyring): void {
  app.decorateRequest('audit', null as unknown as AuditNote);
  app.addHook('onRequest', async (request) => {
    request.audit = {};
  });
  // Every route states what it does; a route that forgot would be audited only as its method and URL.
  app.addHook('onRoute', (route) => {
    if (route.config?.audit || route.schema?.hide || route.method === 'HEAD') return;
    throw new Error(`route ${String(route.method)} ${route.url}: declare config.audit (http/request-audit.ts)`);
  });
  app.addHook('preHandler', async (request) => beginRouteAudit(request));
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.url === '/openapi.json' || request.url === '/healthz') return payload;
    // The console's static files (govuk-frontend's CSS, fonts, images) say nothing about anyone.
    if (request.url.startsWith(ASSETS_PREFIX) && reply.statusCode < 400) return payload;
    const user = request.user as Partial<Principal> | undefined;
    let entry: Awaited<ReturnType<typeof appendAuditRow>>;
    try {
      entry = await appendAuditRow(db, request.audit ?? {}, {
        actor: user?.sub ? actorOf({ sub: user.sub, role: user.role ?? 'agency' }) : 'anonymous',
        action: `${request.method} ${request.routeOptions.url ?? '(no route)'}`,
        status: reply.statusCode,
        ok: reply.statusCode < 400,
      });
    } catch (err) {
      return unaudited(request, reply, payload, err);
    }
    if (keys) reply.header(AUDIT_HEAD_HEADER, auditHeadHeader(keys, entry));
    return payload;
  });
}

/**
 * The row takes the route's declared action, and its :purpose parameter, once the request has passed
 * authentication and validation (preHandler): a request refused before then is audited as its method
 * and URL. A guard that authorises before validation (the schedule routes) calls this itself first.
 */
export function beginRouteAudit(request: FastifyRequest): void {
  const declared = request.routeOptions.config.audit;
  if (!declared) return;
  request.audit.action ??= declared.action;
  const purpose = (request.params as { purpose?: unknown } | undefined)?.purpose;
  if (typeof purpose === 'string') request.audit.purpose ??= purpose;
}

/**
 * The audit append failed: what the handler produced is withheld and the reply becomes an error,
 * 503 if the database connection was lost (worth retrying), else 500. It is answered here, not thrown:
 * a thrown error would come back through this hook and fail the same way.
 */
function unaudited(request: FastifyRequest, reply: FastifyReply, payload: unknown, err: unknown): string {
  const lost = isConnectionLost(err);
  const perr = lost
    ? new ProtocolError(
        'database-unavailable',
        'the database is unavailable just now, so the request could not be audited; retry shortly',
      )
    : new ProtocolError('internal', 'the broker could not audit this request; it has been logged');
  const e = err as { code?: unknown; message?: unknown };
  request.log.error(
    { code: e.code, message: e.message },
    'could not append to the audit trail; the reply was withheld',
  );
  (payload as { destroy?: () => void } | null)?.destroy?.(); // a streamed reply (the audit export)
  reply.removeHeader('content-length');
  reply.removeHeader('content-disposition');
  reply.code(perr.statusCode).type('application/json; charset=utf-8');
  errorHeaders(perr, request, reply);
  return JSON.stringify(perr.toBody());
}
