import { sql, type Kysely } from 'kysely';

/**
 * Key checks and re-submission. `key_check` holds the encoded file's key check value (null for
 * submissions stored before key checks existed: they cannot be compared). `current_at` is when the
 * submission last became its agency's current one for the purpose: when stored, or again when the
 * agency re-submitted the identical upload; the latest submissions are chosen by it, no longer by
 * `created_at`. Existing rows became current when they were stored.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('submission')
    .addColumn('key_check', 'text')
    .addColumn('current_at', 'timestamptz')
    .execute();
  await sql`update submission set current_at = created_at`.execute(db);
  await db.schema
    .alterTable('submission')
    .alterColumn('current_at', (c) => c.setNotNull())
    .execute();
  await db.schema
    .createIndex('submission_current_idx')
    .on('submission')
    .columns(['purpose', 'agency', 'current_at'])
    .execute();
  // A re-submission is recognised by its digest among the agency's submissions for the purpose.
  await db.schema
    .createIndex('submission_digest_idx')
    .on('submission')
    .columns(['agency', 'purpose', 'digest'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('submission_digest_idx').execute();
  await db.schema.dropIndex('submission_current_idx').execute();
  await db.schema.alterTable('submission').dropColumn('current_at').dropColumn('key_check').execute();
}
