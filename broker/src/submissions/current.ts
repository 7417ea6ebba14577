import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * Which submission is an agency's current one for a purpose: the one that became current last
 * (`current_at`), whether stored then or re-submitted then. Re-submitting an identical upload is how
 * an agency goes back to an earlier file, so the order cannot be the storing time.
 */

/** The agency's current submission for the purpose, if any. */
export async function currentSubmission(
  db: Kysely<Database>,
  agency: string,
  purpose: string,
): Promise<{ id: string } | undefined> {
  return db
    .selectFrom('submission')
    .select('id')
    .where('agency', '=', agency)
    .where('purpose', '=', purpose)
    .orderBy('current_at', 'desc')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
}

/** An earlier submission of exactly this upload (same digest) by the agency for the purpose. */
export async function identicalSubmission(db: Kysely<Database>, agency: string, purpose: string, digest: string) {
  return db
    .selectFrom('submission')
    .select(['id', 'record_count', 'created_at'])
    .where('agency', '=', agency)
    .where('purpose', '=', purpose)
    .where('digest', '=', digest)
    .orderBy('current_at', 'desc')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
}

/** Makes a stored submission its agency's current one again; false if it already was. */
export async function makeCurrent(
  trx: Kysely<Database>,
  sub: { id: string; agency: string; purpose: string },
  at: Date,
): Promise<boolean> {
  const current = await currentSubmission(trx, sub.agency, sub.purpose);
  if (current?.id === sub.id) return false;
  await trx.updateTable('submission').set({ current_at: at }).where('id', '=', sub.id).execute();
  return true;
}
