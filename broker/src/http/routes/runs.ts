import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import Type from 'typebox';
import { ErrorBody, PurposeParams, RunParams, RunRequest, RunResponse, RunStatus } from '@blindlink/protocol';
import { ProtocolError } from '@blindlink/protocol';
import type { Database } from '../../db/schema.js';
import { runStatus } from '../../jobs/status.js';
import { queueRun } from '../../linkage/runs.js';
import { judgeContribution, refusal } from '../../policies/judge.js';
import { analystPurposes } from '../../people/accounts.js';
import { requireRole } from '../auth.js';
import type { RouteDeps } from '../app.js';

/** Who may start and follow a purpose's runs: an analyst assigned to it, or an agency that contributes to it. */
async function authoriseRuns(db: Kysely<Database>, request: FastifyRequest, purpose: string): Promise<void> {
  if (request.user.role === 'analyst') {
    if (!(await analystPurposes(db, request.user.sub)).includes(purpose)) {
      throw new ProtocolError('forbidden', `analyst ${request.user.sub} is not assigned to purpose ${purpose}`);
    }
    return;
  }
  // An agency may start or follow a run only for a purpose it contributes to.
  const { decision } = await judgeContribution(db, purpose, request.user.sub, undefined);
  Object.assign(request.audit, {
    policyId: decision.policyId,
    policyVersion: decision.policyVersion,
    policyRule: decision.rule,
  });
  if (!decision.allow) throw refusal(decision);
}

/**
 * A contributing agency, or an analyst assigned to the purpose, queues a linkage run (202 at once: a
 * worker links it, see jobs/) and follows it by its id: status, stage and progress.
 */
export const runRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { db, jobs }) => {
  app.post(
    '/v1/purposes/:purpose/runs',
    {
      onRequest: requireRole(db, 'agency', 'analyst'),
      config: { body: 'json' },
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
      request.audit.action = 'run.create';
      request.audit.purpose = purpose;
      await authoriseRuns(db, request, purpose);
      const q = await queueRun(db, purpose, { mode: request.body?.mode ?? 'auto' }, jobs.enqueue);
      jobs.queued(q.runId);
      request.audit.counts = { sources: q.sources };
      request.audit.reason = `run ${q.runId} queued (${request.body?.mode ?? 'auto'})`;
      const statusUrl = `/v1/purposes/${purpose}/runs/${q.runId}`;
      return reply
        .code(202)
        .header('location', statusUrl)
        .send({ runId: q.runId, purpose, status: 'queued', sources: q.sources, statusUrl });
    },
  );

  app.get(
    '/v1/purposes/:purpose/runs/:runId',
    {
      onRequest: requireRole(db, 'agency', 'analyst'),
      schema: {
        summary: "A run's status, stage and progress",
        tags: ['runs'],
        params: RunParams,
        response: { 200: RunStatus, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const { purpose, runId } = request.params;
      request.audit.action = 'run.status';
      request.audit.purpose = purpose;
      await authoriseRuns(db, request, purpose);
      const status = await runStatus(db, purpose, runId);
      if (!status) throw new ProtocolError('not-found', `purpose ${purpose} has no run ${runId}`);
      return status;
    },
  );
};
