/**
 * How a run ends, whichever of its jobs ends it: its result as a job reports it, a run marked failed
 * (by the attempt that owns it; its partitions go with it), and a finished run as it stands.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

export type RunMode = 'full' | 'incremental';

export interface RunResult {
  runId: string;
  status: 'completed' | 'failed';
  sources: number;
  /** Records that share their entity with a record of another source (links across agencies). */
  matchedPairs: number;
  mode: RunMode;
  /** Why this mode: what forced a full run, or which run this one continued and what changed. */
  modeReason: string;
  error?: string;
}

/** Mark the run failed, if `attempt` still owns it; its partitions are dropped. */
export async function failRun(
  db: Kysely<Database>,
  runId: string,
  attempt: number,
  error: string,
  mode?: { mode: RunMode; modeReason: string },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('run')
      .set({
        status: 'failed',
        error,
        finished_at: new Date(),
        stage: 'failed',
        ...(mode ? { mode: mode.mode, mode_reason: mode.modeReason } : {}),
      })
      .where('id', '=', runId)
      .where('attempt', '=', attempt)
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) > 0) await trx.deleteFrom('run_partition').where('run_id', '=', runId).execute();
  });
}

/** A run as it stands (completed or failed: no attempt may claim it). */
export async function finishedRun(db: Kysely<Database>, runId: string): Promise<RunResult> {
  const row = await db.selectFrom('run').selectAll().where('id', '=', runId).executeTakeFirst();
  if (!row) throw new Error(`run ${runId} does not exist (purged?)`);
  return {
    runId,
    status: row.status === 'completed' ? 'completed' : 'failed',
    sources: row.submission_ids.length,
    matchedPairs: row.matched_pairs,
    mode: row.mode ?? 'full',
    modeReason: row.mode_reason ?? '',
    ...(row.error ? { error: row.error } : {}),
  };
}
