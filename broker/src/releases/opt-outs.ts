import { optedOut, type PolicyDocument } from '@blindlink/policies';
import type { OptOutsApplied } from '@blindlink/protocol';
import type { RunRecord } from './run-records.js';

/**
 * Opt-outs at release time, pure: the entities any of whose records its holder marked with an opt-out
 * the policy in force applies, and the note a release carries saying how many records were left out.
 */

/** Agencies whose rows may carry an applying opt-out: the only payloads the broker must open for it. */
export function optOutHolders(doc: PolicyDocument): string[] {
  return [...new Set((doc.optOuts ?? []).flatMap((o) => o.heldBy))];
}

/** Every entity linked to an opted-out record: the person is left out of every source's rows. */
export function optedOutEntities(records: readonly RunRecord[], doc: PolicyDocument): Set<string> {
  const out = new Set<string>();
  for (const r of records) if (optedOut(doc, r.agency, r.attributes)) out.add(r.entityId);
  return out;
}

/**
 * The purpose's small-number suppression: the strictest threshold among its aggregate rules (7 when
 * it has none), so the excluded count is never finer than the purpose's own tables.
 */
export function optOutThreshold(doc: PolicyDocument): number {
  const rules = doc.recipients.flatMap((r) => r.releases).filter((r) => r.form === 'aggregate');
  return rules.length ? Math.max(...rules.map((r) => r.suppressBelowOrAt ?? 7)) : 7;
}

/** What a release says about opt-outs; undefined when the policy lists none. */
export function optOutsNote(doc: PolicyDocument, excluded: number): OptOutsApplied | undefined {
  if (!doc.optOuts?.length) return undefined;
  const threshold = optOutThreshold(doc);
  return {
    applied: doc.optOuts.map((o) => o.id),
    excluded: excluded >= 1 && excluded <= threshold ? null : excluded,
    suppressedAtOrBelow: threshold,
  };
}
