import { ProtocolError } from '@blindlink/protocol';
import { releaseDigest } from '../audit/chain.js';
import { judgeRelease, refusal } from '../governance/judge.js';
import { latestCompletedRun } from '../runs/runs.js';
import type { PolicyDocument } from '@blindlink/policies';
import { dataQuality } from '../releases/data-quality.js';
import { aggregate, discrepancies, familyCriteria, pseudonyms } from '../releases/forms.js';
import { membershipAnswers } from '../releases/membership.js';
import { optedOutEntities, optOutHolders, optOutsNote } from '../releases/opt-outs.js';
import { loadRunRecords, type RunRecord } from '../releases/run-records.js';
import { runForRequester } from '../releases/run-view.js';
import { releaseSubjects, subjectPseudonymiser } from '../releases/subjects.js';
import { type AuditNote, noteDecision } from './audit-note.js';
import type { Caller } from './caller.js';
import type { ServiceDeps } from './deps.js';
import { requireAssignedAnalyst } from './purpose-access.js';

/** Releases: only what the purpose's policy permits, judged by the version in force. */

/**
 * Entities of the run linked to a record marked with an opt-out the policy applies. Opens only the
 * holders' payloads, or reuses records already opened.
 */
async function optedOutIn(
  { db, keys }: Pick<ServiceDeps, 'db' | 'keys'>,
  runId: string,
  doc: PolicyDocument,
  opened?: RunRecord[],
): Promise<Set<string>> {
  const holders = optOutHolders(doc);
  if (holders.length === 0) return new Set();
  return optedOutEntities(opened ?? (await loadRunRecords(db, keys, runId, { payload: true, agencies: holders })), doc);
}

/** Is each of the agency's rows known to the named agency? (yes/no per row token) */
export async function requestMembership(
  { db, keys, pseudonymKey }: Pick<ServiceDeps, 'db' | 'keys' | 'pseudonymKey'>,
  { purpose, requester, of }: { purpose: string; requester: string; of: string },
  audit: AuditNote,
) {
  const { decision, policy } = await judgeRelease(db, purpose, { requester, form: 'membership', of });
  noteDecision(audit, decision);
  if (!decision.allow) throw refusal(decision);
  const { runId, answers, excluded, entities } = await membershipAnswers(db, purpose, requester, of, (run) =>
    optedOutIn({ db, keys }, run, policy.document),
  );
  const optOuts = optOutsNote(policy.document, excluded);
  const body = {
    purpose,
    of,
    runId,
    policy: { id: decision.policyId, version: decision.policyVersion, rule: decision.rule },
    answers,
    ...(optOuts ? { optOuts } : {}),
  };
  audit.counts = {
    rows: answers.length,
    known: answers.filter((a) => a.known).length,
    ...(optOuts ? { optOutExcluded: excluded } : {}),
  };
  audit.subjects = { runId, subjects: [...new Set(entities)].map(subjectPseudonymiser(pseudonymKey, purpose)) };
  audit.releaseDigest = releaseDigest(body);
  audit.reason = decision.reason;
  return body;
}

/** The release forms that share one path (membership has its own). */
export type ReleaseForm = 'pseudonym' | 'family-criteria' | 'aggregate' | 'discrepancy' | 'data-quality';

/** What each form reads of a run's records besides the tokens. */
const NEEDS: Record<ReleaseForm, { payload: boolean; addresses: boolean; fields?: string[] }> = {
  pseudonym: { payload: false, addresses: false },
  'family-criteria': { payload: true, addresses: false },
  aggregate: { payload: true, addresses: false },
  discrepancy: { payload: true, addresses: true },
  'data-quality': { payload: true, addresses: false, fields: ['dob', 'sex'] },
};

/**
 * The caller (an agency, or an analyst assigned to the purpose asking as recipient "analysts") → the
 * policy version in force decides → the latest completed run's records → the form's pure function →
 * audited with a digest of exactly what left.
 */
