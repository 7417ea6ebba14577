import type { Kysely } from 'kysely';

/**
 * Runs produce entities and households, not just matched pairs: each record of the run carries its
 * entity and household id (stable across runs), and merges and splits are recorded with the run.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('run_match').execute();
  await db.schema.alterTable('run').addColumn('scoring', 'jsonb').addColumn('stats', 'jsonb').execute();
  await db.schema
    .createTable('run_record')
    .addColumn('run_id', 'uuid', (c) => c.notNull().references('run.id').onDelete('cascade'))
    .addColumn('submission_id', 'uuid', (c) => c.notNull())
    .addColumn('row_token', 'text', (c) => c.notNull())
    .addColumn('record_key', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addColumn('household_id', 'text')
    .addPrimaryKeyConstraint('run_record_pk', ['run_id', 'submission_id', 'row_token'])
    .execute();
  await db.schema.createIndex('run_record_entity_idx').on('run_record').columns(['run_id', 'entity_id']).execute();
  await db.schema
    .createIndex('run_record_household_idx')
    .on('run_record')
    .columns(['run_id', 'household_id'])
    .execute();
  await db.schema
    .createTable('run_event')
    .addColumn('run_id', 'uuid', (c) => c.notNull().references('run.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('detail', 'jsonb', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_event_pk', ['run_id', 'seq'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('run_event').execute();
  await db.schema.dropTable('run_record').execute();
  await db.schema.alterTable('run').dropColumn('scoring').dropColumn('stats').execute();
  await db.schema
    .createTable('run_match')
    .addColumn('run_id', 'uuid', (c) => c.notNull())
    .addColumn('left_submission', 'uuid', (c) => c.notNull())
    .addColumn('left_token', 'text', (c) => c.notNull())
    .addColumn('right_submission', 'uuid', (c) => c.notNull())
    .addColumn('right_token', 'text', (c) => c.notNull())
    .addColumn('score', 'real', (c) => c.notNull())
    .execute();
}
