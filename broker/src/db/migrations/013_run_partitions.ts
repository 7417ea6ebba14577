import { sql, type Kysely } from 'kysely';

/**
 * A full run is split into partitions (one pair of sources each: blocking and the candidate pairs'
 * similarities) that several workers share. Each partition's row says which attempt of the run planned
 * it, whether it is pending, running (with its worker's heartbeat) or done, and holds its result until
 * the run's last job joins them; the rows go when the run is stored, fails, or is deleted.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('run_partition')
    .addColumn('run_id', 'uuid', (c) => c.notNull().references('run.id').onDelete('cascade'))
    .addColumn('part', 'integer', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('source_i', 'integer', (c) => c.notNull())
    .addColumn('source_j', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'running', 'done')`))
    .addColumn('worker_id', 'text')
    .addColumn('heartbeat_at', 'timestamptz')
    .addColumn('runs', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('result', 'bytea')
    .addColumn('blocking', 'text')
    .addPrimaryKeyConstraint('run_partition_pk', ['run_id', 'part'])
    .execute();
  await db.schema
    .createIndex('run_partition_active_idx')
    .on('run_partition')
    .columns(['status', 'heartbeat_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('run_partition').execute();
}
