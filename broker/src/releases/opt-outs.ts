import { optedOut, type PolicyDocument } from '@blindlink/policies';
import type { OptOutsApplied } from '@blindlink/protocol';
import type { RunRecord } from './run-records.js';
import { smallNumberThreshold, suppressSmall } from './small-numbers.js';

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

/** What a release says about opt-outs; undefined when the policy lists none. */
export function optOutsNote(doc: PolicyDocument, excluded: number): OptOutsApplied | undefined {
  if (!doc.optOuts?.length) return undefined;
  const threshold = smallNumberThreshold(doc);
  return {
    applied: doc.optOuts.map((o) => o.id),
    excluded: suppressSmall(excluded, threshold),
    suppressedAtOrBelow: threshold,
  };
}
