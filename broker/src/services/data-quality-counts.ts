import { policyInForce } from '../governance/policy-store.js';
import { smallNumberThreshold, suppressSmall } from '../releases/small-numbers.js';
import type { AuditNote } from './audit-note.js';
import type { Caller } from './caller.js';
import type { ServiceDeps } from './deps.js';
import { requireAssignedAnalyst } from './purpose-access.js';

/** The counts of a data-quality release, as its audit row records them (services/request-release.ts). */
const COUNTED = ['records', 'duplicatePairs', 'dobDisagreements', 'sexDisagreements', 'unlinked'] as const;
type Counted = (typeof COUNTED)[number];

export interface AgencyDataQuality {
  agency: string;
  /** When the release was answered (its audit row). */
  releasedAt: Date;
  auditSeq: number;
  policy: { id: string | null; version: number | null; rule: string | null };
  /** null: from 1 up to the threshold, suppressed. */
  counts: Record<Counted, number | null>;
  /** Whether the field was compared at all (false: its count means nothing); null on older rows, which lack it. */
  dobCompared: boolean | null;
  sexCompared: boolean | null;
}

/**
 * Per agency, the counts of its latest data-quality release of the purpose, for an analyst assigned to
 * it (the console's data-quality page). Read from the releases' audit rows, which hold exactly what
 * each release counted: nothing is recomputed, and no token or record is read. The analyst is not the
 * agency, so counts from 1 up to the purpose's small-number threshold (the policy in force now: this
 * is a disclosure made now) are suppressed (docs/rights.md).
 */
export async function dataQualityCounts(
  { db }: Pick<ServiceDeps, 'db'>,
  caller: Caller,
  purpose: string,
  audit: AuditNote,
): Promise<{ threshold: number; agencies: AgencyDataQuality[] }> {
  await requireAssignedAnalyst(db, caller, purpose);
  const threshold = smallNumberThreshold((await policyInForce(db, purpose, new Date())).document);
  const rows = await db
    .selectFrom('audit_log')
    .select(['seq', 'at', 'actor', 'policy_id', 'policy_version', 'policy_rule', 'counts'])
    .distinctOn('actor')
    .where('purpose', '=', purpose)
    .where('action', '=', 'release.data-quality')
    .where('decision', '=', 'allowed')
    .where('actor', 'like', 'agency:%')
    .orderBy('actor')
    .orderBy('seq', 'desc')
    .execute();
  const flag = (v: number | undefined) => (v === undefined ? null : v === 1);
  const agencies = rows.map((r) => ({
    agency: r.actor.slice('agency:'.length),
    releasedAt: r.at,
    auditSeq: r.seq,
    policy: { id: r.policy_id, version: r.policy_version, rule: r.policy_rule },
    counts: Object.fromEntries(COUNTED.map((k) => [k, suppressSmall(r.counts[k] ?? 0, threshold)])) as Record<
      Counted,
      number | null
    >,
    dobCompared: flag(r.counts.dobCompared),
    sexCompared: flag(r.counts.sexCompared),
  }));
  audit.purpose = purpose;
  audit.counts = { agencies: agencies.length };
  return { threshold, agencies };
}
