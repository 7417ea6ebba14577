import type { WithdrawalRequest, WithdrawalResponse } from '@blindlink/protocol';
import { judgeContribution, refusal } from '../governance/judge.js';
import { withdrawRows } from '../submissions/withdraw.js';
import { type AuditNote, noteDecision } from './audit-note.js';
import type { ServiceDeps } from './deps.js';

/**
 * An agency withdraws rows of its current submission by its own row tokens (docs/rights.md): a
 * contributor under the policy in force, for its own submission only. Audited with the counts.
 */
export async function withdraw(
  { db }: Pick<ServiceDeps, 'db'>,
  { purpose, agency, request }: { purpose: string; agency: string; request: WithdrawalRequest },
  audit: AuditNote,
): Promise<WithdrawalResponse> {
  const { decision } = await judgeContribution(db, purpose, agency, undefined);
  noteDecision(audit, decision);
  if (!decision.allow) throw refusal(decision);
  const r = await withdrawRows(db, { agency, purpose, tokens: request.tokens });
  audit.counts = { withdrawn: r.withdrawn, records: r.recordCount };
  audit.reason = `${r.withdrawn} rows withdrawn from submission ${r.submissionId}, ${r.recordCount} remain`;
  return {
    purpose,
    ...r,
    message:
      `${r.withdrawn} rows withdrawn from submission ${r.submissionId} (${r.recordCount} remain); ` +
      'start a run: no release answers until one has linked without them',
  };
}
