/**
 * What a use case records about its request for the audit trail. The caller hands in one note per
 * request and appends it after the answer is decided (the HTTP layer: http/audit-hook.ts), so what a
 * service noted before it threw (the policy rule that refused, say) is audited too.
 */
export interface AuditNote {
  action?: string;
  purpose?: string | null;
  policyId?: string | null;
  policyVersion?: number | null;
  policyRule?: string | null;
  decision?: 'allowed' | 'refused' | 'failed';
  reason?: string;
  counts?: Record<string, number>;
  releaseDigest?: string | null;
}

/** Note the policy version and rule a decision came from, whether it allowed or refused. */
export function noteDecision(
  audit: AuditNote,
  decision: { policyId: string; policyVersion: number; rule: string },
): void {
  Object.assign(audit, {
    policyId: decision.policyId,
    policyVersion: decision.policyVersion,
    policyRule: decision.rule,
  });
}
