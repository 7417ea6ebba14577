import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { PolicyVersionParams, ProtocolError } from '@blindlink/protocol';
import { approvePolicy, policyDocuments, refusePolicy } from '../../services/policy-versions.js';
import { queryAuditTrail } from '../../services/audit-trail.js';
import { readPrivacyReport } from '../../services/read-privacy-report.js';
import type { RouteDeps } from '../route-deps.js';
import { diffLines } from './diff.js';
import { requirePerson } from './session.js';

const ApproveForm = Type.Object(
  { _csrf: Type.String({ maxLength: 200 }), privacyReportDigest: Type.Optional(Type.String({ maxLength: 100 })) },
  { additionalProperties: false },
);
const RefuseForm = Type.Object(
  { _csrf: Type.String({ maxLength: 200 }), reason: Type.String({ maxLength: 2000 }) },
  { additionalProperties: false },
);

const text = (doc: unknown) => JSON.stringify(doc, null, 2);

/** The IG lead's policy register: every version, what changed, its privacy report, approve or refuse. */
export async function policyPages(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  app.get(
    '/policies',
    { onRequest: requirePerson(app, deps.db, 'ig-lead', 'admin'), config: { audit: { action: 'policy.list' } } },
    async (_request, reply) => {
      const policies = await policyDocuments(deps);
      policies.sort((a, b) => a.id.localeCompare(b.id) || b.version - a.version);
      return reply.page('policies.njk', { policies });
    },
  );

  /** One version: its text, the diff against the version before it, the privacy report, and the decision forms. */
  const version = async (id: string, v: number, igLead: boolean, audit: { purpose?: string | null }) => {
    const all = await policyDocuments(deps);
    const policy = all.find((p) => p.id === id && p.version === v);
    if (!policy) throw new ProtocolError('not-found', `no policy ${id} version ${v}`);
    const previous = all.filter((p) => p.id === id && p.version < v).sort((a, b) => b.version - a.version)[0];
    const diff = previous ? diffLines(text(previous.document), text(policy.document)) : null;
    let report: { digest: string; submissions: unknown[] } | null = null;
    let reportProblem: string | null = null;
    if (igLead) {
      try {
        report = await readPrivacyReport(deps, { purpose: policy.purpose }, {});
      } catch (err) {
        if (!(err instanceof ProtocolError) || err.statusCode >= 500) throw err;
        reportProblem = err.message;
      }
    }
    // Refusals live in the audit trail (services/policy-versions.ts): the IG leads' earlier decisions on it.
    const refusals = igLead
      ? (
          await queryAuditTrail(deps, { purpose: policy.purpose, action: 'policy.refuse', limit: '1000' }, {})
        ).entries.filter((e) => e.policyId === id && e.policyVersion === v && e.decision === 'refused')
      : [];
    audit.purpose = policy.purpose;
    return { policy, documentText: text(policy.document), previous, diff, report, reportProblem, refusals };
  };

  app.get(
    '/policies/:id/versions/:version',
    {
      onRequest: requirePerson(app, deps.db, 'ig-lead', 'admin'),
      config: { audit: { action: 'console.policy' } },
      schema: { params: PolicyVersionParams },
    },
    async (request, reply) => {
      const { id, version: v } = request.params as { id: string; version: string };
      return reply.page('policy.njk', await version(id, Number(v), request.user.role === 'ig-lead', request.audit));
    },
  );

  app.post(
    '/policies/:id/versions/:version/approval',
    {
      onRequest: requirePerson(app, deps.db, 'ig-lead'),
      preHandler: app.csrfProtection,
      config: { audit: { action: 'policy.approve' } },
      schema: { params: PolicyVersionParams, body: ApproveForm },
    },
    async (request, reply) => {
      const { id, version: v } = request.params as { id: string; version: string };
      const { privacyReportDigest } = request.body as { privacyReportDigest?: string };
      await approvePolicy(
        deps,
        request.user,
        { id, version: Number(v), privacyReportDigest: privacyReportDigest || undefined },
        request.audit,
      );
      return reply.redirect(`/policies/${id}/versions/${v}?decided=approved`, 303);
    },
  );

  app.post(
    '/policies/:id/versions/:version/refusal',
    {
      onRequest: requirePerson(app, deps.db, 'ig-lead'),
      preHandler: app.csrfProtection,
      config: { audit: { action: 'policy.refuse' } },
      schema: { params: PolicyVersionParams, body: RefuseForm },
    },
    async (request, reply) => {
      const { id, version: v } = request.params as { id: string; version: string };
      const { reason } = request.body as { reason: string };
      await refusePolicy(deps, request.user, { id, version: Number(v), reason }, request.audit);
      return reply.redirect(`/policies/${id}/versions/${v}?decided=refused`, 303);
    },
  );
}
