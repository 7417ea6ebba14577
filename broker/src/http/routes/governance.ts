import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody, PolicyList, PolicySummary, PolicyVersionParams } from '@blindlink/protocol';
import { approvePolicy, listPolicies, type StoredPolicy } from '../../policies/store.js';
import { requireRole } from '../auth.js';
import type { RouteDeps } from '../app.js';

function summary(p: StoredPolicy) {
  const d = p.document;
  return {
    id: d.id,
    version: d.version,
    purpose: d.purpose,
    title: d.title,
    contentHash: p.contentHash,
    validFrom: d.validFrom,
    validUntil: d.validUntil,
    loadedBy: p.loadedBy,
    approvedBy: p.approval?.by ?? null,
    approvedAt: p.approval?.at.toISOString() ?? null,
  };
}

/** IG leads read policies and approve them; admins read them too. Neither reads released results. */
export const governanceRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { db }) => {
  app.get(
    '/v1/policies',
    {
      onRequest: requireRole(db, 'ig-lead', 'admin'),
      schema: {
        summary: 'Every loaded policy version and its approval',
        tags: ['governance'],
        response: { 200: PolicyList },
      },
    },
    async (request) => {
      request.audit.action = 'policy.list';
      return { policies: (await listPolicies(db)).map(summary) };
    },
  );

  app.post(
    '/v1/policies/:id/versions/:version/approval',
    {
      onRequest: requireRole(db, 'ig-lead'),
      schema: {
        summary: 'Approve a policy version (IG lead, not the person who loaded it)',
        tags: ['governance'],
        params: PolicyVersionParams,
        response: { 200: PolicySummary, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const id = request.params.id;
      const version = Number(request.params.version);
      Object.assign(request.audit, { action: 'policy.approve', policyId: id, policyVersion: version });
      const p = await approvePolicy(db, id, version, request.user.sub);
      request.audit.purpose = p.document.purpose;
      request.audit.reason = `policy ${id} v${version} approved`;
      return summary(p);
    },
  );
};
