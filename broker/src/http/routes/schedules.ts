import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { ErrorBody, PurposeParams, ScheduleRequest, ScheduleResponse } from '@blindlink/protocol';
import { requireAssignedAnalyst } from '../../services/purpose-access.js';
import { getSchedule, removeSchedule, setSchedule } from '../../services/schedules.js';
import { beginRouteAudit } from '../audit-hook.js';
import { requireRole } from '../auth.js';
import type { RouteDeps } from '../route-deps.js';

/** A purpose's nightly linkage run: set, read, remove. The scheduler in `serve` runs it. */
export const scheduleRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, deps) => {
  const analyst = requireRole(deps.db, 'analyst');
  /**
   * The same authority as starting a run by hand: an analyst assigned to the purpose. Checked before
   * the body is validated, so a caller who may not touch the purpose learns nothing about it; the
   * audit row names its action and purpose from here on.
   */
  const assigned = async (request: FastifyRequest): Promise<void> => {
    beginRouteAudit(request);
    await requireAssignedAnalyst(deps.db, request.user, (request.params as { purpose: string }).purpose);
  };
  const path = '/v1/purposes/:purpose/schedule';

  app.put(
    path,
    {
      onRequest: analyst,
      preValidation: assigned,
      config: { body: 'json', audit: { action: 'schedule.set' } },
      schema: {
        summary:
          'Run linkage for this purpose every night at a local time (replaces any schedule; the caller ' +
          'becomes its owner)',
        tags: ['runs'],
        params: PurposeParams,
        body: ScheduleRequest,
        response: { 200: ScheduleResponse, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) =>
      setSchedule(deps, request.user, { purpose: request.params.purpose, request: request.body }, request.audit),
  );

  app.get(
    path,
    {
      onRequest: analyst,
      preValidation: assigned,
      config: { audit: { action: 'schedule.read' } },
      schema: {
        summary: "The purpose's nightly schedule and the outcome of its last scheduled run",
        tags: ['runs'],
        params: PurposeParams,
        response: { 200: ScheduleResponse, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => getSchedule(deps, request.params.purpose),
  );

  app.delete(
    path,
    {
      onRequest: analyst,
      preValidation: assigned,
      config: { audit: { action: 'schedule.remove' } },
      schema: {
        summary: "Stop the purpose's nightly runs (a run under way finishes)",
        tags: ['runs'],
        params: PurposeParams,
        response: { 204: Type.Null({ description: 'Removed' }), 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      await removeSchedule(deps, request.params.purpose, request.audit);
      return reply.code(204).send(null);
    },
  );
};
