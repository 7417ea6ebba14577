import type { Kysely } from 'kysely';

/**
 * A person's session generation: every access token a person holds names it, and logging out moves
 * it on, so a token copied before logout (cookie or API) is refused at once rather than at its expiry.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('person')
    .addColumn('session_epoch', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('person').dropColumn('session_epoch').execute();
}
