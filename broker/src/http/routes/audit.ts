import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AUDIT_EXPORT_MEDIA_TYPE,
  AUDIT_PAGE_LIMIT_MAX,
  AuditCheckpointList,
  AuditCheckpointQuery,
  AuditExportQuery,
  AuditPage,
  AuditQuery,
  ErrorBody,
  ProtocolError,
} from '@blindlink/protocol';
import { enableAutoCheckpoints, listCheckpoints } from '../../audit/checkpoints.js';
import { exportChunks, planExport } from '../../audit/export.js';
import { queryAudit, type AuditFilter } from '../../audit/query.js';
import { requireRole } from '../auth.js';
import type { RouteDeps } from '../app.js';

const DEFAULT_LIMIT = 100;

function pageLimit(text: string | undefined): number {
  if (text === undefined) return DEFAULT_LIMIT;
  const n = Number(text);
  if (n < 1 || n > AUDIT_PAGE_LIMIT_MAX)
    throw new ProtocolError('bad-request', `limit must be 1 to ${AUDIT_PAGE_LIMIT_MAX}`);
  return n;
}

function instant(name: string, text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new ProtocolError('bad-request', `${name} is not a valid date-time`);
  return d;
}

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };

/**
 * The audit trail, for IG leads only. Admins run the broker and so must not be the ones who read
 * (and could be tempted to explain away) its trail: separation of duties. Agencies and analysts
 * neither. Reading the trail is itself audited. Rows hold no person's identifiers.
 */
export const auditRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { db, keys }) => {
  // The broker's database signs a checkpoint every CHECKPOINT_EVERY appended rows from now on.
  enableAutoCheckpoints(db, keys);
  const igLead = requireRole(db, 'ig-lead');

  app.get(
    '/v1/audit',
    {
      onRequest: igLead,
      schema: {
        summary: 'Query the audit trail, oldest first; page with afterSeq = nextAfterSeq',
        tags: ['audit'],
        querystring: AuditQuery,
        response: { 200: AuditPage, ...errors },
      },
    },
    async (request) => {
      const q = request.query;
      request.audit.action = 'audit.query';
      const from = instant('from', q.from);
      const to = instant('to', q.to);
      if (from && to && from >= to) throw new ProtocolError('bad-request', 'from must be before to');
      if (q.agency !== undefined && q.actor !== undefined && q.actor !== `agency:${q.agency}`) {
        throw new ProtocolError('bad-request', 'agency and actor name different callers; give one');
      }
      const filter: AuditFilter = {
        limit: pageLimit(q.limit),
        ...(q.purpose !== undefined ? { purpose: q.purpose } : {}),
        ...(q.agency !== undefined ? { actor: `agency:${q.agency}` } : q.actor !== undefined ? { actor: q.actor } : {}),
        ...(q.action !== undefined ? { action: q.action } : {}),
        ...(q.decision !== undefined ? { decision: q.decision } : {}),
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
        ...(q.afterSeq !== undefined ? { afterSeq: Number(q.afterSeq) } : {}),
      };
      if (q.purpose !== undefined) request.audit.purpose = q.purpose;
      const page = await queryAudit(db, filter);
      request.audit.counts = { rows: page.entries.length };
      request.audit.reason = `audit query: ${Object.keys(q).sort().join(', ') || 'no filters'}`;
      return page;
    },
  );

  app.get(
    '/v1/audit/checkpoints',
    {
      onRequest: igLead,
      schema: {
        summary: 'Signed audit checkpoints, oldest first',
        tags: ['audit'],
        querystring: AuditCheckpointQuery,
        response: { 200: AuditCheckpointList, ...errors },
      },
    },
    async (request) => {
      request.audit.action = 'audit.checkpoints';
      const limit = pageLimit(request.query.limit);
      const checkpoints = await listCheckpoints(db, { afterSeq: Number(request.query.afterSeq ?? 0), limit });
      request.audit.counts = { checkpoints: checkpoints.length };
      return {
        signingPublicKey: keys.signingPublicKeyBase64,
        brokerKeyId: keys.keyId,
        checkpoints,
        nextAfterSeq: checkpoints.length === limit ? checkpoints[checkpoints.length - 1]!.seq : null,
      };
    },
  );

  app.get(
    '/v1/audit/export',
    {
      onRequest: igLead,
      schema: {
        summary:
          'The audit trail as JSON lines with signed checkpoints, to verify offline (blindlink-broker audit verify --file)',
        tags: ['audit'],
        querystring: AuditExportQuery,
        produces: [AUDIT_EXPORT_MEDIA_TYPE],
        response: { ...errors, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      request.audit.action = 'audit.export';
      const header = await planExport(
        db,
        keys,
        request.query.from !== undefined ? { from: Number(request.query.from) } : {},
      );
      request.audit.counts = { rows: header.toSeq - header.fromSeq + 1 };
      request.audit.reason = `export of rows ${header.fromSeq}–${header.toSeq}`;
      reply
        .type(AUDIT_EXPORT_MEDIA_TYPE)
        .header(
          'content-disposition',
          `attachment; filename="blindlink-audit-${header.fromSeq}-${header.toSeq}.jsonl"`,
        );
      // A stream bypasses the response serialiser; the schema above only describes the errors.
      return reply.send(Readable.from(exportChunks(db, header)) as never);
    },
  );
};
