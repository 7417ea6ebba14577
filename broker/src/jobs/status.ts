import type { Kysely } from 'kysely';
import type { RunStatus } from '@blindlink/protocol';
import type { Database } from '../db/schema.js';

/** A run's status as the API shows it; undefined when the purpose has no such run. */
export async function runStatus(db: Kysely<Database>, purpose: string, runId: string): Promise<RunStatus | undefined> {
  const r = await db
    .selectFrom('run')
    .selectAll()
    .where('id', '=', runId)
    .where('purpose', '=', purpose)
    .executeTakeFirst();
  if (!r) return undefined;
  const p = (r.progress ?? {}) as Record<string, number>;
  const count = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined);
  const progress: RunStatus['progress'] = {};
  const set = (k: keyof RunStatus['progress'], v: unknown) => {
    const n = count(v);
    if (n !== undefined) progress[k] = n;
  };
  set('recordsLoaded', p.records);
  set('partitions', p.partitions);
  set('partitionsDone', p.partitionsDone);
  set('candidatePairs', p.candidatePairs);
  set('pairsScored', p.pairsScored);
  set('entities', p.entities);
  return {
    runId: r.id,
    purpose: r.purpose,
    status: r.status,
    stage: r.stage,
    progress,
    attempt: r.attempt,
    sources: r.submission_ids.length,
    matchedPairs: r.matched_pairs,
    mode: r.mode,
    modeReason: r.mode_reason,
    queuedAt: r.started_at.toISOString(),
    finishedAt: r.finished_at ? r.finished_at.toISOString() : null,
    ...(r.error ? { error: r.error } : {}),
    ...estimatesOf(r.stats),
  };
}

/** The newest runs of a purpose, newest first, as runStatus reports each. */
export async function recentRuns(db: Kysely<Database>, purpose: string, limit: number): Promise<RunStatus[]> {
  const ids = await db
    .selectFrom('run')
    .select('id')
    .where('purpose', '=', purpose)
    .orderBy('started_at', 'desc')
    .limit(limit)
    .execute();
  const runs = await Promise.all(ids.map((r) => runStatus(db, purpose, r.id)));
  return runs.filter((r): r is RunStatus => r !== undefined);
}

/** The estimates a completed run stored in its stats (estimates.ts), across sources. */
function estimatesOf(stats: unknown): Pick<RunStatus, 'estimates'> {
  const a = (stats as { estimates?: { acrossSources?: Record<string, unknown> } } | null)?.estimates?.acrossSources;
  if (!a) return {};
  const { precision, recall, linkedPairs } = a;
  if (typeof precision !== 'number' || typeof recall !== 'number' || typeof linkedPairs !== 'number') return {};
  return { estimates: { precision, recall, linkedPairs } };
}
