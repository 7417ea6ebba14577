import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ErrorBody, PurposeParams, RunParams, RunRequest, RunResponse, RunStatus } from '@blindlink/protocol';
import { getRunStatus } from '../../services/get-run-status.js';
import { startRun } from '../../services/start-run.js';
import { requireRole } from '../auth.js';
import type { RouteDeps } from '../route-deps.js';

/**
 * A contributing agency, or an analyst assigned to the purpose, queues a linkage run (202 at once: a
 * worker links it, see jobs/) and follows it by its id: status, stage and progress.
 */
export const runRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, deps) => {
  const caller = requireRole(deps.db, 'agency', 'analyst');

  app.post(
    '/v1/purposes/:purpose/runs',
    {
      onRequest: caller,
      config: { body: 'json', audit: { action: 'run.create' } },
      schema: {
        summary: 'Queue a linkage run of the latest submissions of every contributing agency for a purpose',
        tags: ['runs'],
        params: PurposeParams,
        // The body is optional: no body (or null) is { mode: 'auto' }.
        body: Type.Union([RunRequest, Type.Null()]),
        response: { 202: RunResponse, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      const { purpose } = request.params;
      const mode = request.body?.mode ?? 'auto';
      const { runId, sources } = await startRun(deps, request.user, { purpose, mode }, request.audit);
      const statusUrl = `/v1/purposes/${purpose}/runs/${runId}`;
      return reply
        .code(202)
        .header('location', statusUrl)
        .send({ runId, purpose, status: 'queued', sources, statusUrl });
    },
  );

  app.get(
    '/v1/purposes/:purpose/runs/:runId',
    {
      onRequest: caller,
      config: { audit: { action: 'run.status' } },
      schema: {
        summary: "A run's status, stage and progress",
        tags: ['runs'],
        params: RunParams,
        response: { 200: RunStatus, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => getRunStatus(deps, request.user, request.params, request.audit),
  );
};
