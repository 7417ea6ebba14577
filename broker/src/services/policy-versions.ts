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

/**
 * An IG lead refuses a policy version, with a reason. The version stays unapproved (so never in force)
 * and the refusal and its reason stand in the audit trail, which is where the register of decisions lives.
 */
export async function refusePolicy(
  { db }: Deps,
  igLead: Caller,
  { id, version, reason }: { id: string; version: number; reason: string },
  audit: AuditNote,
): Promise<PolicySummary> {
  Object.assign(audit, { policyId: id, policyVersion: version });
  const p = (await store.listPolicies(db)).find((x) => x.document.id === id && x.document.version === version);
  if (!p) throw new ProtocolError('not-found', `no policy ${id} version ${version}`);
  audit.purpose = p.document.purpose;
  if (p.approval)
    throw new ProtocolError(
      'policy-version-conflict',
      `policy ${id} v${version} was approved by ${p.approval.by}; it cannot be refused`,
    );
  const why = reason.trim();
  if (why.length < 3) throw new ProtocolError('invalid-body', 'give the reason for refusing');
  audit.decision = 'refused';
  audit.reason = `policy ${id} v${version} refused by ${igLead.sub}: ${why.slice(0, 500)}`;
  return summary(p);
}

/** Every version of every policy with its full document, for the IG lead's register and diffs. */
export async function policyDocuments({ db }: Deps) {
  return (await store.listPolicies(db)).map((p) => ({ ...summary(p), document: p.document }));
}
