import type { FastifyInstance } from 'fastify';
import { transparencyRegister } from '../../services/transparency.js';
import type { RouteDeps } from '../route-deps.js';

/**
 * The public transparency page: no login. Each purpose in force with its controllers, lawful basis,
 * data items, retention and review date, and monthly counts of releases and refusals (from the audit
 * trail). It shows policy text and counts only, never a record or a person.
 */
export async function publicPages(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  app.get('/transparency', { config: { audit: { action: 'transparency.read' } } }, async (_request, reply) =>
    reply.page('transparency.njk', { purposes: await transparencyRegister(deps) }),
  );
}
