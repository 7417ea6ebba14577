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

/**
 * Runs the attacks on one submission with the shipped background (jobs/privacy-thread.ts). When `signal`
 * aborts (the worker is stopping) it gives up at once and rejects.
 */
export type ReportRunner = (input: ReportInput, signal?: AbortSignal) => Promise<PrivacyReport>;

export interface ReportOutcome {
  /**
   * 'superseded': another attempt took the report over (this worker was presumed dead); nothing stored.
   * 'interrupted': the worker stopped mid-report; the report is queued again, this attempt not counted.
   */
  status: 'completed' | 'failed' | 'gone' | 'superseded' | 'interrupted';
  error?: string;
  /** No attempt follows from this job: completed, gone, superseded, interrupted (queued anew), or failed for good. */
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
  /**
   * Aborts when the worker stops: a report of a large submission takes minutes of CPU, which a stopping
   * worker (a deploy's SIGTERM) should not wait for. The attempt is handed back instead (see below).
   */
  signal?: AbortSignal;
  /** Queue the report again, in the transaction that hands it back (graphile-worker: a new job). */
  requeue?: (trx: Kysely<Database>) => Promise<void>;
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
  const mine = (x: Kysely<Database> = db) =>
    x
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
    const report = await o.compute({ source, notes }, o.signal);
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
    if (o.signal?.aborted) {
      // Stopped, not failed: queued again as it was before this attempt took it, for the next worker.
      const back = await db.transaction().execute(async (trx) => {
        const r = await mine(trx)
          .set({ status: 'queued', attempts: o.attempt - 1, worker_id: null, heartbeat_at: null })
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) > 0) await o.requeue?.(trx);
        return Number(r.numUpdatedRows);
      });
      return { status: back === 0 ? 'superseded' : 'interrupted', final: true };
    }
    const error = err instanceof Error ? err.message : String(err);
    const stored = await mine().set({ status: 'failed', error, finished_at: new Date() }).executeTakeFirst();
    if (Number(stored.numUpdatedRows) === 0) return { status: 'superseded', final: true };
    return { status: 'failed', error, final: o.attempt >= o.maxAttempts };
  } finally {
    clearInterval(timer);
  }
}
