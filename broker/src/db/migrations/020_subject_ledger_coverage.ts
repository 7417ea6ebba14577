import { sql, type Kysely } from 'kysely';

/**
 * From when the subject ledger (release_subject, 017) holds every release of each form, so a subject
 * access answer can say from when its list is complete (docs/rights.md). The forms 017 recorded from
 * the time 017 was applied; clerical-review exports from now, as they were not recorded before.
 * Earlier releases cannot be reconstructed exactly (their answers and runs are not kept), so they are
 * declared, not guessed.
 */
const FORMS_OF_017 = ['membership', 'pseudonym', 'family-criteria', 'aggregate', 'discrepancy', 'data-quality'];

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('release_subject_coverage')
    .addColumn('form', 'text', (c) => c.primaryKey())
    .addColumn('recorded_since', 'timestamptz', (c) => c.notNull())
    .execute();
  // Kysely's own record of when 017 ran (an ISO string); now() if it is somehow absent.
  const applied = await sql<{ at: string }>`
    select timestamp as at from kysely_migration where name = '017_release_subjects'`.execute(db);
  const since017 = applied.rows[0] ? new Date(applied.rows[0].at) : new Date();
  const now = new Date();
  await db
    .insertInto('release_subject_coverage' as never)
    .values([
      ...FORMS_OF_017.map((form) => ({ form, recorded_since: since017 })),
      { form: 'clerical-review', recorded_since: now },
    ] as never)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('release_subject_coverage').execute();
}
