import { ProtocolError, type ScheduleRequest, type ScheduleResponse } from '@blindlink/protocol';
import { isGoverned } from '../governance/policy-store.js';
import { formatLocal } from '../schedule/next-due.js';
import * as store from '../schedule/store.js';
import type { AuditNote } from './audit-note.js';
import type { Caller } from './caller.js';
import type { ServiceDeps } from './deps.js';

/**
 * A purpose's nightly linkage run: set, read, remove; the scheduler in `serve` runs it. Callers have
 * the authority of starting a run by hand: an analyst assigned to the purpose (purpose-access.ts).
 * Agencies cannot schedule: a scheduled run is made on a named person's authority.
 */

type Deps = Pick<ServiceDeps, 'db'>;

function toResponse(s: store.ScheduleRow): ScheduleResponse {
  return {
    purpose: s.purpose,
    at: s.time_of_day,
    timeZone: s.time_zone,
    owner: s.owner,
    nextDue: s.next_due.toISOString(),
    updatedAt: s.updated_at.toISOString(),
    last:
      s.last_status && s.last_attempt_at
        ? { status: s.last_status, at: s.last_attempt_at.toISOString(), runId: s.last_run_id, detail: s.last_detail }
        : null,
  };
}

const none = (purpose: string) => new ProtocolError('not-found', `purpose ${purpose} has no nightly schedule`);
const describe = (s: store.ScheduleRow) =>
  `nightly at ${s.time_of_day} ${s.time_zone}, owner ${s.owner}, next due ${s.next_due.toISOString()} (` +
  `${formatLocal(s.next_due, s.time_zone)} local)`;

/** Run linkage for the purpose every night at a local time; replaces any schedule, the caller owns it. */
export async function setSchedule(
  { db }: Deps,
  caller: Caller,
  { purpose, request }: { purpose: string; request: ScheduleRequest },
  audit: AuditNote,
): Promise<ScheduleResponse> {
  const spec = store.parseScheduleSpec(request);
  // A schedule for a purpose no policy governs could never run. (An unapproved or expired policy
  // is accepted: the policy may be approved by the night, and every refused night is audited.)
  if (!(await isGoverned(db, purpose)))
    throw new ProtocolError('unknown-purpose', `no policy governs purpose ${purpose}`);
  const s = await store.setSchedule(db, purpose, spec, caller.sub, new Date());
  audit.reason = `schedule set: ${describe(s)}`;
  return toResponse(s);
}

/** The purpose's nightly schedule and the outcome of its last scheduled run. */
export async function getSchedule({ db }: Deps, purpose: string): Promise<ScheduleResponse> {
  const s = await store.getSchedule(db, purpose);
  if (!s) throw none(purpose);
  return toResponse(s);
}

/** Every purpose's nightly schedule, next due first, with its local time (the operator's `schedule list`). */
export async function listSchedules({ db }: Deps): Promise<(ScheduleResponse & { nextDueLocal: string })[]> {
  return (await store.listSchedules(db)).map((s) => ({
    ...toResponse(s),
    nextDueLocal: formatLocal(s.next_due, s.time_zone),
  }));
}

/** Stop the purpose's nightly runs (a run under way finishes). */
export async function removeSchedule({ db }: Deps, purpose: string, audit: AuditNote): Promise<void> {
  if (!(await store.removeSchedule(db, purpose))) throw none(purpose);
  audit.reason = `schedule of ${purpose} removed`;
}
