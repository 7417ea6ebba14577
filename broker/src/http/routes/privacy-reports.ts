import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody, PurposeParams, PurposePrivacyReport } from '@blindlink/protocol';
import { readPrivacyReport } from '../../services/read-privacy-report.js';
import { requireRole } from '../auth.js';
import type { RouteDeps } from '../route-deps.js';

/** IG leads read a purpose's privacy report before approving its policy; admins read it too. */
export const privacyReportRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, deps) => {
  app.get(
    '/v1/purposes/:purpose/privacy-report',
    {
      onRequest: requireRole(deps.db, 'ig-lead', 'admin'),
      config: { audit: { action: 'privacy-report.read' } },
      schema: {
        summary: 'The privacy report of each current submission of a purpose, and the digest an approval names',
        tags: ['governance'],
        params: PurposeParams,
        response: {
          200: PurposePrivacyReport,
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
        },
      },
    },
    async (request) => readPrivacyReport(deps, request.params, request.audit),
  );
};
