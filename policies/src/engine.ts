import type { PolicyDocument, ReleaseForm } from './format.js';

/** What a caller asks the broker to release. */
export interface ReleaseRequest {
  requester: string;
  form: ReleaseForm;
  /** The contributing agency the answer is about. */
  of: string;
  at: Date;
}

export type Decision =
  | { allow: true; policyId: string; policyVersion: number; rule: string; reason: string }
  | { allow: false; policyId: string; policyVersion: number; rule: string; reason: string };

/** Is the policy in force at this instant? Dates are whole UTC days, validUntil inclusive. */
export function inForce(doc: PolicyDocument, at: Date): boolean {
  const from = Date.parse(doc.validFrom + 'T00:00:00Z');
  const untilExclusive = Date.parse(doc.validUntil + 'T00:00:00Z') + 86_400_000;
  return at.getTime() >= from && at.getTime() < untilExclusive;
}

/**
 * Decide a release request against one policy version. Default deny: the answer names the rule that
 * allowed it, or the rule (a path into the policy) whose absence or terms refused it.
 */
export function decide(doc: PolicyDocument, req: ReleaseRequest): Decision {
  const base = { policyId: doc.id, policyVersion: doc.version };
  const where = `policy ${doc.id} v${doc.version}`;
  if (!inForce(doc, req.at)) {
    return { allow: false, ...base, rule: 'validity', reason: `${where} is not in force (valid ${doc.validFrom} to ${doc.validUntil})` };
  }
  const ri = doc.recipients.findIndex((r) => r.agency === req.requester);
  const recipient = doc.recipients[ri];
  if (!recipient) {
    return { allow: false, ...base, rule: 'recipients', reason: `${where} lists no recipient ${req.requester}` };
  }
  const ofForm = recipient.releases.filter((r) => r.form === req.form);
  if (ofForm.length === 0) {
    return { allow: false, ...base, rule: `recipients/${ri}/releases`, reason: `${where} does not let ${req.requester} ask for ${req.form}` };
  }
  const rule = ofForm.find((r) => r.of.includes(req.of));
  if (!rule) {
    const ids = ofForm.map((r) => r.id).join(', ');
    return { allow: false, ...base, rule: ofForm[0]!.id, reason: `${where}: rule ${ids} does not cover ${req.form} of ${req.of}` };
  }
  return { allow: true, ...base, rule: rule.id, reason: `${where} rule ${rule.id} permits ${req.form} of ${req.of}` };
}

/** May this agency submit encodings for the policy's purpose? Contributors only, while in force. */
export function decideContribution(doc: PolicyDocument, agency: string, at: Date): Decision {
  const base = { policyId: doc.id, policyVersion: doc.version };
  const where = `policy ${doc.id} v${doc.version}`;
  if (!inForce(doc, at)) {
    return { allow: false, ...base, rule: 'validity', reason: `${where} is not in force (valid ${doc.validFrom} to ${doc.validUntil})` };
  }
  const i = doc.contributors.findIndex((c) => c.agency === agency);
  if (i < 0) return { allow: false, ...base, rule: 'contributors', reason: `${where} lists no contributor ${agency}` };
  return { allow: true, ...base, rule: `contributors/${i}`, reason: `${where} lists ${agency} as a contributor` };
}
