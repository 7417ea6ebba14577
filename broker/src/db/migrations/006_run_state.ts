import type { Kysely } from 'kysely';

/**
 * Incremental runs: a run records which mode it ran in and why, each run record its place in the
 * run's record numbering, and a completed run keeps what the next run continues from — the model it
 * scored and blocked with, and the links (pairs at or above the threshold) by record number. The state goes
 * with its run (on delete cascade), so retention purges it with the run.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('run').addColumn('mode', 'text').addColumn('mode_reason', 'text').execute();
  await db.schema.alterTable('run_record').addColumn('record_index', 'integer').execute();
  await db.schema
    .createTable('run_state')
    .addColumn('run_id', 'uuid', (c) => c.primaryKey().references('run.id').onDelete('cascade'))
    .addColumn('settings', 'jsonb', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('links', 'bytea', (c) => c.notNull())
    .addColumn('record_count', 'integer', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('run_state').execute();
  await db.schema.alterTable('run_record').dropColumn('record_index').execute();
  await db.schema.alterTable('run').dropColumn('mode').dropColumn('mode_reason').execute();
}
