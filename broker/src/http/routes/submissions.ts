import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Compile } from 'typebox/compile';
import {
  ErrorBody,
  IdempotencyHeaders,
  ProtocolError,
  PurposeParams,
  SubmissionEnvelope,
  SubmissionRequest,
  SubmissionResponse,
} from '@blindlink/protocol';
import { agencySigningKey } from '../../agencies/registry.js';
import { checkAttributes } from '@blindlink/policies';
import { judgeContribution, refusal } from '../../policies/judge.js';
import { requireKeyCheck } from '../../submissions/key-check.js';
import { storeSubmission } from '../../submissions/store.js';
import { decodeSubmission } from '../../submissions/validate.js';
import { EnvelopeError, openSubmission } from '../../trust/submission-envelope.js';
import { requireRole } from '../auth.js';
import type { RouteDeps } from '../app.js';

const checkBody = Compile(SubmissionRequest);

/**
 * An agency uploads its encoded dataset for a purpose, signed with its Ed25519 key and sealed to the
 * broker's X25519 key. Verified before anything is stored; safe to retry with the same idempotency key.
 */
export const submissionRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { db, keys }) => {
  app.post(
    '/v1/purposes/:purpose/submissions',
    {
      onRequest: requireRole(db, 'agency'),
      // The one large body: read only once the caller is authenticated (onRequest runs first).
      config: { body: 'upload' },
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
      const { purpose } = request.params;
      const agency = request.user.sub;
      request.audit.action = 'submission.create';
      request.audit.purpose = purpose;

      let opened;
      try {
        opened = await openSubmission(request.body, await agencySigningKey(db, agency), keys);
      } catch (err) {
        if (err instanceof EnvelopeError)
          throw new ProtocolError('invalid-encoding', `submission envelope refused: ${err.message}`);
        throw err;
      }
      let body: unknown;
      try {
        body = JSON.parse(Buffer.from(opened.body).toString('utf8'));
      } catch {
        throw new ProtocolError('invalid-body', 'the sealed submission is not JSON');
      }
      if (!checkBody.Check(body)) {
        const e = [...checkBody.Errors(body)][0];
        throw new ProtocolError('invalid-body', `submission${e?.instancePath ?? ''} ${e?.message ?? 'is invalid'}`);
      }
      requireKeyCheck(body.header);

      const { decision, policy } = await judgeContribution(
        db,
        purpose,
        agency,
        body.header.schema.fields,
        body.header.attributes ?? [],
      );
      Object.assign(request.audit, {
        policyId: decision.policyId,
        policyVersion: decision.policyVersion,
        policyRule: decision.rule,
      });
      if (!decision.allow) throw refusal(decision);

      const decoded = decodeSubmission(body, (attrs, row) => {
        const r = checkAttributes(policy.document, agency, attrs);
        if (!r.ok) throw new ProtocolError('invalid-body', `records[${row}]: ${r.problem}`, { row });
        return r.value;
      });
      request.audit.counts = { records: decoded.tokens.length };
      const stored = await storeSubmission(db, keys, {
        agency,
        purpose,
        idempotencyKey: request.headers['idempotency-key'],
        header: body.header,
        decoded,
        signature: { digest: opened.digest, signature: opened.signature },
        contributors: policy.document.contributors.map((c) => c.agency),
      });
      const message = {
        stored: `submission ${stored.id} stored; it is ${agency}'s current submission for ${purpose}`,
        'made-current': `this upload is identical to submission ${stored.id}, stored earlier: it is ${agency}'s current submission for ${purpose} again (nothing new stored); start a run to link it`,
        'already-current': `this upload is identical to submission ${stored.id}, which is already ${agency}'s current submission for ${purpose}; nothing changed`,
      }[stored.outcome];
      request.audit.reason = {
        stored: `submission ${stored.id} stored, signature verified`,
        'made-current': `submission ${stored.id} made current again by an identical re-submission, signature verified`,
        'already-current': `submission ${stored.id} re-submitted identically, already current, signature verified`,
      }[stored.outcome];
      return reply
        .code(201)
        .send({
          submissionId: stored.id,
          purpose,
          agency,
          recordCount: stored.recordCount,
          digest: stored.digest,
          reused: stored.outcome !== 'stored',
          message,
        });
    },
  );
};
