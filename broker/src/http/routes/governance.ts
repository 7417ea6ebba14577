import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ErrorBody, PolicyApprovalRequest, PolicyList, PolicySummary, PolicyVersionParams } from '@blindlink/protocol';
import { approvePolicy, listPolicies } from '../../services/policy-versions.js';
import { requireRole } from '../auth.js';
import type { RouteDeps } from '../route-deps.js';

/** IG leads read policies and approve them; admins read them too. Neither reads released results. */
export const governanceRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, deps) => {
  app.get(
    '/v1/policies',
    {
      onRequest: requireRole(deps.db, 'ig-lead', 'admin'),
      config: { audit: { action: 'policy.list' } },
      schema: {
        summary: 'Every loaded policy version and its approval',
        tags: ['governance'],
        response: { 200: PolicyList },
      },
    },
    async () => listPolicies(deps),
  );

  app.post(
    '/v1/policies/:id/versions/:version/approval',
    {
      onRequest: requireRole(deps.db, 'ig-lead'),
      config: { body: 'json', audit: { action: 'policy.approve' } },
      schema: {
        summary:
          "Approve a policy version (IG lead, not the person who loaded it), naming the purpose's privacy report read",
        tags: ['governance'],
        params: PolicyVersionParams,
        // No body (or null) only while the purpose has no submission, so no privacy report.
        body: Type.Union([PolicyApprovalRequest, Type.Null()]),
        response: { 200: PolicySummary, 400: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (request) =>
      approvePolicy(
        deps,
        request.user,
        {
          id: request.params.id,
          version: Number(request.params.version),
          privacyReportDigest: request.body?.privacyReportDigest,
        },
        request.audit,
      ),
  );
};
