import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  ErrorBody,
  IdempotencyHeaders,
  PurposeParams,
  SubmissionEnvelope,
  SubmissionResponse,
  WithdrawalRequest,
  WithdrawalResponse,
} from '@blindlink/protocol';
import { submitEncodings } from '../../services/submit-encodings.js';
import { correct, withdraw } from '../../services/withdraw-rows.js';
import { requireRole } from '../auth.js';
import type { RouteDeps } from '../route-deps.js';

/**
 * An agency uploads its encoded dataset for a purpose, signed with its Ed25519 key and sealed to the
 * broker's X25519 key. Verified before anything is stored; safe to retry with the same idempotency key.
 */
/** What a withdrawal or correction answers: the submission's new size, or why nothing changed. */
const amended = {
  200: WithdrawalResponse,
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
};

export const submissionRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, deps) => {
  app.post(
    '/v1/purposes/:purpose/submissions',
    {
      onRequest: requireRole(deps.db, 'agency'),
      // The one large body: read only once the caller is authenticated (onRequest runs first).
      config: { body: 'upload', audit: { action: 'submission.create' } },
      schema: {
        summary: 'Upload a signed, sealed encoded dataset for a purpose',
        tags: ['submissions'],
        params: PurposeParams,
        headers: IdempotencyHeaders,
        body: SubmissionEnvelope,
        response: {
          201: SubmissionResponse,
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
          413: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const stored = await submitEncodings(
        deps,
        {
          purpose: request.params.purpose,
          agency: request.user.sub,
          idempotencyKey: request.headers['idempotency-key'],
          envelope: request.body,
        },
        request.audit,
      );
      return reply.code(201).send(stored);
    },
  );
  app.post(
    '/v1/purposes/:purpose/withdrawals',
    {
      onRequest: requireRole(deps.db, 'agency'),
      config: { body: 'json', audit: { action: 'submission.withdraw' } },
      schema: {
        summary: 'Withdraw rows of my current submission by their row tokens',
        tags: ['submissions'],
        params: PurposeParams,
        body: WithdrawalRequest,
        response: amended,
      },
    },
    async (request) =>
      withdraw(
        deps,
        { purpose: request.params.purpose, agency: request.user.sub, request: request.body },
        request.audit,
      ),
  );
  app.post(
    '/v1/purposes/:purpose/corrections',
    {
      onRequest: requireRole(deps.db, 'agency'),
      config: { body: 'upload', audit: { action: 'submission.correct' } },
      schema: {
        summary: 'Replace rows of my current submission with corrected encodings (signed and sealed)',
        tags: ['submissions'],
        params: PurposeParams,
        body: SubmissionEnvelope,
        response: amended,
      },
    },
    async (request) =>
      correct(
        deps,
        { purpose: request.params.purpose, agency: request.user.sub, envelope: request.body },
        request.audit,
      ),
  );
};
