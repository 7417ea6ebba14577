import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Principal } from './auth.js';
import { AUDIT_HEAD_HEADER } from '@blindlink/protocol';
import type { BrokerKeyring } from '../trust/keys.js';
import { appendAudit } from '../audit/log.js';
import { auditHeadHeader } from '../audit/receipts.js';

/** What a handler records about its request; the hook fills the rest and appends it to the chain. */
export interface RequestAudit {
  action?: string;
  purpose?: string | null;
  policyId?: string | null;
  policyVersion?: number | null;
  policyRule?: string | null;
  decision?: 'allowed' | 'refused' | 'failed';
  reason?: string;
  counts?: Record<string, number>;
  releaseDigest?: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    audit: RequestAudit;
  }
}

/**
 * Every request is audited, allowed or refused, before its reply leaves: the entry is appended in
 * onSend, and if the append fails the reply becomes an error, so nothing is released unaudited.
 * With `keys`, the reply also carries a signed receipt of the chain head that includes its own row
 * (AUDIT_HEAD_HEADER): the row appendAudit returns is this request's, its seq and hash from one insert.
 */
export function registerAuditHook(app: FastifyInstance, db: Kysely<Database>, keys?: BrokerKeyring): void {
  app.decorateRequest('audit', null as unknown as RequestAudit);
  app.addHook('onRequest', async (request) => {
    request.audit = {};
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.url === '/openapi.json' || request.url === '/healthz') return payload;
    const a = request.audit ?? {};
    const user = request.user as Partial<Principal> | undefined;
    const status = reply.statusCode;
    const entry = await appendAudit(db, {
      actor: user?.sub ? `${user.role ?? 'agency'}:${user.sub}` : 'anonymous',
      action: a.action ?? `${request.method} ${request.routeOptions.url ?? '(no route)'}`,
      purpose: a.purpose ?? null,
      policyId: a.policyId ?? null,
      policyVersion: a.policyVersion ?? null,
      policyRule: a.policyRule ?? null,
      decision: a.decision ?? (status < 400 ? 'allowed' : 'failed'),
      status,
      reason: a.reason ?? (status < 400 ? 'ok' : `HTTP ${status}`),
      counts: a.counts ?? {},
      releaseDigest: a.releaseDigest ?? null,
    });
    if (keys) reply.header(AUDIT_HEAD_HEADER, auditHeadHeader(keys, entry));
    return payload;
  });
}
