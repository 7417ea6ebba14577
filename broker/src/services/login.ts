import * as accounts from '../people/accounts.js';
import type { AuditNote } from './audit-note.js';
import type { Caller } from './caller.js';
import type { ServiceDeps } from './deps.js';

/** A logged-in person, with the session generation their tokens must name (people/sessions.ts). */
export interface PersonSession extends Caller {
  ep: number;
}

/** A person (admin, analyst, IG lead) logs in with a password; lockout after repeated failures is the account's. */
export async function login(
  { db }: Pick<ServiceDeps, 'db'>,
  { username, password }: { username: string; password: string },
  audit: AuditNote,
): Promise<PersonSession> {
  const who = await accounts.login(db, username, password);
  audit.reason = `${who.role} ${who.username} logged in`;
  return { sub: who.username, role: who.role, ep: who.sessionEpoch };
}
