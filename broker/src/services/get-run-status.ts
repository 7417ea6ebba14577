import { ProtocolError, type RunStatus } from '@blindlink/protocol';
import { recentRuns, runStatus } from '../jobs/status.js';
import type { AuditNote } from './audit-note.js';
import type { Caller } from './caller.js';
import type { ServiceDeps } from './deps.js';
import { authoriseRuns } from './purpose-access.js';

/** A run's status, stage and progress, for those who may start the purpose's runs. */
export async function getRunStatus(
  { db }: Pick<ServiceDeps, 'db'>,
  caller: Caller,
  { purpose, runId }: { purpose: string; runId: string },
  audit: AuditNote,
): Promise<RunStatus> {
  await authoriseRuns(db, caller, purpose, audit);
  const status = await runStatus(db, purpose, runId);
  if (!status) throw new ProtocolError('not-found', `purpose ${purpose} has no run ${runId}`);
  return status;
}

/** The purpose's newest runs, for the same callers. */
export async function listRecentRuns(
  { db }: Pick<ServiceDeps, 'db'>,
  caller: Caller,
  purpose: string,
  audit: AuditNote,
): Promise<RunStatus[]> {
  await authoriseRuns(db, caller, purpose, audit);
  return recentRuns(db, purpose, 20);
}
