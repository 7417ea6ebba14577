import type { DiscrepancyRule, ReleaseRule } from '@blindlink/policies';
import { pseudonymiser } from '../linkage/pseudonyms.js';
import type { RunRecord } from './run-records.js';

/**
 * Whom a release was about, for subject access (docs/rights.md): the entities whose records went
 * into its answer. Pure: the forms' own rules, read from the answer they gave.
 *
 * - membership, pseudonym: every row of the recipient (each got an answer about its person);
 * - family-criteria: every member of each household released (their records evidenced the criteria);
 * - aggregate: every row of the counted dataset (counted, or named as not countable in the notes);
 * - discrepancy: each flagged row's person, and for single-person-discount the other people of the
 *   household whose records corroborated the flag;
 * - data-quality: each of the recipient's rows the feedback names (duplicate, disagreeing, unlinked);
 * - clerical-review: both people of every pair exported (reviewSubjects, below).
 */
export function releaseSubjects(
  rule: ReleaseRule,
  records: readonly RunRecord[],
  requester: string,
  answer: { tokens?: readonly string[]; flagged?: readonly string[] },
): Set<string> {
  const out = new Set<string>();
  const mine = records.filter((r) => r.agency === requester);
  if (rule.form === 'membership' || rule.form === 'pseudonym') for (const r of mine) out.add(r.entityId);
  else if (rule.form === 'aggregate') {
    for (const r of records) if (r.agency === rule.count) out.add(r.entityId);
  } else if (rule.form === 'family-criteria') {
    const released = new Set(answer.tokens ?? []);
    const households = new Set(mine.filter((r) => released.has(r.token)).map((r) => r.householdId));
    for (const r of records) if (r.householdId && households.has(r.householdId)) out.add(r.entityId);
  } else if (rule.form === 'data-quality') {
    const named = new Set(answer.tokens ?? []);
    for (const r of mine) if (named.has(r.token)) out.add(r.entityId);
  } else if (rule.form === 'discrepancy') {
    const flagged = new Set(answer.flagged ?? []);
    const households = rule.check === 'single-person-discount' ? byHousehold(records) : new Map();
    for (const r of mine) {
      if (!flagged.has(r.token)) continue;
      out.add(r.entityId);
      if (r.householdId)
        for (const o of corroborating(households.get(r.householdId) ?? [], r, rule)) out.add(o.entityId);
    }
  }
  return out;
}

/**
 * A clerical-review export is about both records of each pair it holds: the recipient's own, and the
 * other, whose field-by-field evidence it shows (releases/clerical-review.ts).
 */
export function reviewSubjects(
  pairs: readonly { a: number; b: number }[],
  records: readonly { entityId: string }[],
): Set<string> {
  return new Set(pairs.flatMap((p) => [records[p.a]!.entityId, records[p.b]!.entityId]));
}

/**
 * Each household's records in run order. Scanning every record for each flagged account instead was
 * quadratic: 39.5 CPU-s of the API's event loop at 321,670 records (docs/runs.md).
 */
function byHousehold(records: readonly RunRecord[]): Map<string, RunRecord[]> {
  const out = new Map<string, RunRecord[]>();
  for (const r of records) {
    if (!r.householdId) continue;
    const list = out.get(r.householdId);
    if (list) list.push(r);
    else out.set(r.householdId, [r]);
  }
  return out;
}

/** The other people of a flagged account's household, as the single-person-discount check counts them. */
function corroborating(household: readonly RunRecord[], flagged: RunRecord, rule: DiscrepancyRule): RunRecord[] {
  const evidence = new Set(rule.evidence);
  return household.filter((o) => o.entityId !== flagged.entityId && evidence.has(o.agency));
}

/**
 * The keyed pseudonym an entity is recorded under in the subject ledger: the purpose's pseudonym key
 * for a recipient no agency can be (slugs carry no space), so it equals no released pseudonym.
 */
export function subjectPseudonymiser(masterKey: Uint8Array, purpose: string): (entityId: string) => string {
  return pseudonymiser(masterKey, purpose, { recipient: 'subject ledger' });
}
