import { ProtocolError, type PurposePrivacyReport } from '@blindlink/protocol';
import { isGoverned } from '../governance/policy-store.js';
import { purposeReport } from '../privacy-reports/purpose.js';
import type { AuditNote } from './audit-note.js';
import type { ServiceDeps } from './deps.js';

/**
 * A purpose's privacy report, for IG leads (and admins; the route says who) before they approve its
 * policy: the report of each agency's current submission and the digest an approval names. None while
 * the purpose has no submission (404 no-privacy-report); 409 privacy-report-pending while a report is
 * still being computed, or failed and will be tried again.
 */
export async function readPrivacyReport(
  { db }: Pick<ServiceDeps, 'db'>,
  { purpose }: { purpose: string },
  audit: AuditNote,
): Promise<PurposePrivacyReport> {
  audit.purpose = purpose;
  if (!(await isGoverned(db, purpose)))
    throw new ProtocolError('unknown-purpose', `no policy governs purpose ${purpose}`);
  const r = await purposeReport(db, purpose);
  if (r.submissions.length === 0)
    throw new ProtocolError(
      'no-privacy-report',
      `purpose ${purpose} has no submission yet, so no privacy report: an approval now records that none existed`,
    );
  if (r.digest === null) {
    const pending = r.pending.map((p) => ({
      agency: p.agency,
      submissionId: p.submissionId,
      status: p.status,
      attempts: p.attempts,
      ...(p.error ? { error: p.error } : {}),
    }));
    throw new ProtocolError(
      'privacy-report-pending',
      `the privacy report of purpose ${purpose} is still being computed: ${pending
        .map((p) => `${p.agency} ${p.status}${p.error ? ` (attempt ${p.attempts} failed: ${p.error})` : ''}`)
        .join(', ')}; try again shortly`,
      { pending },
    );
  }
  audit.counts = { submissions: r.submissions.length };
  audit.reason = `privacy report ${r.digest} read`;
  return {
    purpose,
    digest: r.digest,
    submissions: r.submissions.map((s) => ({
      agency: s.agency,
      submissionId: s.submissionId,
      recordCount: s.recordCount,
      // Not pending, so final.
      status: s.status as 'completed' | 'failed',
      digest: s.digest,
      error: s.error,
      attempts: s.attempts,
      queuedAt: s.queuedAt?.toISOString() ?? null,
      finishedAt: s.finishedAt?.toISOString() ?? null,
      report: s.report,
    })),
  };
}
