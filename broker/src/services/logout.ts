import { endSessions } from '../people/sessions.js';
import type { AuditNote } from './audit-note.js';
import type { Caller } from './caller.js';
import type { ServiceDeps } from './deps.js';

/** A person logs out: every access token they hold, in any browser or script, stops working at once. */
export async function logout({ db }: Pick<ServiceDeps, 'db'>, who: Caller, audit: AuditNote): Promise<void> {
  await endSessions(db, who.sub);
  audit.reason = `${who.role} ${who.sub} logged out: every session of theirs ended`;
}
