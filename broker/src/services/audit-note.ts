import type { ProtocolError } from '@blindlink/protocol';

/**
 * What a use case records about its request for the audit trail. The caller hands in one note per
 * request and appends it after the answer is decided (audit-row.ts: the HTTP layer's audit hook and
 * the operator CLI alike), so what a service noted before it threw (the policy rule that refused,
 * say) is audited too.
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
  /** Whom an allowed release was about: keyed pseudonyms of entities (releases/subjects.ts), stored with the row. */
  subjects?: { runId: string; subjects: readonly string[] };
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

/**
 * A use case that threw: its note says why, unless the service noted it already. A policy refusal
 * thrown deep in a use case (a run under a policy out of date, say) names its rule too.
 */
export function noteFailure(audit: AuditNote, err: ProtocolError): void {
  audit.decision ??= err.code === 'policy-refused' ? 'refused' : 'failed';
  audit.reason ??= `${err.code}: ${err.message}`;
  if (err.code === 'policy-refused' && err.details) {
    const d = err.details as { policy?: string; version?: number; rule?: string };
    audit.policyId ??= d.policy ?? null;
    audit.policyVersion ??= d.version ?? null;
    audit.policyRule ??= d.rule ?? null;
  }
}
