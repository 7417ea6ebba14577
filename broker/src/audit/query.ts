import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.js';
import type { ChainedAuditEntry } from './chain.js';
import { rowToEntry } from './log.js';

/** What an IG lead may filter the trail on. Every filter is optional; given filters all apply (AND). */
export interface AuditFilter {
  purpose?: string;
  /** Exact actor, e.g. `agency:alpha`, `ig-lead:iggy`, `operator:root`, `anonymous`. */
  actor?: string;
  action?: string;
  decision?: 'allowed' | 'refused' | 'failed';
  /** Rows at or after this time. */
  from?: Date;
  /** Rows strictly before this time. */
  to?: Date;
  /** Paging cursor: only rows with a larger seq. */
  afterSeq?: number;
  limit: number;
}

export const AUDIT_PAGE_MAX = 1000;

/**
 * One page of the trail, oldest first (ascending seq). Oldest first because paging by seq is then
 * stable while new rows are appended: the next page is simply `afterSeq = last seq of this page`.
 */
export async function queryAudit(
  db: Kysely<Database>,
  f: AuditFilter,
): Promise<{ entries: ChainedAuditEntry[]; nextAfterSeq: number | null }> {
  if (!Number.isInteger(f.limit) || f.limit < 1 || f.limit > AUDIT_PAGE_MAX)
    throw new RangeError(`limit must be 1 to ${AUDIT_PAGE_MAX}`);
  let q = db
    .selectFrom('audit_log')
    .selectAll()
    .where('seq', '>', f.afterSeq ?? 0);
  if (f.purpose !== undefined) q = q.where('purpose', '=', f.purpose);
  if (f.actor !== undefined) q = q.where('actor', '=', f.actor);
  if (f.action !== undefined) q = q.where('action', '=', f.action);
  if (f.decision !== undefined) q = q.where('decision', '=', f.decision);
  if (f.from !== undefined) q = q.where('at', '>=', f.from);
  if (f.to !== undefined) q = q.where('at', '<', f.to);
  const rows = await q.orderBy('seq').limit(f.limit).execute();
  const entries = rows.map(rowToEntry);
  return { entries, nextAfterSeq: entries.length === f.limit ? entries[entries.length - 1]!.seq : null };
}

/** Release requests per purpose, calendar month (UTC) and decision: what the public transparency page counts. */
export async function monthlyReleaseDecisions(
  db: Kysely<Database>,
): Promise<{ purpose: string; month: string; decision: 'allowed' | 'refused' | 'failed'; count: number }[]> {
  const month = sql<string>`to_char(date_trunc('month', ${sql.ref('at')} at time zone 'UTC'), 'YYYY-MM')`;
  const rows = await db
    .selectFrom('audit_log')
    .select(['purpose', 'decision', month.as('month'), (eb) => eb.fn.countAll<string>().as('n')])
    .where('action', 'like', 'release.%')
    .where('purpose', 'is not', null)
    .groupBy(['purpose', 'decision', month])
    .orderBy('purpose')
    .orderBy(month)
    .execute();
  return rows.map((r) => ({ purpose: r.purpose!, month: r.month, decision: r.decision, count: Number(r.n) }));
}
