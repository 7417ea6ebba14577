import { type LoadedPolicy, PolicyInvalidError, parsePolicy } from '@blindlink/policies';
import { type PolicySummary as PolicySummarySchema, ProtocolError } from '@blindlink/protocol';
import type { Static } from 'typebox';
import * as store from '../governance/policy-store.js';
import type { AuditNote } from './audit-note.js';
import { actorOf, type Caller } from './caller.js';
import type { ServiceDeps } from './deps.js';

/**
 * A policy version's life: an admin loads it (YAML, exactly as an IG lead wrote and reviewed it), it
 * is in force once an IG lead other than the loader approves it; both read the list.
 */

type Deps = Pick<ServiceDeps, 'db'>;
type PolicySummary = Static<typeof PolicySummarySchema>;

function summary(p: store.StoredPolicy): PolicySummary {
  const d = p.document;
  return {
    id: d.id,
    version: d.version,
    purpose: d.purpose,
    title: d.title,
    contentHash: p.contentHash,
    validFrom: d.validFrom,
    validUntil: d.validUntil,
    loadedBy: p.loadedBy,
    approvedBy: p.approval?.by ?? null,
    approvedAt: p.approval?.at.toISOString() ?? null,
    privacyReportDigest: p.approval?.privacyReport ?? null,
  };
}

/** Load a policy version from its YAML text; loading the same version again is a no-op. */
export async function loadPolicy(
  { db }: Deps,
  admin: Caller,
  yaml: string,
  audit: AuditNote,
): Promise<{ id: string; version: number; contentHash: string; result: 'stored' | 'unchanged' }> {
  let policy: LoadedPolicy;
  try {
    policy = parsePolicy(yaml, 'policy');
  } catch (err) {
    if (err instanceof PolicyInvalidError)
      throw new ProtocolError('invalid-body', err.message, { problems: err.problems });
    throw err;
  }
  const result = await store.storePolicy(db, policy, actorOf(admin));
  Object.assign(audit, {
    purpose: policy.document.purpose,
    policyId: policy.document.id,
    policyVersion: policy.document.version,
    reason: `policy ${policy.document.id} v${policy.document.version} ${result} (${policy.contentHash})`,
  });
  return { id: policy.document.id, version: policy.document.version, contentHash: policy.contentHash, result };
}

/** Every loaded policy version and its approval. */
export async function listPolicies({ db }: Deps): Promise<{ policies: PolicySummary[] }> {
  return { policies: (await store.listPolicies(db)).map(summary) };
}

/**
 * Approve a policy version: an IG lead, not the person who loaded it, having read the purpose's privacy
 * report (its digest; none needed while the purpose has no submission). The audit row names the digest.
 */
export async function approvePolicy(
  { db }: Deps,
  igLead: Caller,
  { id, version, privacyReportDigest }: { id: string; version: number; privacyReportDigest?: string | undefined },
  audit: AuditNote,
): Promise<PolicySummary> {
  // Named before the approval is tried, so a refused approval is audited against its policy too.
  Object.assign(audit, { policyId: id, policyVersion: version });
  const p = await store.approvePolicy(db, id, version, igLead.sub, privacyReportDigest);
  audit.purpose = p.document.purpose;
  audit.reason = approvalReason(p, igLead.sub);
  return summary(p);
}

/** What the audit trail says of an approval: who, and which privacy report they saw (or that none existed). */
export function approvalReason(p: store.StoredPolicy, approver: string): string {
  const d = p.document;
  const a = p.approval!;
  if (a.by !== approver) return `policy ${d.id} v${d.version} was already approved by ${a.by}; nothing changed`;
  return a.privacyReport
    ? `policy ${d.id} v${d.version} approved having read privacy report ${a.privacyReport}`
    : `policy ${d.id} v${d.version} approved; no privacy report existed (purpose ${d.purpose} had no submission)`;
}
