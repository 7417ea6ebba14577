import type { PolicyDocument } from '@blindlink/policies';

/**
 * A purpose's small-number suppression outside its aggregate tables (opt-out counts, the console's
 * data-quality counts): the strictest threshold among its aggregate rules (7 when it has none), so no
 * count shown to a third party is finer than the purpose's own tables.
 */
export function smallNumberThreshold(doc: PolicyDocument): number {
  const rules = doc.recipients.flatMap((r) => r.releases).filter((r) => r.form === 'aggregate');
  return rules.length ? Math.max(...rules.map((r) => r.suppressBelowOrAt ?? 7)) : 7;
}

/** A count from 1 up to the threshold is withheld (null); zero and larger counts are shown. */
export function suppressSmall(count: number, threshold: number): number | null {
  return count >= 1 && count <= threshold ? null : count;
}
