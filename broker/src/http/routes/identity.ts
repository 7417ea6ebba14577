import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  BrokerInfo,
  CertificateResponse,
  EnrolRequest,
  ErrorBody,
  LoginRequest,
  RenewRequest,
  TokenResponse,
} from '@blindlink/protocol';
import { agencyTokenClaims } from '../../services/agency-token.js';
import { brokerInfo } from '../../services/broker-info.js';
import { enrol, renewCertificate } from '../../services/enrol.js';
import { login } from '../../services/login.js';
import { ACCESS_TOKEN_SECONDS, peerAgency, requireRole } from '../auth.js';
import type { Principal } from '../principal.js';
import type { RouteDeps } from '../route-deps.js';

/**
 * Who is calling. Agencies enrol once with a one-time code and then authenticate by mutual TLS;
 * their access tokens are bound to the certificate (RFC 8705). People log in with a password.
 */
export const identityRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, deps) => {
  const { db } = deps;
  const token = async (claims: Principal) => ({
    accessToken: await app.jwt.sign(claims),
    tokenType: 'Bearer' as const,
    expiresIn: ACCESS_TOKEN_SECONDS,
  });

  app.get(
    '/v1/broker',
    {
      config: { audit: { action: 'broker.info' } },
      schema: {
        summary: "The broker's CA certificate and public keys",
        tags: ['identity'],
        response: { 200: BrokerInfo },
      },
    },
    async () => brokerInfo(deps),
  );

  app.post(
    '/v1/enrol',
    {
      config: { audit: { action: 'agency.enrol' } },
      schema: {
        summary: 'Enrol an agency: one-time code + CSR + signing key → client certificate',
        tags: ['identity'],
        body: EnrolRequest,
        response: { 201: CertificateResponse, 400: ErrorBody, 401: ErrorBody },
      },
    },
    async (request, reply) => reply.code(201).send(await enrol(deps, request.body, request.audit)),
  );

  app.post(
    '/v1/token',
    {
      config: { audit: { action: 'token.issue' } },
      schema: {
        summary: 'Agency access token over mutual TLS, bound to the client certificate',
        tags: ['identity'],
        response: { 200: TokenResponse, 401: ErrorBody },
      },
    },
    async (request) => {
      const claims = agencyTokenClaims(await peerAgency(db, request), request.audit);
      request.user = claims; // audited as the agency it was issued to
      return token(claims);
    },
  );

  app.post(
    '/v1/certificates/renew',
    {
      onRequest: requireRole(db, 'agency'),
      config: { body: 'json', audit: { action: 'certificate.renew' } },
      schema: {
        summary: 'Renew the agency certificate: a new one is issued, the current one revoked',
        tags: ['identity'],
        body: RenewRequest,
        response: { 201: CertificateResponse, 400: ErrorBody, 401: ErrorBody },
      },
    },
    async (request, reply) => {
      const peer = await peerAgency(db, request);
      return reply.code(201).send(await renewCertificate(deps, { peer, csr: request.body.csr }, request.audit));
    },
  );

  app.post(
    '/v1/login',
    {
      config: { audit: { action: 'person.login' } },
      schema: {
        summary: 'Log in as a person (admin, analyst, IG lead)',
        tags: ['identity'],
        body: LoginRequest,
        response: { 200: TokenResponse, 401: ErrorBody, 429: ErrorBody },
      },
    },
    async (request) => {
      const who = await login(deps, request.body, request.audit);
      request.user = who; // audited as the person who logged in
      return token({ sub: who.sub, role: who.role, ep: who.ep });
    },
  );
};
