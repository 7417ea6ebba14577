import { sql, type Kysely } from 'kysely';

/**
 * A full run's finish is split too (docs/runs.md): beside the partitions ('pairs'), a 'sample' row
 * (what the fit draws from every source), a 'fit' row (the scoring fitted once), and one 'score' row
 * per partition (its pairs weighed with the fit, those that may still matter kept). Each is a job's
 * unit of work with the same life as a partition's: pending, running (heartbeat), done.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('run_partition')
    .addColumn('phase', 'text', (c) =>
      c.notNull().defaultTo('pairs').check(sql`phase in ('pairs', 'sample', 'fit', 'score')`),
    )
    .execute();
  await db.schema.alterTable('run_partition').dropConstraint('run_partition_pk').execute();
  await db.schema
    .alterTable('run_partition')
    .addPrimaryKeyConstraint('run_partition_pk', ['run_id', 'phase', 'part'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from run_partition where phase <> 'pairs'`.execute(db);
  await db.schema.alterTable('run_partition').dropConstraint('run_partition_pk').execute();
  await db.schema.alterTable('run_partition').addPrimaryKeyConstraint('run_partition_pk', ['run_id', 'part']).execute();
  await db.schema.alterTable('run_partition').dropColumn('phase').execute();
}
