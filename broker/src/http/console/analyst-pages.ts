import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { ProtocolError, Slug } from '@blindlink/protocol';
import { dataQualityCounts } from '../../services/data-quality-counts.js';
import { listRecentRuns } from '../../services/get-run-status.js';
import { assignedPurposes, requireAssignedAnalyst } from '../../services/purpose-access.js';
import { requestRelease } from '../../services/request-release.js';
import { getRunQuality } from '../../services/run-quality.js';
import { getSchedule } from '../../services/schedules.js';
import { startRun } from '../../services/start-run.js';
import type { RouteDeps } from '../route-deps.js';
import { barChart, histogramChart } from './charts.js';
import { csv } from './csv.js';
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
 * The analyst's purposes: runs with live progress, the nightly schedule, aggregate releases as tables
 * and charts, the agencies' data-quality counts.
 */
export async function analystPages(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  const analyst = requirePerson(app, deps.db, 'analyst');

  app.get(
    '/purposes',
    { onRequest: analyst, config: { audit: { action: 'console.purposes' } } },
    async (request, reply) => reply.page('purposes.njk', { purposes: await assignedPurposes(deps.db, request.user) }),
  );

  app.get(
    '/purposes/:purpose',
    { onRequest: analyst, config: { audit: { action: 'run.status' } }, schema: { params: PurposeParams } },
    async (request, reply) => {
      const { purpose } = request.params as { purpose: string };
      const runs = await listRecentRuns(deps, request.user, purpose, request.audit);
      const schedule = await getSchedule(deps, purpose).catch((err: unknown) => {
        if (err instanceof ProtocolError && err.statusCode === 404) return null;
        throw err;
      });
      // While a run is under way the page refreshes itself: live progress without a script.
      const live = runs.some((r) => r.status === 'queued' || r.status === 'running');
      if (live) reply.header('refresh', '3');
      return reply.page('purpose.njk', { purpose, runs, schedule, live });
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
