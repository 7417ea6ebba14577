import { sql, type Kysely } from 'kysely';

/**
 * Nightly schedules: one per purpose, set by an analyst assigned to it. `next_due` is the instant the
 * scheduler next runs it (computed in the schedule's time zone); a scheduler claims a due schedule by
 * advancing `next_due` in one UPDATE, so two brokers on one database never both run it. The last_*
 * columns record the outcome of the last scheduled attempt.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('run_schedule')
    .addColumn('purpose', 'text', (c) => c.primaryKey())
    .addColumn('time_of_day', 'text', (c) => c.notNull().check(sql`time_of_day ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'`))
    .addColumn('time_zone', 'text', (c) => c.notNull())
    .addColumn('owner', 'text', (c) => c.notNull().references('person.username').onDelete('cascade'))
    .addColumn('next_due', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_attempt_at', 'timestamptz')
    .addColumn('last_status', 'text', (c) => c.check(sql`last_status in ('completed', 'failed', 'refused', 'skipped')`))
    // Purging a run past retention must not be blocked by the schedule that started it.
    .addColumn('last_run_id', 'uuid', (c) => c.references('run.id').onDelete('set null'))
    .addColumn('last_detail', 'text')
    .execute();
  await db.schema.createIndex('run_schedule_due_idx').on('run_schedule').column('next_due').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('run_schedule').execute();
}
