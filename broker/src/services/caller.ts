import type { PersonRole } from '../db/schema.js';

/**
 * 'operator': whoever runs the broker CLI on its host, named by their login there. Holding the host
 * they hold its keys, so no token or password makes them more than that; they never call the API.
 */
export type Role = 'agency' | PersonRole | 'operator';

/** Who asks, as authenticated by the transport: an agency by its slug, a person by username. */
export interface Caller {
  sub: string;
  role: Role;
}

/** How the audit trail and the records a caller creates name them: 'admin:bob', 'operator:alice'. */
export const actorOf = (caller: Caller): string => `${caller.role}:${caller.sub}`;
