import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

export const INTERRUPTED_RUN_ERROR = 'interrupted by a broker restart';

/**
 * At startup, before the broker listens: a run still 'running' was cut off by a crash or a kill (its
 * results are written in one transaction with 'completed', so none of them were stored). Mark it
 * failed so it is never mistaken for work in progress and the purpose can simply be run again.
 * Assumes one broker process per database: a second broker starting would fail the first's runs.
 */
export async function markInterruptedRuns(db: Kysely<Database>, now = new Date()): Promise<string[]> {
  const rows = await db
    .updateTable('run')
    .set({ status: 'failed', error: INTERRUPTED_RUN_ERROR, finished_at: now })
    .where('status', '=', 'running')
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}