export async function requestRelease(
  { db, keys, pseudonymKey }: Pick<ServiceDeps, 'db' | 'keys' | 'pseudonymKey'>,
  caller: Caller,
  { purpose, form, rule: ruleName }: { purpose: string; form: ReleaseForm; rule?: string | undefined },
  audit: AuditNote,
): Promise<Record<string, unknown>> {
  const analyst = caller.role === 'analyst';
  if (analyst) await requireAssignedAnalyst(db, caller, purpose);
  const requester = analyst ? 'analysts' : caller.sub;
  const { decision, policy } = await judgeRelease(db, purpose, {
    requester,
    form,
    ...(ruleName ? { rule: ruleName } : {}),
  });
  noteDecision(audit, decision);
  if (!decision.allow) throw refusal(decision);
  const run = analyst ? await latestCompletedRun(db, purpose) : (await runForRequester(db, purpose, requester)).run;
  const loaded = await loadRunRecords(db, keys, run.id, NEEDS[form]);
  const rule = decision.grant;
  // Every record linked to an opted-out person, from every source, is left out before any form sees them.
  const optedOut = await optedOutIn({ db, keys }, run.id, policy.document, NEEDS[form].payload ? loaded : undefined);
  const records = loaded.filter((r) => !optedOut.has(r.entityId));
  // What the release would have described: the counted dataset's rows, or the requester's own.
  const described = rule.form === 'aggregate' ? rule.count : requester;
  const excluded = loaded.filter((r) => r.agency === described && optedOut.has(r.entityId)).length;
  const optOuts = optOutsNote(policy.document, excluded);
  const base = {
    purpose,
    runId: run.id,
    policy: { id: decision.policyId, version: decision.policyVersion, rule: decision.rule },
    ...(optOuts ? { optOuts } : {}),
  };
  let body: Record<string, unknown>;
  let counts: Record<string, number>;
  let about: { tokens?: string[]; flagged?: string[] } = {};
  if (rule.form === 'pseudonym') {
    const answers = pseudonyms(records, requester, rule, purpose, pseudonymKey);
    body = { ...base, answers };
    counts = { rows: answers.length };
  } else if (rule.form === 'family-criteria') {
    const families = familyCriteria(records, requester, rule, policy.document);
    body = { ...base, families };
    about = { tokens: families.flatMap((f) => f.tokens) };
    counts = { families: families.length, rows: families.reduce((n, x) => n + x.tokens.length, 0) };
  } else if (rule.form === 'aggregate') {
    const release = aggregate(records, rule, policy.document);
    body = { ...base, ...release };
    counts = {
      cells: release.cells.length,
      suppressed: release.suppressed.primary + release.suppressed.secondary,
    };
  } else if (rule.form === 'discrepancy') {
    const flagged = discrepancies(records, requester, rule);
    body = { ...base, check: rule.check, flagged };
    about = { flagged: flagged.map((f) => f.token) };
    counts = { flagged: flagged.length };
  } else if (rule.form === 'data-quality') {
    const feedback = dataQuality(records, requester, rule);
    body = { ...base, ...feedback };
    // The audit row keeps the summary (flags as 1/0): it is what the console's data-quality page shows.
    const { dobCompared, sexCompared, ...numbers } = feedback.summary;
    about = {
      tokens: [
        ...feedback.duplicates.flatMap((d) => d.tokens),
        ...feedback.disagreements.map((d) => d.token),
        ...feedback.unlinked.map((u) => u.token),
      ],
    };
    counts = { ...numbers, dobCompared: dobCompared ? 1 : 0, sexCompared: sexCompared ? 1 : 0 };
  } else {
    throw new ProtocolError('bad-request', `form ${rule.form} has its own route`);
  }
  audit.counts = optOuts ? { ...counts, optOutExcluded: excluded } : counts;
  audit.subjects = {
    runId: run.id,
    subjects: [...releaseSubjects(rule, records, requester, about)].map(subjectPseudonymiser(pseudonymKey, purpose)),
  };
  audit.releaseDigest = releaseDigest(body);
  audit.reason = decision.reason;
  return body;
}
