import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import Type from 'typebox';
import { ErrorBody, ProtocolError, PurposeParams, ScheduleRequest, ScheduleResponse } from '@blindlink/protocol';
import type { Database } from '../../db/schema.js';
import { analystPurposes } from '../../people/accounts.js';
import { formatLocal } from '../../schedule/next-due.js';
import { getSchedule, parseScheduleSpec, removeSchedule, setSchedule, type ScheduleRow } from '../../schedule/store.js';
import { requireRole } from '../auth.js';
import type { RouteDeps } from '../app.js';

function toResponse(s: ScheduleRow): ScheduleResponse {
  return {
    purpose: s.purpose,
    at: s.time_of_day,
    timeZone: s.time_zone,
    owner: s.owner,
    nextDue: s.next_due.toISOString(),
    updatedAt: s.updated_at.toISOString(),
    last:
      s.last_status && s.last_attempt_at
        ? { status: s.last_status, at: s.last_attempt_at.toISOString(), runId: s.last_run_id, detail: s.last_detail }
        : null,
  };
}

/**
 * The same authority as starting a run by hand: an analyst assigned to the purpose. Checked before
 * the body is validated, so a caller who may not touch the purpose learns nothing about it.
 * Agencies cannot schedule: a scheduled run is made on a named person's authority.
 */
function requireAssignedAnalyst(db: Kysely<Database>, action: string) {
  return async (request: FastifyRequest): Promise<void> => {
    const { purpose } = request.params as { purpose: string };
    request.audit.action = action;
    request.audit.purpose = purpose;
    if (!(await analystPurposes(db, request.user.sub)).includes(purpose)) {
      throw new ProtocolError('forbidden', `analyst ${request.user.sub} is not assigned to purpose ${purpose}`);
    }
  };
}

const none = (purpose: string) => new ProtocolError('not-found', `purpose ${purpose} has no nightly schedule`);
const describe = (s: ScheduleRow) =>
  `nightly at ${s.time_of_day} ${s.time_zone}, owner ${s.owner}, next due ${s.next_due.toISOString()} (${formatLocal(s.next_due, s.time_zone)} local)`;

/** A purpose's nightly linkage run: set, read, remove. The scheduler in `serve` runs it. */
export const scheduleRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { db }) => {
  const path = '/v1/purposes/:purpose/schedule';
  app.put(
    path,
    {
      onRequest: requireRole(db, 'analyst'),
      preValidation: requireAssignedAnalyst(db, 'schedule.set'),
      config: { body: 'json' },
      schema: {
        summary:
          'Run linkage for this purpose every night at a local time (replaces any schedule; the caller becomes its owner)',
        tags: ['runs'],
        params: PurposeParams,
        body: ScheduleRequest,
        response: { 200: ScheduleResponse, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const { purpose } = request.params;
      const spec = parseScheduleSpec(request.body);
      // A schedule for a purpose no policy governs could never run. (An unapproved or expired policy
      // is accepted: the policy may be approved by the night, and every refused night is audited.)
      const governed = await db.selectFrom('policy').select('id').where('purpose', '=', purpose).executeTakeFirst();
      if (!governed) throw new ProtocolError('unknown-purpose', `no policy governs purpose ${purpose}`);
      const s = await setSchedule(db, purpose, spec, request.user.sub, new Date());
      request.audit.reason = `schedule set: ${describe(s)}`;
      return toResponse(s);
    },
  );

  app.get(
    path,
    {
      onRequest: requireRole(db, 'analyst'),
      preValidation: requireAssignedAnalyst(db, 'schedule.read'),
      schema: {
        summary: "The purpose's nightly schedule and the outcome of its last scheduled run",
        tags: ['runs'],
        params: PurposeParams,
        response: { 200: ScheduleResponse, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const s = await getSchedule(db, request.params.purpose);
      if (!s) throw none(request.params.purpose);
      return toResponse(s);
    },
  );

  app.delete(
    path,
    {
      onRequest: requireRole(db, 'analyst'),
      preValidation: requireAssignedAnalyst(db, 'schedule.remove'),
      schema: {
        summary: "Stop the purpose's nightly runs (a run under way finishes)",
        tags: ['runs'],
        params: PurposeParams,
        response: { 204: Type.Null({ description: 'Removed' }), 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const { purpose } = request.params;
      if (!(await removeSchedule(db, purpose))) throw none(purpose);
      request.audit.reason = `schedule of ${purpose} removed`;
      return reply.code(204).send(null);
    },
  );
};
