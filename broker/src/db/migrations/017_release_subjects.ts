import type { Kysely } from 'kysely';

/**
 * Which people each release was about, for subject access (docs/rights.md): one row per allowed
 * release request and entity its answer was about, keyed by the audit entry that recorded the release.
 * The entity is stored as a keyed pseudonym (releases/subjects.ts), never as its id, so this
 * table alone cannot be joined to a run's records. Kept like the audit trail: runs purged, rows stay.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('release_subject')
    .addColumn('audit_seq', 'integer', (c) => c.notNull().references('audit_log.seq'))
    .addColumn('run_id', 'uuid', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('release_subject_pk', ['audit_seq', 'subject'])
    .execute();
  await db.schema.createIndex('release_subject_by_subject').on('release_subject').column('subject').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('release_subject').execute();
}
