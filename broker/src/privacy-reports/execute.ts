/**
 * A privacy report job: read the submission (sampled when large, load.ts), run the attacks (in a
 * worker thread: jobs/privacy-thread.ts), store the report and its digest. A failure is stored as the
 * report's status with its reason and never escapes as anything but a result: the queue decides
 * whether to try again (`final` says whether this was the last attempt).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { PrivacyReport, PrivacySource } from '../privacy/report.js';
import type { BrokerKeyring } from '../trust/keys.js';
import { loadReportSource, REPORT_SAMPLE, SubmissionGoneError } from './load.js';

export interface ReportInput {
  source: PrivacySource;
  /** About the input (a sample, say): first among the report's notes, so inside its digest. */
  notes: string[];
}

/** Runs the attacks on one submission with the shipped background (jobs/privacy-thread.ts). */
export type ReportRunner = (input: ReportInput) => Promise<PrivacyReport>;

export interface ReportOutcome {
  status: 'completed' | 'failed' | 'gone';
  error?: string;
  /** No attempt follows: completed, gone, or failed with the attempts used up. */
  final: boolean;
}

export async function executePrivacyReport(
  db: Kysely<Database>,
  keys: BrokerKeyring,
  submissionId: string,
  o: { attempt: number; maxAttempts: number; compute: ReportRunner; sample?: number },
): Promise<ReportOutcome> {
  const started = await db
    .updateTable('privacy_report')
    .set({ status: 'running', attempts: o.attempt, max_attempts: o.maxAttempts, error: null, finished_at: null })
    .where('submission_id', '=', submissionId)
    .executeTakeFirst();
  // The submission was purged (its report went with it): nothing to do.
  if (Number(started.numUpdatedRows) === 0) return { status: 'gone', final: true };
  try {
    const limit = o.sample ?? REPORT_SAMPLE;
    const { source, total } = await loadReportSource(db, keys, submissionId, limit);
    const notes =
      source.records.length < total
        ? [
            `sampled: ${source.records.length} of the submission's ${total} records (those whose md5(row token) ` +
              'sorts first), so that a report takes bounded time and memory; rates are of the sample',
          ]
        : [];
    const report = await o.compute({ source, notes });
    await db
      .updateTable('privacy_report')
      .set({
        status: 'completed',
        report: JSON.stringify(report),
        digest: report.digest,
        error: null,
        finished_at: new Date(),
      })
      .where('submission_id', '=', submissionId)
      .execute();
    return { status: 'completed', final: true };
  } catch (err) {
    if (err instanceof SubmissionGoneError) return { status: 'gone', final: true };
    const error = err instanceof Error ? err.message : String(err);
    await db
      .updateTable('privacy_report')
      .set({ status: 'failed', error, finished_at: new Date() })
      .where('submission_id', '=', submissionId)
      .execute();
    return { status: 'failed', error, final: o.attempt >= o.maxAttempts };
  }
}
