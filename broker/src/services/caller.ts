import type { PersonRole } from '../db/schema.js';

export type Role = 'agency' | PersonRole;

/** Who asks, as authenticated by the transport: an agency by its slug, a person by username. */
export interface Caller {
  sub: string;
  role: Role;
}
