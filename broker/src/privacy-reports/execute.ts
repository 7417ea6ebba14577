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
  /** 'superseded': another attempt took the report over (this worker was presumed dead); nothing stored. */
  status: 'completed' | 'failed' | 'gone' | 'superseded';
  error?: string;
  /** No attempt follows: completed, gone, superseded, or failed with the attempts used up. */
  final: boolean;
}

export interface ReportJob {
  /** graphile-worker's attempt number (the embedded runner counts its own). */
  attempt: number;
  maxAttempts: number;
  compute: ReportRunner;
  sample?: number;
  /** Who runs this attempt; with the attempt number, it guards every later write. */
  workerId?: string;
  /** Milliseconds between heartbeats; default 1000. */
  heartbeatMs?: number;
}

/**
 * One attempt at a submission's report. While it runs it heartbeats (the attacks run in a thread, so
 * the timer keeps beating): a worker that dies is noticed by the others' sweep (jobs/graphile-runner.ts),
 * which frees its job for another. Every write after the claim is this attempt's only (the same attempt
 * number and worker), so a presumed-dead worker that was only slow stores nothing over its successor.
 */
export async function executePrivacyReport(
  db: Kysely<Database>,
  keys: BrokerKeyring,
  submissionId: string,
  o: ReportJob,
): Promise<ReportOutcome> {
  const workerId = o.workerId ?? `inline:${process.pid}`;
  const started = await db
    .updateTable('privacy_report')
    .set({
      status: 'running',
      attempts: o.attempt,
      max_attempts: o.maxAttempts,
      worker_id: workerId,
      heartbeat_at: new Date(),
      error: null,
      finished_at: null,
    })
    .where('submission_id', '=', submissionId)
    .executeTakeFirst();
  // The submission was purged (its report went with it): nothing to do.
  if (Number(started.numUpdatedRows) === 0) return { status: 'gone', final: true };
  const mine = () =>
    db
      .updateTable('privacy_report')
      .where('submission_id', '=', submissionId)
      .where('attempts', '=', o.attempt)
      .where('worker_id', '=', workerId)
      .where('status', '=', 'running');
  let beating: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    beating = beating.then(() => mine().set({ heartbeat_at: new Date() }).execute()).catch(() => {});
  }, o.heartbeatMs ?? 1000);
  timer.unref();
  const stopBeating = async () => {
    clearInterval(timer);
    await beating;
  };
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
    await stopBeating();
    const stored = await mine()
      .set({
        status: 'completed',
        report: JSON.stringify(report),
        digest: report.digest,
        error: null,
        finished_at: new Date(),
      })
      .executeTakeFirst();
    if (Number(stored.numUpdatedRows) === 0) return { status: 'superseded', final: true };
    return { status: 'completed', final: true };
  } catch (err) {
    await stopBeating();
    if (err instanceof SubmissionGoneError) return { status: 'gone', final: true };
    const error = err instanceof Error ? err.message : String(err);
    const stored = await mine().set({ status: 'failed', error, finished_at: new Date() }).executeTakeFirst();
    if (Number(stored.numUpdatedRows) === 0) return { status: 'superseded', final: true };
    return { status: 'failed', error, final: o.attempt >= o.maxAttempts };
  } finally {
    clearInterval(timer);
  }
}
