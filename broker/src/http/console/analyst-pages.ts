import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { ProtocolError, Slug } from '@blindlink/protocol';
import { dataQualityCounts } from '../../services/data-quality-counts.js';
import { listRecentRuns } from '../../services/get-run-status.js';
import { assignedPurposes, requireAssignedAnalyst } from '../../services/purpose-access.js';
import { requestRelease } from '../../services/request-release.js';
import { getRunQuality } from '../../services/run-quality.js';
import { formatLocal } from '../../schedule/next-due.js';
import type { AuditNote } from '../../services/audit-note.js';
import { getSchedule, removeSchedule, setSchedule } from '../../services/schedules.js';
import type { Caller } from '../../services/caller.js';
import { startRun } from '../../services/start-run.js';
import { beginRouteAudit } from '../audit-hook.js';
import type { RouteDeps } from '../route-deps.js';
import { barChart, histogramChart } from './charts.js';
import { csv } from './csv.js';
import { type FormProblem, formProblem } from './form-problem.js';
import { requirePerson } from './session.js';

const PurposeParams = Type.Object({ purpose: Slug }, { additionalProperties: false });
const RunPageParams = Type.Object(
  { purpose: Slug, runId: Type.String({ format: 'uuid' }) },
  { additionalProperties: false },
);
const RuleQuery = Type.Object(
  { rule: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' })) },
  { additionalProperties: false },
);
/** What the purpose page says after a schedule change (the post redirects here). */
const PurposeQuery = Type.Object(
  { schedule: Type.Optional(Type.Union([Type.Literal('set'), Type.Literal('removed')])) },
  { additionalProperties: false },
);
/** Loose on purpose: the schedule service checks both fields and names the one at fault, for the form. */
const ScheduleForm = Type.Object(
  {
    _csrf: Type.String({ maxLength: 200 }),
    at: Type.String({ maxLength: 200 }),
    timeZone: Type.String({ maxLength: 200 }),
  },
  { additionalProperties: false },
);
const CsrfOnly = Type.Object({ _csrf: Type.String({ maxLength: 200 }) }, { additionalProperties: false });
const RunForm = Type.Object(
  {
    _csrf: Type.String({ maxLength: 200 }),
    mode: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('full')])),
  },
  { additionalProperties: false },
);

interface AggregateBody {
  runId: string;
  policy: { id: string; version: number; rule: string };
  dimensions?: { name: string; values: string[] }[];
  cells: { key: string[]; count: number | null }[];
  margins: { grandTotal: number | null };
  suppressed: { primary: number; secondary: number };
  notes: string[];
}

/**
 * The analyst's purposes: runs with live progress, setting and removing the nightly schedule, aggregate
 * releases as tables and charts, the agencies' data-quality counts.
 */
