/**
 * Queueing a submission's privacy report: a 'queued' row and its job, in the transaction that stores
 * the submission, so a stored submission always has a report on the way (docs/privacy-report.md).
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/** Attempts before the queue gives a report up; it then stays 'failed' with its reason. */
export const REPORT_MAX_ATTEMPTS = 5;

/** Adds a report's job inside the caller's transaction (jobs/queue.ts implements it per queue). */
export type EnqueueReport = (trx: Kysely<Database>, submissionId: string, maxAttempts: number) => Promise<void>;

/** Queue the report of a submission that has none yet; a submission's report is computed once. */
export async function queuePrivacyReport(
  trx: Kysely<Database>,
  submissionId: string,
  enqueue: EnqueueReport,
): Promise<void> {
  const r = await trx
    .insertInto('privacy_report')
    .values({
      submission_id: submissionId,
      status: 'queued',
      max_attempts: REPORT_MAX_ATTEMPTS,
      created_at: new Date(),
      report: null,
      digest: null,
      error: null,
      finished_at: null,
    })
    .onConflict((oc) => oc.column('submission_id').doNothing())
    .executeTakeFirst();
  if (Number(r.numInsertedOrUpdatedRows ?? 0n) > 0) await enqueue(trx, submissionId, REPORT_MAX_ATTEMPTS);
}

/**
 * At start: a current submission without a report (stored before reports existed) gets one queued, and
 * every queued report gets its job (the migration that queued them could not). A job already there
 * keeps its place (the job key).
 */
export async function adoptWaitingReports(db: Kysely<Database>, enqueue: EnqueueReport): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await sql`insert into privacy_report (submission_id, status, max_attempts, created_at)
      select distinct on (agency, purpose) id, 'queued', ${REPORT_MAX_ATTEMPTS}::int, now() from submission
      order by agency, purpose, current_at desc, id
      on conflict (submission_id) do nothing`.execute(trx);
    const waiting = await trx
      .selectFrom('privacy_report')
      .select(['submission_id', 'max_attempts'])
      .where('status', '=', 'queued')
      .execute();
    for (const w of waiting) await enqueue(trx, w.submission_id, w.max_attempts);
    return waiting.length;
  });
}
