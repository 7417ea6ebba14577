import { OPT_OUT_ATTRIBUTE, type PolicyDocument, type ReleaseForm, type ReleaseRule } from './format.js';

/** What a caller asks the broker to release. */
export interface ReleaseRequest {
  requester: string;
  form: ReleaseForm;
  /** membership: the contributing agency the answer is about. */
  of?: string;
  /** When the recipient holds several rules of one form, which one. */
  rule?: string;
  at: Date;
}

interface DecisionBase {
  policyId: string;
  policyVersion: number;
  /** The rule id that decided, or the part of the policy whose absence refused (e.g. 'recipients'). */
  rule: string;
  reason: string;
}
export type Decision = (DecisionBase & { allow: true; grant: ReleaseRule }) | (DecisionBase & { allow: false });

/** Is the policy in force at this instant by its dates? Whole UTC days, validUntil inclusive. */
export function inForce(doc: PolicyDocument, at: Date): boolean {
  const from = Date.parse(doc.validFrom + 'T00:00:00Z');
  const untilExclusive = Date.parse(doc.validUntil + 'T00:00:00Z') + 86_400_000;
  return at.getTime() >= from && at.getTime() < untilExclusive;
}

function refuse(doc: PolicyDocument, rule: string, reason: string): Decision {
  return {
    allow: false,
    policyId: doc.id,
    policyVersion: doc.version,
    rule,
    reason: `policy ${doc.id} v${doc.version}: ${reason}`,
  };
}

/**
 * Decide a release request against one policy version. Default deny: the answer names the rule that
 * allowed it, or the part of the policy (a rule id or path) that refused it. Approval is checked by
 * the broker's policy store, which only hands versions that an IG lead approved to this function.
 */
export function decide(doc: PolicyDocument, req: ReleaseRequest): Decision {
  if (!inForce(doc, req.at))
    return refuse(doc, 'validity', `not in force (valid ${doc.validFrom} to ${doc.validUntil})`);
  const ri = doc.recipients.findIndex((r) => r.agency === req.requester);
  const recipient = doc.recipients[ri];
  if (!recipient) return refuse(doc, 'recipients', `lists no recipient ${req.requester}`);
  let rules = recipient.releases.filter((r) => r.form === req.form);
  if (rules.length === 0)
    return refuse(doc, `recipients/${ri}/releases`, `does not let ${req.requester} ask for ${req.form}`);
  if (req.rule !== undefined) {
    rules = rules.filter((r) => r.id === req.rule);
    if (rules.length === 0) return refuse(doc, req.rule, `${req.requester} holds no ${req.form} rule ${req.rule}`);
  }
  if (req.form === 'membership') {
    const rule = rules.find((r) => r.form === 'membership' && req.of !== undefined && r.of.includes(req.of));
    if (!rule)
      return refuse(
        doc,
        rules[0]!.id,
        `rule ${rules.map((r) => r.id).join(', ')} does not cover membership of ${req.of ?? '(no agency named)'}`,
      );
    return {
      allow: true,
      policyId: doc.id,
      policyVersion: doc.version,
      rule: rule.id,
      grant: rule,
      reason: `policy ${doc.id} v${doc.version} rule ${rule.id} permits membership of ${req.of}`,
    };
  }
  if (rules.length > 1)
    return refuse(
      doc,
      `recipients/${ri}/releases`,
      `${req.requester} holds ${rules.length} ${req.form} rules (${rules.map((r) => r.id).join(', ')}): name one`,
    );
  const rule = rules[0]!;
  return {
    allow: true,
    policyId: doc.id,
    policyVersion: doc.version,
    rule: rule.id,
    grant: rule,
    reason: `policy ${doc.id} v${doc.version} rule ${rule.id} permits ${req.form}`,
  };
}

/**
 * May this agency submit encodings for the policy's purpose? Contributors only, while in force, and
 * only the identifiers the policy lists for it (data minimisation).
 */
export type ContributionDecision = DecisionBase & { allow: boolean };

