/**
 * A purpose's privacy report, as an IG lead reads it before approving the purpose's policy: the
 * report of each agency's current submission, and one digest over them all, which the approval
 * names (governance/policy-store.ts).
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { canonicalJson } from '@blindlink/protocol';
import type { Database, PrivacyReportStatus } from '../db/schema.js';
import { latestSubmissions } from '../submissions/store.js';

export const PURPOSE_REPORT_FORMAT = 'blindlink/purpose-privacy-report';

export interface SubmissionReport {
  agency: string;
  submissionId: string;
  recordCount: number;
  /** 'queued' also for a current submission whose report row is missing (queued at the next start). */
  status: PrivacyReportStatus;
  /** The report's own digest, once completed. */
  digest: string | null;
  error: string | null;
  attempts: number;
  maxAttempts: number;
  queuedAt: Date | null;
  finishedAt: Date | null;
  report: Record<string, unknown> | null;
}

export interface PurposeReport {
  purpose: string;
  /** One per agency's current submission, by agency. */
  submissions: SubmissionReport[];
  /** Reports still to change: queued, running, or failed with attempts left. */
  pending: SubmissionReport[];
  /** Over every submission's agency, id, status, report digest and error; null while any is pending or none exists. */
  digest: string | null;
}

const isPending = (s: SubmissionReport) =>
  s.status === 'queued' || s.status === 'running' || (s.status === 'failed' && s.attempts < s.maxAttempts);

/** What the purpose digest covers, in this order; a failed report counts with its reason. */
export function purposeDigest(purpose: string, subs: readonly SubmissionReport[]): string {
  const body = {
    format: PURPOSE_REPORT_FORMAT,
    formatVersion: 1,
    purpose,
    submissions: subs.map((s) => ({
      agency: s.agency,
      submissionId: s.submissionId,
      status: s.status,
      digest: s.digest,
      error: s.error,
    })),
  };
  return 'sha256:' + createHash('sha256').update(canonicalJson(body)).digest('hex');
}

export async function purposeReport(db: Kysely<Database>, purpose: string): Promise<PurposeReport> {
  const subs = await latestSubmissions(db, purpose);
  const rows = subs.length
    ? await db
        .selectFrom('privacy_report')
        .selectAll()
        .where(
          'submission_id',
          'in',
          subs.map((s) => s.id),
        )
        .execute()
    : [];
  const byId = new Map(rows.map((r) => [r.submission_id, r]));
  const submissions: SubmissionReport[] = subs.map((s) => {
    const r = byId.get(s.id);
    return {
      agency: s.agency,
      submissionId: s.id,
      recordCount: s.record_count,
      status: r?.status ?? 'queued',
      digest: r?.digest ?? null,
      error: r?.error ?? null,
      attempts: r?.attempts ?? 0,
      maxAttempts: r?.max_attempts ?? 1,
      queuedAt: r?.created_at ?? null,
      finishedAt: r?.finished_at ?? null,
      report: (r?.report as Record<string, unknown> | null | undefined) ?? null,
    };
  });
  const pending = submissions.filter(isPending);
  return {
    purpose,
    submissions,
    pending,
    digest: submissions.length && !pending.length ? purposeDigest(purpose, submissions) : null,
  };
}
