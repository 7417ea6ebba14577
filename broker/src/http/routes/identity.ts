import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  BrokerInfo,
  CertificateResponse,
  EnrolRequest,
  ErrorBody,
  LoginRequest,
  PROTOCOL_VERSION,
  ProtocolError,
  RenewRequest,
  TokenResponse,
} from '@blindlink/protocol';
import { enrolAgency, renewCertificate } from '../../agencies/registry.js';
import { login } from '../../people/accounts.js';
import { certificateConfirmation } from '../../trust/cert-binding.js';
import { ACCESS_TOKEN_SECONDS, peerAgency, requireRole } from '../auth.js';
import type { RouteDeps } from '../app.js';

/**
 * Who is calling. Agencies enrol once with a one-time code and then authenticate by mutual TLS;
 * their access tokens are bound to the certificate (RFC 8705). People log in with a password.
 */
export const identityRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { db, ca, keys }) => {
  const certificateAnswer = (cert: { certPem: string; notAfter: Date }) => ({
    certificate: cert.certPem,
    caCertificate: ca.certPem,
    notAfter: cert.notAfter.toISOString(),
    brokerSigningPublicKey: keys.signingPublicKeyBase64,
    brokerSealingPublicKey: keys.sealingPublicKeyBase64,
  });

  app.get(
    '/v1/broker',
    {
      schema: {
        summary: "The broker's CA certificate and public keys",
        tags: ['identity'],
        response: { 200: BrokerInfo },
      },
    },
    async (request) => {
      request.audit.action = 'broker.info';
      return {
        protocolVersion: PROTOCOL_VERSION,
        caCertificate: ca.certPem,
        signingPublicKey: keys.signingPublicKeyBase64,
        sealingPublicKey: keys.sealingPublicKeyBase64,
        keyId: keys.keyId,
      };
    },
  );

  app.post(
    '/v1/enrol',
    {
      schema: {
        summary: 'Enrol an agency: one-time code + CSR + signing key → client certificate',
        tags: ['identity'],
        body: EnrolRequest,
        response: { 201: CertificateResponse, 400: ErrorBody, 401: ErrorBody },
      },
    },
    async (request, reply) => {
      request.audit.action = 'agency.enrol';
      const cert = await enrolAgency(db, ca, {
        agency: request.body.agency,
        code: request.body.code,
        csrPem: request.body.csr,
        signingPublicKey: request.body.signingPublicKey,
      });
      request.audit.reason = `agency ${request.body.agency} enrolled; certificate ${cert.serialHex}`;
      return reply.code(201).send(certificateAnswer(cert));
    },
  );

  app.post(
    '/v1/token',
    {
      schema: {
        summary: 'Agency access token over mutual TLS, bound to the client certificate',
        tags: ['identity'],
        response: { 200: TokenResponse, 401: ErrorBody },
      },
    },
    async (request) => {
      request.audit.action = 'token.issue';
      const peer = await peerAgency(db, request);
      const claims = { sub: peer.agency, role: 'agency' as const, ...certificateConfirmation(peer.thumbprint) };
      request.user = claims;
      request.audit.reason = `access token issued to ${peer.agency} bound to certificate ${peer.serialHex}`;
      return { accessToken: await app.jwt.sign(claims), tokenType: 'Bearer' as const, expiresIn: ACCESS_TOKEN_SECONDS };
    },
  );

  app.post(
    '/v1/certificates/renew',
    {
      onRequest: requireRole(db, 'agency'),
      config: { body: 'json' },
      schema: {
        summary: 'Renew the agency certificate: a new one is issued, the current one revoked',
        tags: ['identity'],
        body: RenewRequest,
        response: { 201: CertificateResponse, 400: ErrorBody, 401: ErrorBody },
      },
    },
    async (request, reply) => {
      request.audit.action = 'certificate.renew';
      const peer = await peerAgency(db, request);
      const cert = await renewCertificate(db, ca, peer.agency, peer.serialHex, request.body.csr);
      request.audit.reason = `certificate ${peer.serialHex} replaced by ${cert.serialHex}`;
      return reply.code(201).send(certificateAnswer(cert));
    },
  );

  app.post(
    '/v1/login',
    {
      schema: {
        summary: 'Log in as a person (admin, analyst, IG lead)',
        tags: ['identity'],
        body: LoginRequest,
        response: { 200: TokenResponse, 401: ErrorBody, 429: ErrorBody },
      },
    },
    async (request) => {
      request.audit.action = 'person.login';
      const who = await login(db, request.body.username, request.body.password);
      request.user = { sub: who.username, role: who.role };
      request.audit.reason = `${who.role} ${who.username} logged in`;
      return {
        accessToken: await app.jwt.sign({ sub: who.username, role: who.role }),
        tokenType: 'Bearer' as const,
        expiresIn: ACCESS_TOKEN_SECONDS,
      };
    },
  );
};

export { ProtocolError };
