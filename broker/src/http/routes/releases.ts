import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AggregateResponse,
  DataQualityResponse,
  DiscrepancyResponse,
  ErrorBody,
  FamilyCriteriaResponse,
  MembershipRequest,
  MembershipResponse,
  PseudonymResponse,
  PurposeParams,
  ReleaseRequest,
  SubjectAccessRequest,
  SubjectAccessResponse,
} from '@blindlink/protocol';
import { type ReleaseForm, requestMembership, requestRelease } from '../../services/request-release.js';
import { subjectAccess } from '../../services/subject-access.js';
import { requireRole } from '../auth.js';
import type { RouteDeps } from '../route-deps.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

/** Releases: only what the purpose's policy permits, judged by the version in force. */
export const releaseRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, deps) => {
  app.post(
    '/v1/purposes/:purpose/releases/membership',
    {
      onRequest: requireRole(deps.db, 'agency'),
      config: { body: 'json', audit: { action: 'release.membership' } },
      schema: {
        summary: 'Is each of my rows known to the named agency? (yes/no per row token)',
        tags: ['releases'],
        params: PurposeParams,
        body: MembershipRequest,
        response: { 200: MembershipResponse, ...errors },
      },
    },
    async (request) =>
      requestMembership(
        deps,
        { purpose: request.params.purpose, requester: request.user.sub, of: request.body.of },
        request.audit,
      ),
  );
  app.post(
    '/v1/purposes/:purpose/subject-access',
    {
      onRequest: requireRole(deps.db, 'agency'),
      config: { body: 'json', audit: { action: 'subject-access' } },
      schema: {
        summary: 'Subject access: which runs included a resident I hold, and which releases were about them',
        tags: ['releases'],
        params: PurposeParams,
        body: SubjectAccessRequest,
        response: { 200: SubjectAccessResponse, ...errors, 429: ErrorBody },
      },
    },
    async (request) =>
      subjectAccess(
        deps,
        { purpose: request.params.purpose, requester: request.user.sub, request: request.body },
        request.audit,
      ),
  );
};

/**
 * The other release forms share one path (services/request-release.ts): an agency, or an analyst
 * assigned to the purpose asking as recipient "analysts".
 */
export const formRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, deps) => {
  const forms: { form: ReleaseForm; response: unknown; summary: string }[] = [
    { form: 'pseudonym', response: PseudonymResponse, summary: 'A per-purpose pseudonym for each of my rows' },
    {
      form: 'family-criteria',
      response: FamilyCriteriaResponse,
      summary: 'My households meeting the family criteria threshold, with criteria codes',
    },
    {
      form: 'aggregate',
      response: AggregateResponse,
      summary: 'Depersonalised counts with small-cell and secondary suppression',
    },
    {
      form: 'discrepancy',
      response: DiscrepancyResponse,
      summary: 'My rows flagged by a declared discrepancy check, with the number of corroborating sources',
    },
    {
      form: 'data-quality',
      response: DataQualityResponse,
      summary: 'My likely duplicates, fields other sources disagree with, and rows linked to nobody (my tokens only)',
    },
  ];
  for (const { form, response, summary } of forms) {
    app.post(
      `/v1/purposes/:purpose/releases/${form}`,
      {
        onRequest: requireRole(deps.db, 'agency', 'analyst'),
        config: { body: 'json', audit: { action: `release.${form}` } },
        schema: {
          summary,
          tags: ['releases'],
          params: PurposeParams,
          body: ReleaseRequest,
          response: { 200: response as never, ...errors },
        },
      },
      async (request) =>
        requestRelease(
          deps,
          request.user,
          { purpose: request.params.purpose, form, rule: request.body.rule },
          request.audit,
        ),
    );
  }
};
