import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody, MembershipRequest, MembershipResponse, PurposeParams } from '@blindlink/protocol';
import { releaseDigest } from '../../audit/chain.js';
import { judgeRelease, refusal } from '../../policies/judge.js';
import { membershipAnswers } from '../../releases/membership.js';
import { requireRole } from '../auth.js';
import type { RouteDeps } from '../app.js';

/** Releases: only what the purpose's policy permits, judged by the version in force. */
export const releaseRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { db }) => {
  app.post(
    '/v1/purposes/:purpose/releases/membership',
    {
      preHandler: requireRole(db, 'agency'),
      schema: {
        summary: 'Is each of my rows known to the named agency? (yes/no per row token)',
        tags: ['releases'],
        params: PurposeParams,
        body: MembershipRequest,
        response: { 200: MembershipResponse, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (request) => {
      const { purpose } = request.params;
      const { of } = request.body;
      const requester = request.user.sub;
      request.audit.action = 'release.membership';
      request.audit.purpose = purpose;
      const { decision } = await judgeRelease(db, purpose, { requester, form: 'membership', of });
      Object.assign(request.audit, { policyId: decision.policyId, policyVersion: decision.policyVersion, policyRule: decision.rule });
      if (!decision.allow) throw refusal(decision);
      const { runId, answers } = await membershipAnswers(db, purpose, requester, of);
      const body = {
        purpose,
        of,
        runId,
        policy: { id: decision.policyId, version: decision.policyVersion, rule: decision.rule },
        answers,
      };
      request.audit.counts = { rows: answers.length, known: answers.filter((a) => a.known).length };
      request.audit.releaseDigest = releaseDigest(body);
      request.audit.reason = decision.reason;
      return body;
    },
  );
};
