import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ErrorBody, PurposeParams, RunRequest, RunResponse } from '@blindlink/protocol';
import { runLinkage } from '../../linkage/runs.js';
import { judgeContribution, refusal } from '../../policies/judge.js';
import { analystPurposes } from '../../people/accounts.js';
import { ProtocolError } from '@blindlink/protocol';
import { requireRole } from '../auth.js';
import type { RouteDeps } from '../app.js';

/**
 * A contributing agency, or an analyst assigned to the purpose, starts a linkage run: incremental when
 * the previous run can be continued, full when asked for ({"mode": "full"}) or when it cannot.
 */
export const runRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { db, keys }) => {
  app.post(
    '/v1/purposes/:purpose/runs',
    {
      onRequest: requireRole(db, 'agency', 'analyst'),
      config: { body: 'json' },
      schema: {
        summary: 'Link the latest submissions of every contributing agency for a purpose',
        tags: ['runs'],
        params: PurposeParams,
        // The body is optional: no body (or null) is { mode: 'auto' }.
        body: Type.Union([RunRequest, Type.Null()]),
        response: { 201: RunResponse, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      const { purpose } = request.params;
      request.audit.action = 'run.create';
      request.audit.purpose = purpose;
      if (request.user.role === 'analyst') {
        if (!(await analystPurposes(db, request.user.sub)).includes(purpose)) {
          throw new ProtocolError('forbidden', `analyst ${request.user.sub} is not assigned to purpose ${purpose}`);
        }
      } else {
        // An agency may start a run only for a purpose it contributes to.
        const { decision } = await judgeContribution(db, purpose, request.user.sub, undefined);
        Object.assign(request.audit, { policyId: decision.policyId, policyVersion: decision.policyVersion, policyRule: decision.rule });
        if (!decision.allow) throw refusal(decision);
      }
      const run = await runLinkage(db, keys, purpose, { mode: request.body?.mode ?? 'auto' });
      request.audit.counts = { sources: run.sources, matchedPairs: run.matchedPairs };
      request.audit.reason = `run ${run.runId} ${run.status} (${run.mode})`;
      const { runId, status, sources, matchedPairs, mode, modeReason, error } = run;
      return reply.code(201).send({ runId, purpose, status, sources, matchedPairs, mode, modeReason, ...(error ? { error } : {}) });
    },
  );
};
