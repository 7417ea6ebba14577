import { queueRun, type RunOptions } from '../runs/runs.js';
import type { AuditNote } from './audit-note.js';
import type { Caller } from './caller.js';
import type { ServiceDeps } from './deps.js';
import { authoriseRuns } from './purpose-access.js';

export interface StartRunInput {
  purpose: string;
  mode: NonNullable<RunOptions['mode']>;
}

/**
 * A contributing agency, or an analyst assigned to the purpose, queues a linkage run of the latest
 * submissions; a worker links it (jobs/), so this returns as soon as the run is queued.
 */
export async function startRun(
  { db, jobs }: Pick<ServiceDeps, 'db' | 'jobs'>,
  caller: Caller,
  { purpose, mode }: StartRunInput,
  audit: AuditNote,
): Promise<{ runId: string; sources: number }> {
  await authoriseRuns(db, caller, purpose, audit);
  const q = await queueRun(db, purpose, { mode }, jobs.enqueue);
  jobs.queued(q.runId);
  audit.counts = { sources: q.sources };
  audit.reason = `run ${q.runId} queued (${mode})`;
  return { runId: q.runId, sources: q.sources };
}
