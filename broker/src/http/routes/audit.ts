import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AUDIT_EXPORT_MEDIA_TYPE,
  AuditCheckpointList,
  AuditCheckpointQuery,
  AuditExportQuery,
  AuditPage,
  AuditQuery,
  ErrorBody,
} from '@blindlink/protocol';
import { exportAudit } from '../../services/audit-export.js';
import { listAuditCheckpoints, queryAuditTrail, startAutoCheckpoints } from '../../services/audit-trail.js';
import { requireRole } from '../auth.js';
import type { RouteDeps } from '../route-deps.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };

/**
 * The audit trail, for IG leads only. Admins run the broker and so must not be the ones who read
 * (and could be tempted to explain away) its trail: separation of duties. Agencies and analysts
 * neither. Reading the trail is itself audited. Rows hold no person's identifiers.
 */
export const auditRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, deps) => {
  startAutoCheckpoints(deps);
  const igLead = requireRole(deps.db, 'ig-lead');

  app.get(
    '/v1/audit',
    {
      onRequest: igLead,
      config: { audit: { action: 'audit.query' } },
      schema: {
        summary: 'Query the audit trail, oldest first; page with afterSeq = nextAfterSeq',
        tags: ['audit'],
        querystring: AuditQuery,
        response: { 200: AuditPage, ...errors },
      },
    },
    async (request) => queryAuditTrail(deps, request.query, request.audit),
  );

  app.get(
    '/v1/audit/checkpoints',
    {
      onRequest: igLead,
      config: { audit: { action: 'audit.checkpoints' } },
      schema: {
        summary: 'Signed audit checkpoints, oldest first',
        tags: ['audit'],
        querystring: AuditCheckpointQuery,
        response: { 200: AuditCheckpointList, ...errors },
      },
    },
    async (request) => listAuditCheckpoints(deps, request.query, request.audit),
  );

  app.get(
    '/v1/audit/export',
    {
      onRequest: igLead,
      config: { audit: { action: 'audit.export' } },
      schema: {
        summary:
          'The audit trail as JSON lines with signed checkpoints, to verify offline (blindlink-broker ' +
          'audit verify --file)',
        tags: ['audit'],
        querystring: AuditExportQuery,
        produces: [AUDIT_EXPORT_MEDIA_TYPE],
        response: { ...errors, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const from = request.query.from !== undefined ? Number(request.query.from) : undefined;
      const { filename, chunks } = await exportAudit(deps, { from }, request.audit);
      reply.type(AUDIT_EXPORT_MEDIA_TYPE).header('content-disposition', `attachment; filename="${filename}"`);
      // A stream bypasses the response serialiser; the schema above only describes the errors.
      return reply.send(Readable.from(chunks) as never);
    },
  );
};
