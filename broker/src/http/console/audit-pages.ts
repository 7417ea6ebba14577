import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { AuditDecision, type AuditEntry, type AuditQuery } from '@blindlink/protocol';
import { listAuditCheckpoints, queryAuditTrail } from '../../services/audit-trail.js';
import { agreementsInForce, REGISTER_COLUMNS, registerRow } from '../../services/transparency.js';
import type { RouteDeps } from '../route-deps.js';
import { csv } from './csv.js';
import { requirePerson } from './session.js';

const SLUG = '^[a-z0-9][a-z0-9-]{0,62}$';
/** The filters as a form sends them: an empty field is no filter. Dates are the browser's date inputs. */
const AuditFilters = Type.Object(
  {
    purpose: Type.Optional(Type.Union([Type.Literal(''), Type.String({ pattern: SLUG })])),
    agency: Type.Optional(Type.Union([Type.Literal(''), Type.String({ pattern: SLUG })])),
    person: Type.Optional(Type.String({ maxLength: 200 })),
    decision: Type.Optional(Type.Union([Type.Literal(''), AuditDecision])),
    from: Type.Optional(Type.Union([Type.Literal(''), Type.String({ format: 'date' })])),
    to: Type.Optional(Type.Union([Type.Literal(''), Type.String({ format: 'date' })])),
    afterSeq: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
  },
  { additionalProperties: false },
);
type Filters = { [K in keyof typeof AuditFilters.properties]?: string };

/** The form's filters as the audit service's query; a person is named as the trail names them ("ig-lead:iona"). */
function toQuery(f: Filters): AuditQuery {
  const q: AuditQuery = {};
  if (f.purpose) q.purpose = f.purpose;
  if (f.agency) q.agency = f.agency;
  if (f.person?.trim()) q.actor = f.person.trim();
  if (f.decision) q.decision = f.decision as AuditQuery['decision'];
  if (f.from) q.from = `${f.from}T00:00:00.000Z`;
  // "to" is a day: rows up to the end of it.
  if (f.to) q.to = new Date(Date.parse(`${f.to}T00:00:00.000Z`) + 86_400_000).toISOString();
  if (f.afterSeq) q.afterSeq = f.afterSeq;
  return q;
}

const AUDIT_COLUMNS = [
  'seq',
  'at',
  'actor',
  'action',
  'purpose',
  'policy_id',
  'policy_version',
  'policy_rule',
  'decision',
  'status',
  'reason',
  'release_digest',
  'hash',
];
const auditRow = (e: AuditEntry) => [
  e.seq,
  e.at,
  e.actor,
  e.action,
  e.purpose,
  e.policyId,
  e.policyVersion,
  e.policyRule,
  e.decision,
  e.status,
  e.reason,
  e.releaseDigest,
  e.hash,
];

/** The IG lead's audit trail (filters, refusals marked, checkpoint status, export) and the register export. */
export async function auditPages(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const igLead = requirePerson(app, deps.db, 'ig-lead');

  app.get(
    '/audit',
    { onRequest: igLead, config: { audit: { action: 'audit.query' } }, schema: { querystring: AuditFilters } },
    async (request, reply) => {
      const filters = request.query as Filters;
      const page = await queryAuditTrail(deps, { ...toQuery(filters), limit: '200' }, request.audit);
      const checkpoints = await listAuditCheckpoints(deps, { limit: '1000' }, {});
      const lastCheckpoint = checkpoints.checkpoints.at(-1) ?? null;
      const nextQuery = page.nextAfterSeq
        ? new URLSearchParams({ ...stripEmpty(filters), afterSeq: String(page.nextAfterSeq) }).toString()
        : null;
      const exportQuery = new URLSearchParams(stripEmpty({ ...filters, afterSeq: '' })).toString();
      return reply.page('audit.njk', { filters, page, lastCheckpoint, nextQuery, exportQuery });
    },
  );

  app.get(
    '/audit/export.csv',
    { onRequest: igLead, config: { audit: { action: 'audit.export' } }, schema: { querystring: AuditFilters } },
    async (request, reply) => {
      const q = toQuery(request.query as Filters);
      const rows: AuditEntry[] = [];
      // Page through the filtered trail; the verifiable export is GET /v1/audit/export (JSON lines).
      for (let after = q.afterSeq ?? '0'; ; ) {
        const page = await queryAuditTrail(deps, { ...q, afterSeq: after, limit: '1000' }, request.audit);
        rows.push(...page.entries);
        if (page.nextAfterSeq === null || rows.length >= 100_000) break;
        after = String(page.nextAfterSeq);
      }
      request.audit.counts = { rows: rows.length };
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="audit-trail.csv"')
        .send(csv(AUDIT_COLUMNS, rows.map(auditRow)));
    },
  );

  app.get(
    '/register.csv',
    { onRequest: igLead, config: { audit: { action: 'register.export' } } },
    async (_request, reply) =>
      reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="data-sharing-register.csv"')
        .send(csv(REGISTER_COLUMNS, (await agreementsInForce(deps)).map(registerRow))),
  );

  app.get(
    '/register.json',
    { onRequest: igLead, config: { audit: { action: 'register.export' } } },
    async (_request, reply) =>
      reply
        .header('content-disposition', 'attachment; filename="data-sharing-register.json"')
        .send({ generatedAt: new Date().toISOString(), agreements: await agreementsInForce(deps) }),
  );
}

function stripEmpty(f: Filters): Record<string, string> {
  return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined && v !== '')) as Record<string, string>;
}