export async function analystPages(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const analyst = requirePerson(app, deps.db, 'analyst');

  app.get(
    '/purposes',
    { onRequest: analyst, config: { audit: { action: 'console.purposes' } } },
    async (request, reply) => reply.page('purposes.njk', { purposes: await assignedPurposes(deps.db, request.user) }),
  );

  /** A purpose's page: its runs, its nightly schedule (with the next night in its own zone) and the schedule form. */
  const purposePage = async (request: { user: Caller; audit: AuditNote }, purpose: string) => {
    const runs = await listRecentRuns(deps, request.user, purpose, request.audit);
    const schedule = await getSchedule(deps, purpose).catch((err: unknown) => {
      if (err instanceof ProtocolError && err.statusCode === 404) return null;
      throw err;
    });
    const nextDueLocal = schedule && formatLocal(new Date(schedule.nextDue), schedule.timeZone);
    const live = runs.some((r) => r.status === 'queued' || r.status === 'running');
    return { purpose, runs, schedule, nextDueLocal, live };
  };

  app.get(
    '/purposes/:purpose',
    {
      onRequest: analyst,
      config: { audit: { action: 'run.status' } },
      schema: { params: PurposeParams, querystring: PurposeQuery },
    },
    async (request, reply) => {
      const { purpose } = request.params as { purpose: string };
      const data = await purposePage(request, purpose);
      // While a run is under way the page refreshes itself: live progress without a script.
      if (data.live) reply.header('refresh', '3');
      return reply.page('purpose.njk', { ...data, changed: (request.query as { schedule?: string }).schedule });
    },
  );

  /**
   * The schedule API's authority, checked as it checks it: an analyst assigned to the purpose, before the
   * form is read, and the audit row names the action and purpose from here on.
   */
  const assigned = async (request: FastifyRequest): Promise<void> => {
    beginRouteAudit(request);
    await requireAssignedAnalyst(deps.db, request.user, (request.params as { purpose: string }).purpose);
  };

  app.post(
    '/purposes/:purpose/schedule',
    {
      onRequest: analyst,
      preValidation: assigned,
      preHandler: app.csrfProtection,
      config: { audit: { action: 'schedule.set' } },
      schema: { params: PurposeParams, body: ScheduleForm },
    },
    async (request, reply) => {
      const { purpose } = request.params as { purpose: string };
      const { at, timeZone } = request.body as { at: string; timeZone: string };
      let problem: FormProblem | null;
      try {
        await setSchedule(deps, request.user, { purpose, request: { at, timeZone } }, request.audit);
        return reply.redirect(`/purposes/${purpose}?schedule=set`, 303);
      } catch (err) {
        problem = formProblem(err, request.audit, 'at');
        if (!problem) throw err;
      }
      // The page around the form, read under a note of its own: this request's audit row is the refusal.
      const data = await purposePage({ user: request.user, audit: {} }, purpose);
      return reply.code(problem.status).page('purpose.njk', { ...data, problem, form: { at, timeZone } });
    },
  );

  app.post(
    '/purposes/:purpose/schedule/remove',
    {
      onRequest: analyst,
      preValidation: assigned,
      preHandler: app.csrfProtection,
      config: { audit: { action: 'schedule.remove' } },
      schema: { params: PurposeParams, body: CsrfOnly },
    },
    async (request, reply) => {
      const { purpose } = request.params as { purpose: string };
      await removeSchedule(deps, purpose, request.audit);
      return reply.redirect(`/purposes/${purpose}?schedule=removed`, 303);
    },
  );

  app.get(
    '/purposes/:purpose/runs/:runId',
    { onRequest: analyst, config: { audit: { action: 'run.status' } }, schema: { params: RunPageParams } },
    async (request, reply) => {
      const { purpose, runId } = request.params as { purpose: string; runId: string };
      const { status, model } = await getRunQuality(deps, request.user, { purpose, runId }, request.audit);
      const live = status.status === 'queued' || status.status === 'running';
      if (live) reply.header('refresh', '3');
      const chart =
        model?.mode === 'fellegi-sunter' ? histogramChart(model.histogram.bins, model.threshold) : undefined;
      return reply.page('run.njk', { purpose, run: status, model, chart, live });
    },
  );

  // Each agency's latest data-quality feedback, as counts only (docs/rights.md).
  app.get(
    '/purposes/:purpose/data-quality',
    { onRequest: analyst, config: { audit: { action: 'console.data-quality' } }, schema: { params: PurposeParams } },
    async (request, reply) => {
      const { purpose } = request.params as { purpose: string };
      const { threshold, agencies } = await dataQualityCounts(deps, request.user, purpose, request.audit);
      return reply.page('data-quality.njk', { purpose, threshold, agencies });
    },
  );

  app.post(
    '/purposes/:purpose/runs',
    {
      onRequest: analyst,
      preHandler: app.csrfProtection,
      config: { audit: { action: 'run.create' } },
      schema: { params: PurposeParams, body: RunForm },
    },
    async (request, reply) => {
      const { purpose } = request.params as { purpose: string };
      const mode = (request.body as { mode?: 'auto' | 'full' }).mode ?? 'auto';
      await startRun(deps, request.user, { purpose, mode }, request.audit);
      return reply.redirect(`/purposes/${purpose}`, 303);
    },
  );

  const aggregate = async (request: { params: unknown; query: unknown; user: never; audit: never }) => {
    const { purpose } = request.params as { purpose: string };
    const { rule } = request.query as { rule?: string };
    await requireAssignedAnalyst(deps.db, request.user, purpose);
    const body = (await requestRelease(
      deps,
      request.user,
      { purpose, form: 'aggregate', rule },
      request.audit,
    )) as unknown as AggregateBody;
    return { purpose, body };
  };

  app.get(
    '/purposes/:purpose/aggregate',
    {
      onRequest: analyst,
      config: { audit: { action: 'release.aggregate' } },
      schema: { params: PurposeParams, querystring: RuleQuery },
    },
    async (request, reply) => {
      const { purpose, body } = await aggregate(request as never);
      const dims = body.dimensions ?? [];
      const chart = barChart(body.cells.map((c) => ({ label: c.key.join(' / '), value: c.count })));
      return reply.page('aggregate.njk', { purpose, release: body, dims, chart });
    },
  );

  app.get(
    '/purposes/:purpose/aggregate.csv',
    {
      onRequest: analyst,
      config: { audit: { action: 'release.aggregate' } },
      schema: { params: PurposeParams, querystring: RuleQuery },
    },
    async (request, reply) => {
      const { purpose, body } = await aggregate(request as never);
      const names = (body.dimensions ?? []).map((d) => d.name);
      const header = [
        ...(names.length ? names : (body.cells[0]?.key.map((_, i) => `dimension_${i + 1}`) ?? [])),
        'count',
      ];
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${purpose}-aggregate.csv"`)
        .send(
          csv(
            header,
            body.cells.map((c) => [...c.key, c.count === null ? 'suppressed' : c.count]),
          ),
        );
    },
  );
}
