import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody, IdempotencyHeaders, PurposeParams, SubmissionRequest, SubmissionResponse } from '@blindlink/protocol';
import { judgeContribution, refusal } from '../../policies/judge.js';
import { storeSubmission } from '../../submissions/store.js';
import { decodeSubmission } from '../../submissions/validate.js';
import { requireAgency } from '../auth.js';
import type { RouteDeps } from '../app.js';

/** An agency uploads its encoded dataset for a purpose. Safe to retry with the same idempotency key. */
export const submissionRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { db }) => {
  app.post(
    '/v1/purposes/:purpose/submissions',
    {
      preHandler: requireAgency,
      schema: {
        summary: 'Upload an encoded dataset for a purpose',
        tags: ['submissions'],
        params: PurposeParams,
        headers: IdempotencyHeaders,
        body: SubmissionRequest,
        response: { 201: SubmissionResponse, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 413: ErrorBody },
      },
    },
    async (request, reply) => {
      const { purpose } = request.params;
      const agency = request.user.sub;
      request.audit.action = 'submission.create';
      request.audit.purpose = purpose;
      const { decision } = await judgeContribution(db, purpose, agency, request.body.header.schema.fields);
      Object.assign(request.audit, { policyId: decision.policyId, policyVersion: decision.policyVersion, policyRule: decision.rule });
      if (!decision.allow) throw refusal(decision);
      const decoded = decodeSubmission(request.body);
      request.audit.counts = { records: decoded.tokens.length };
      const stored = await storeSubmission(db, {
        agency,
        purpose,
        idempotencyKey: request.headers['idempotency-key'],
        header: request.body.header,
        decoded,
      });
      request.audit.reason = `submission ${stored.id} stored`;
      return reply.code(201).send({ submissionId: stored.id, purpose, agency, recordCount: stored.recordCount, digest: stored.digest });
    },
  );
};
