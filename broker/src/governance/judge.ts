import type { Kysely } from 'kysely';
import { ProtocolError } from '@blindlink/protocol';
import {
  decide,
  decideContribution,
  type ContributionDecision,
  type Decision,
  type ReleaseRequest,
} from '@blindlink/policies';
import type { Database } from '../db/schema.js';
import { policyInForce, type StoredPolicy } from './policy-store.js';

/**
 * The broker's side of policy decisions: find the version in force, refuse if no IG lead approved it,
 * then let the pure engine decide. Every route that releases or accepts data goes through here.
 */

function unapproved(p: StoredPolicy): {
  allow: false;
  policyId: string;
  policyVersion: number;
  rule: string;
  reason: string;
} {
  const d = p.document;
  return {
    allow: false,
    policyId: d.id,
    policyVersion: d.version,
    rule: 'approval',
    reason: `policy ${d.id} v${d.version}: not approved by an IG lead, so not in force`,
  };
}

export async function judgeRelease(
  db: Kysely<Database>,
  purpose: string,
  req: Omit<ReleaseRequest, 'at'>,
  at = new Date(),
): Promise<{ decision: Decision; policy: StoredPolicy }> {
  const policy = await policyInForce(db, purpose, at);
  const decision = policy.approval ? decide(policy.document, { ...req, at }) : unapproved(policy);
  return { decision, policy };
}

export async function judgeContribution(
  db: Kysely<Database>,
  purpose: string,
  agency: string,
  identifiers: readonly string[] | undefined,
  attributes: readonly string[] = [],
  at = new Date(),
): Promise<{ decision: ContributionDecision; policy: StoredPolicy }> {
  const policy = await policyInForce(db, purpose, at);
  const decision = policy.approval
    ? decideContribution(policy.document, agency, at, identifiers, attributes)
    : unapproved(policy);
  return { decision, policy };
}

/** Throw the protocol's 403 for a refused decision, carrying policy, version and rule. */
export function refusal(d: { policyId: string; policyVersion: number; rule: string; reason: string }): ProtocolError {
  return new ProtocolError('policy-refused', d.reason, { policy: d.policyId, version: d.policyVersion, rule: d.rule });
}
