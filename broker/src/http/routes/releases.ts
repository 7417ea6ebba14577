import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AggregateResponse,
  DiscrepancyResponse,
  ErrorBody,
  FamilyCriteriaResponse,
  MembershipRequest,
  MembershipResponse,
  ProtocolError,
  PseudonymResponse,
  PurposeParams,
  ReleaseRequest,
} from '@blindlink/protocol';
import { latestCompletedRun } from '../../linkage/runs.js';
import { analystPurposes } from '../../people/accounts.js';
import { aggregate, discrepancies, familyCriteria, pseudonyms } from '../../releases/forms.js';
import { loadRunRecords } from '../../releases/run-records.js';
import { runForRequester } from '../../releases/run-view.js';
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
      onRequest: requireRole(db, 'agency'),
      config: { body: 'json' },
      schema: {
        summary: 'Is each of my rows known to the named agency? (yes/no per row token)',
        tags: ['releases'],
        params: PurposeParams,
        body: MembershipRequest,
        response: {
          200: MembershipResponse,
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
        },
      },
    },
    async (request) => {
      const { purpose } = request.params;
      const { of } = request.body;
      const requester = request.user.sub;
      request.audit.action = 'release.membership';
      request.audit.purpose = purpose;
      const { decision } = await judgeRelease(db, purpose, { requester, form: 'membership', of });
      Object.assign(request.audit, {
        policyId: decision.policyId,
        policyVersion: decision.policyVersion,
        policyRule: decision.rule,
      });
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

type Form = 'pseudonym' | 'family-criteria' | 'aggregate' | 'discrepancy';

/**
 * The other release forms share one path: the caller (an agency, or an analyst assigned to the purpose
 * asking as recipient "analysts") → the policy version in force decides → the latest completed run's
 * records → the form's pure function → audited with a digest of exactly what left.
 */
export const formRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { db, keys, pseudonymKey }) => {
  const forms: { form: Form; response: unknown; summary: string; payload: boolean; addresses?: boolean }[] = [
    {
      form: 'pseudonym',
      response: PseudonymResponse,
      summary: 'A per-purpose pseudonym for each of my rows',
      payload: false,
    },
    {
      form: 'family-criteria',
      response: FamilyCriteriaResponse,
      summary: 'My households meeting the family criteria threshold, with criteria codes',
      payload: true,
    },
    {
      form: 'aggregate',
      response: AggregateResponse,
      summary: 'Depersonalised counts with small-cell and secondary suppression',
      payload: true,
    },
    {
      form: 'discrepancy',
      response: DiscrepancyResponse,
      summary: 'My rows flagged by a declared discrepancy check, with the number of corroborating sources',
      payload: true,
      addresses: true,
    },
  ];
  for (const f of forms) {
    app.post(
      `/v1/purposes/:purpose/releases/${f.form}`,
      {
        onRequest: requireRole(db, 'agency', 'analyst'),
        config: { body: 'json' },
        schema: {
          summary: f.summary,
          tags: ['releases'],
          params: PurposeParams,
          body: ReleaseRequest,
          response: {
            200: f.response as never,
            400: ErrorBody,
            401: ErrorBody,
            403: ErrorBody,
            404: ErrorBody,
            409: ErrorBody,
          },
        },
      },
      async (request) => {
        const { purpose } = request.params;
        Object.assign(request.audit, { action: `release.${f.form}`, purpose });
        const analyst = request.user.role === 'analyst';
        if (analyst && !(await analystPurposes(db, request.user.sub)).includes(purpose)) {
          throw new ProtocolError('forbidden', `analyst ${request.user.sub} is not assigned to purpose ${purpose}`);
        }
        const requester = analyst ? 'analysts' : request.user.sub;
        const { decision, policy } = await judgeRelease(db, purpose, {
          requester,
          form: f.form,
          ...(request.body.rule ? { rule: request.body.rule } : {}),
        });
        Object.assign(request.audit, {
          policyId: decision.policyId,
          policyVersion: decision.policyVersion,
          policyRule: decision.rule,
        });
        if (!decision.allow) throw refusal(decision);
        const run = analyst
          ? await latestCompletedRun(db, purpose)
          : (await runForRequester(db, purpose, requester)).run;
        const records = await loadRunRecords(db, keys, run.id, { payload: f.payload, addresses: f.addresses ?? false });
        const rule = decision.grant;
        const base = {
          purpose,
          runId: run.id,
          policy: { id: decision.policyId, version: decision.policyVersion, rule: decision.rule },
        };
        let body: Record<string, unknown>;
        let counts: Record<string, number>;
        if (rule.form === 'pseudonym') {
          const answers = pseudonyms(records, requester, rule, purpose, pseudonymKey);
          body = { ...base, answers };
          counts = { rows: answers.length };
        } else if (rule.form === 'family-criteria') {
          const families = familyCriteria(records, requester, rule, policy.document);
          body = { ...base, families };
          counts = { families: families.length, rows: families.reduce((n, x) => n + x.tokens.length, 0) };
        } else if (rule.form === 'aggregate') {
          const release = aggregate(records, rule, policy.document);
          body = { ...base, ...release };
          counts = {
            cells: release.cells.length,
            suppressed: release.suppressed.primary + release.suppressed.secondary,
          };
        } else if (rule.form === 'discrepancy') {
          const flagged = discrepancies(records, requester, rule);
          body = { ...base, check: rule.check, flagged };
          counts = { flagged: flagged.length };
        } else {
          throw new ProtocolError('bad-request', `form ${rule.form} has its own route`);
        }
        request.audit.counts = counts;
        request.audit.releaseDigest = releaseDigest(body);
        request.audit.reason = decision.reason;
        return body;
      },
    );
  }
};
