import type { Kysely } from 'kysely';

/**
 * A reviewed pair's field similarities as the model compared them when it was exported (field →
 * de-biased Dice, null: missing), so that a verdict on it reaches the next run's fit as a labelled
 * pair (docs/scoring.md). Kept with the pair and purged with it; never sent to an agency.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('review_pair').addColumn('sims', 'jsonb').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('review_pair').dropColumn('sims').execute();
}
