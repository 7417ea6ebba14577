import type { Kysely } from 'kysely';
import { appendAudit } from '../audit/log.js';
import type { Database } from '../db/schema.js';
import type { RunResult } from '../runs/runs.js';

/**
 * A run queued by a nightly schedule: once it ends, record its outcome on the schedule (if the schedule
 * still points at this run) and audit it, as the scheduler audited queueing it. Runs started by hand
 * were audited when requested; their outcome is in the run's status.
 */
export async function recordScheduledRunEnd(db: Kysely<Database>, result: RunResult): Promise<void> {
  const run = await db
    .selectFrom('run')
    .select(['purpose', 'scheduled_by', 'policy_id', 'policy_version'])
    .where('id', '=', result.runId)
    .executeTakeFirst();
  if (!run?.scheduled_by) return;
  // last_attempt_at stays the night's attempt (when the scheduler queued the run).
  await db
    .updateTable('run_schedule')
    .set({ last_status: result.status, last_detail: result.error ?? null })
    .where('purpose', '=', run.purpose)
    .where('last_run_id', '=', result.runId)
    .execute();
  await appendAudit(db, {
    actor: `scheduler:${run.scheduled_by}`,
    action: 'run.scheduled',
    purpose: run.purpose,
    policyId: run.policy_id,
    policyVersion: run.policy_version,
    policyRule: null,
    decision: result.status === 'completed' ? 'allowed' : 'failed',
    status: 0,
    reason: `scheduled run ${result.runId} ${result.status}${result.error ? `: ${result.error}` : ''}`,
    counts: { sources: result.sources, matchedPairs: result.matchedPairs },
    releaseDigest: null,
  });
}
