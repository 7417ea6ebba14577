import type { AuditNote } from '../services/audit-note.js';

/**
 * What a route declares about its audit row (`config: { audit: { action: 'run.create' } }`): read by
 * the audit hook when the request reaches its handler. A route with a :purpose parameter names that
 * purpose in its row. What only the use case knows (reason, counts, policy rule) the service notes.
 */
export interface RouteAudit {
  action: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** This request's audit row so far: appended by the audit hook in onSend. */
    audit: AuditNote;
  }
  interface FastifyContextConfig {
    audit?: RouteAudit;
  }
}
