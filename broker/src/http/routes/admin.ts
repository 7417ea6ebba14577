import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import {
  AgencyParams,
  EnrolmentCodeResponse,
  ErrorBody,
  NewAgencyRequest,
  NewPersonRequest,
  NewPersonResponse,
  ProtocolError,
  UsernameParams,
} from '@blindlink/protocol';
import { parsePolicy, PolicyInvalidError } from '@blindlink/policies';
import { registerAgency, reissueEnrolmentCode, revokeAgency } from '../../agencies/registry.js';
import { addPerson, generatePassword, unlockPerson } from '../../people/accounts.js';
import { storePolicy } from '../../policies/store.js';
import { requireRole } from '../auth.js';
import type { RouteDeps } from '../app.js';

/**
 * The admin manages agencies, people and policies — and nothing else: no admin route reads released
 * results or the audit trail's contents (separation of duties).
 */
export const adminRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { db }) => {
  const admin = requireRole(db, 'admin');
  const tags = ['admin'];

  app.post(
    '/v1/admin/agencies',
    {
      onRequest: admin,
      config: { body: 'json' },
      schema: {
        summary: 'Create an agency; returns its one-time enrolment code',
        tags,
        body: NewAgencyRequest,
        response: { 201: EnrolmentCodeResponse, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      request.audit.action = 'agency.register';
      const r = await registerAgency(db, request.body.agency, request.body.name);
      request.audit.reason = `agency ${r.slug} registered`;
      return reply
        .code(201)
        .send({ agency: r.slug, enrolmentCode: r.enrolmentCode, expiresAt: r.expiresAt.toISOString() });
    },
  );

  app.post(
    '/v1/admin/agencies/:agency/enrolment-code',
    {
      onRequest: admin,
      schema: {
        summary: 'Issue a new enrolment code (re-enrolment)',
        tags,
        params: AgencyParams,
        response: { 201: EnrolmentCodeResponse, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      request.audit.action = 'agency.enrolment-code';
      const r = await reissueEnrolmentCode(db, request.params.agency);
      request.audit.reason = `new enrolment code for ${request.params.agency}`;
      return reply
        .code(201)
        .send({ agency: request.params.agency, enrolmentCode: r.enrolmentCode, expiresAt: r.expiresAt.toISOString() });
    },
  );

  app.post(
    '/v1/admin/agencies/:agency/revoke',
    {
      onRequest: admin,
      schema: {
        summary: 'Revoke every certificate of an agency, at once',
        tags,
        params: AgencyParams,
        response: { 200: Type.Object({ revoked: Type.Integer() }, { additionalProperties: false }), 404: ErrorBody },
      },
    },
    async (request) => {
      request.audit.action = 'agency.revoke';
      const revoked = await revokeAgency(db, request.params.agency);
      request.audit.reason = `${revoked} certificate(s) of ${request.params.agency} revoked`;
      return { revoked };
    },
  );

  app.post(
    '/v1/admin/people',
    {
      onRequest: admin,
      config: { body: 'json' },
      schema: {
        summary: 'Add a person; returns a generated password once',
        tags,
        body: NewPersonRequest,
        response: { 201: NewPersonResponse, 400: ErrorBody, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      request.audit.action = 'person.add';
      const password = generatePassword();
      await addPerson(db, { ...request.body, password, createdBy: `admin:${request.user.sub}` });
      request.audit.reason = `${request.body.role} ${request.body.username} added`;
      return reply.code(201).send({ username: request.body.username, role: request.body.role, password });
    },
  );

  app.post(
    '/v1/admin/people/:username/unlock',
    {
      onRequest: admin,
      schema: {
        summary: 'Unlock an account locked after failed logins',
        tags,
        params: UsernameParams,
        response: { 204: Type.Null(), 404: ErrorBody },
      },
    },
    async (request, reply) => {
      request.audit.action = 'person.unlock';
      await unlockPerson(db, request.params.username);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/admin/policies',
    {
      onRequest: admin,
      config: { body: 'policy' },
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
    async (request, reply) => {
      request.audit.action = 'policy.load';
      let policy;
      try {
        policy = parsePolicy(request.body, 'policy');
      } catch (err) {
        if (err instanceof PolicyInvalidError)
          throw new ProtocolError('invalid-body', err.message, { problems: err.problems });
        throw err;
      }
      const result = await storePolicy(db, policy, `admin:${request.user.sub}`);
      Object.assign(request.audit, {
        purpose: policy.document.purpose,
        policyId: policy.document.id,
        policyVersion: policy.document.version,
        reason: `policy ${result}`,
      });
      return reply
        .code(201)
        .send({ id: policy.document.id, version: policy.document.version, contentHash: policy.contentHash, result });
    },
  );
};