export function decideContribution(
  doc: PolicyDocument,
  agency: string,
  at: Date,
  identifiers?: readonly string[],
  attributes?: readonly string[],
): ContributionDecision {
  if (!inForce(doc, at)) return refuse(doc, 'validity', `not in force (valid ${doc.validFrom} to ${doc.validUntil})`);
  const i = doc.contributors.findIndex((c) => c.agency === agency);
  const c = doc.contributors[i];
  if (!c) return refuse(doc, 'contributors', `lists no contributor ${agency}`);
  const extra = (identifiers ?? []).filter((f) => !(c.identifiers as readonly string[]).includes(f));
  if (extra.length > 0) {
    return refuse(
      doc,
      `contributors/${i}/identifiers`,
      `${agency} may encode only ${c.identifiers.join(', ')}; the submission also encodes ${extra.join(', ')}`,
    );
  }
  if ((attributes ?? []).includes(OPT_OUT_ATTRIBUTE) && optOutsHeldBy(doc, agency).length === 0) {
    // Refused, not ignored: a flag the purpose does not apply would tell the broker of a choice for nothing.
    return refuse(
      doc,
      'optOuts',
      `lists no opt-out held by ${agency}: encode without ${OPT_OUT_ATTRIBUTE} for this purpose`,
    );
  }
  const undeclared = (attributes ?? []).filter(
    (a) => a !== OPT_OUT_ATTRIBUTE && !(c.attributes ?? []).some((d) => d.name === a),
  );
  if (undeclared.length > 0) {
    return refuse(
      doc,
      `contributors/${i}/attributes`,
      `${agency} may attach only ${(c.attributes ?? []).map((a) => a.name).join(', ') || 'no attributes'}` +
        `; the submission also carries ${undeclared.join(', ')}`,
    );
  }
  return {
    allow: true,
    policyId: doc.id,
    policyVersion: doc.version,
    rule: `contributors/${i}`,
    reason: `policy ${doc.id} v${doc.version} lists ${agency} as a contributor`,
  };
}

const TRUE = ['yes', 'y', 'true', '1'];
const FALSE = ['no', 'n', 'false', '0'];

/**
 * Check one record's attributes against the contributor's declarations and put them in canonical
 * form (booleans as true/false). Returns the problem in words, or the normalised attributes.
 */
export function checkAttributes(
  doc: PolicyDocument,
  agency: string,
  attributes: Record<string, string>,
): { ok: true; value: Record<string, string | boolean> } | { ok: false; problem: string } {
  const c = doc.contributors.find((x) => x.agency === agency);
  const out: Record<string, string | boolean> = {};
  for (const [name, raw] of Object.entries(attributes)) {
    if (name === OPT_OUT_ATTRIBUTE) {
      const ids = raw.split(';');
      const held = optOutsHeldBy(doc, agency);
      if (new Set(ids).size !== ids.length || !ids.every((id) => held.includes(id)))
        return {
          ok: false,
          problem: `attribute ${name} names an opt-out this policy does not list as held by ${agency}`,
        };
      out[name] = raw;
      continue;
    }
    const spec = c?.attributes?.find((a) => a.name === name);
    if (!spec) return { ok: false, problem: `attribute ${name} is not declared for ${agency}` };
    if (spec.type === 'enum') {
      // Several declared values may be listed, separated by ';' (a pupil with two needs).
      if (!raw.split(';').every((v) => spec.values.includes(v)))
        return { ok: false, problem: `attribute ${name} is not one of the declared values` };
      out[name] = raw;
    } else {
      const v = raw.toLowerCase();
      if (TRUE.includes(v)) out[name] = true;
      else if (FALSE.includes(v)) out[name] = false;
      else return { ok: false, problem: `attribute ${name} is not yes/no` };
    }
  }
  return { ok: true, value: out };
}

/** The opt-outs of the purpose that this agency holds (and so may mark its rows with). */
export function optOutsHeldBy(doc: PolicyDocument, agency: string): string[] {
  return (doc.optOuts ?? []).filter((o) => o.heldBy.includes(agency)).map((o) => o.id);
}

/**
 * Is this record of `agency` marked with an opt-out that applies under this policy version? Judged
 * by the version in force, so an opt-out a later version drops stops applying to stored rows.
 */
export function optedOut(doc: PolicyDocument, agency: string, attributes: Record<string, unknown> | null): boolean {
  const v = attributes?.[OPT_OUT_ATTRIBUTE];
  if (typeof v !== 'string') return false;
  const held = optOutsHeldBy(doc, agency);
  return v.split(';').some((id) => held.includes(id));
}
