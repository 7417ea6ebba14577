import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  ClericalReviewResponse,
  ErrorBody,
  PurposeParams,
  ReleaseRequest,
  ReviewLabelsRequest,
  ReviewLabelsResponse,
} from '@blindlink/protocol';
import { exportReview, submitReviewLabels } from '../../services/clerical-review.js';
import { requireRole } from '../auth.js';
import type { RouteDeps } from '../route-deps.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

/** Clerical review (docs/clerical-review.md): the uncertain pairs out, the data officer's verdicts back. */
export const reviewRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, deps) => {
  app.post(
    '/v1/purposes/:purpose/releases/clerical-review',
    {
      onRequest: requireRole(deps.db, 'agency'),
      config: { body: 'json', audit: { action: 'release.clerical-review' } },
      schema: {
        summary: 'My most uncertain pairs of the latest run, with per-field comparison levels and weights',
        tags: ['releases'],
        params: PurposeParams,
        body: ReleaseRequest,
        response: { 200: ClericalReviewResponse, ...errors },
      },
    },
    async (request) =>
      exportReview(deps, request.user, { purpose: request.params.purpose, rule: request.body.rule }, request.audit),
  );

  app.post(
    '/v1/purposes/:purpose/review-labels',
    {
      onRequest: requireRole(deps.db, 'agency'),
      config: { body: 'json', audit: { action: 'review.labels' } },
      schema: {
        summary: "A data officer's verdicts (match, non-match, unsure) on pairs of my clerical-review export",
        tags: ['releases'],
        params: PurposeParams,
        body: ReviewLabelsRequest,
        response: { 200: ReviewLabelsResponse, ...errors },
      },
    },
    async (request) =>
      submitReviewLabels(
        deps,
        request.user,
        { purpose: request.params.purpose, labels: request.body.labels },
        request.audit,
      ),
  );
};
