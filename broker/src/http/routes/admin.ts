import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import {
  AgencyParams,
  EnrolmentCodeResponse,
  ErrorBody,
  NewAgencyRequest,
  NewPersonRequest,
  NewPersonResponse,
  UsernameParams,
} from '@blindlink/protocol';
import { registerAgency, reissueEnrolmentCode, revokeAgency } from '../../services/manage-agencies.js';
import { addPerson, unlockPerson } from '../../services/manage-people.js';
import { loadPolicy } from '../../services/policy-versions.js';
import { requireRole } from '../auth.js';
import type { RouteDeps } from '../route-deps.js';

/**
 * The admin manages agencies, people and policies — and nothing else: no admin route reads released
 * results or the audit trail's contents (separation of duties).
 */
export const adminRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, deps) => {
  const admin = requireRole(deps.db, 'admin');
  const tags = ['admin'];

  app.post(
    '/v1/admin/agencies',
    {
      onRequest: admin,
      config: { body: 'json', audit: { action: 'agency.register' } },
      schema: {
        summary: 'Create an agency; returns its one-time enrolment code',
        tags,
        body: NewAgencyRequest,
        response: { 201: EnrolmentCodeResponse, 409: ErrorBody },
      },
    },
    async (request, reply) => reply.code(201).send(await registerAgency(deps, request.body, request.audit)),
  );

  app.post(
    '/v1/admin/agencies/:agency/enrolment-code',
    {
      onRequest: admin,
      config: { audit: { action: 'agency.enrolment-code' } },
      schema: {
        summary: 'Issue a new enrolment code (re-enrolment)',
        tags,
        params: AgencyParams,
        response: { 201: EnrolmentCodeResponse, 404: ErrorBody },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await reissueEnrolmentCode(deps, request.params.agency, request.audit)),
  );

  app.post(
    '/v1/admin/agencies/:agency/revoke',
    {
      onRequest: admin,
      config: { audit: { action: 'agency.revoke' } },
      schema: {
        summary: 'Revoke every certificate of an agency, at once',
        tags,
        params: AgencyParams,
        response: { 200: Type.Object({ revoked: Type.Integer() }, { additionalProperties: false }), 404: ErrorBody },
      },
    },
    async (request) => ({ revoked: await revokeAgency(deps, request.params.agency, request.audit) }),
  );

  app.post(
    '/v1/admin/people',
    {
      onRequest: admin,
      config: { body: 'json', audit: { action: 'person.add' } },
      schema: {
        summary: 'Add a person; returns a generated password once',
        tags,
        body: NewPersonRequest,
        response: { 201: NewPersonResponse, 400: ErrorBody, 409: ErrorBody },
      },
    },
    async (request, reply) => reply.code(201).send(await addPerson(deps, request.user, request.body, request.audit)),
  );

  app.post(
    '/v1/admin/people/:username/unlock',
    {
      onRequest: admin,
      config: { audit: { action: 'person.unlock' } },
      schema: {
        summary: 'Unlock an account locked after failed logins',
        tags,
        params: UsernameParams,
        response: { 204: Type.Null(), 404: ErrorBody },
      },
    },
    async (request, reply) => {
      await unlockPerson(deps, request.params.username, request.audit);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/admin/policies',
    {
      onRequest: admin,
      config: { body: 'policy', audit: { action: 'policy.load' } },
      schema: {
        summary: 'Load a policy version (YAML body, application/yaml); it is in force once an IG lead approves it',
        tags,
        body: Type.String({ minLength: 1, maxLength: 1_000_000 }),
        response: {
          201: Type.Object(
            { id: Type.String(), version: Type.Integer(), contentHash: Type.String(), result: Type.String() },
            { additionalProperties: false },
          ),
          400: ErrorBody,
          409: ErrorBody,
        },
      },
    },
    async (request, reply) => reply.code(201).send(await loadPolicy(deps, request.user, request.body, request.audit)),
  );
};
