import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody, ProtocolError, TokenRequest, TokenResponse } from '@blindlink/protocol';
import { checkAgencyCredential } from '../../agencies/registry.js';
import { ACCESS_TOKEN_SECONDS } from '../auth.js';
import type { RouteDeps } from '../app.js';

/** An agency exchanges its credential for a short-lived access token. */
export const tokenRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { db }) => {
  app.post(
    '/v1/token',
    {
      schema: {
        summary: 'Exchange agency credentials for a short-lived access token',
        tags: ['auth'],
        body: TokenRequest,
        response: { 200: TokenResponse, 400: ErrorBody, 401: ErrorBody },
      },
    },
    async (request) => {
      const { agency, secret } = request.body;
      request.audit.action = 'token.issue';
      if (!(await checkAgencyCredential(db, agency, secret))) {
        throw new ProtocolError('bad-credentials', 'unknown agency or wrong credential');
      }
      request.audit.reason = `access token issued to ${agency}`;
      request.user = { sub: agency, role: 'agency' };
      const accessToken = await app.jwt.sign({ sub: agency, role: 'agency' });
      return { accessToken, tokenType: 'Bearer' as const, expiresIn: ACCESS_TOKEN_SECONDS };
    },
  );
};
