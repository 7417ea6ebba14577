import { sql, type Kysely } from 'kysely';

/**
 * Runs are jobs (broker/src/jobs/): the run row is written 'queued' when the API accepts the run, and a
 * worker links it later. The row carries what the job needs (the mode asked for), where it is (stage,
 * progress), and which attempt owns it: a worker that died mid-run is replaced by a new attempt, and
 * only the newest attempt may store results or write progress. heartbeat_at tells a live worker from a
 * dead one. A schedule's last outcome may be 'queued' until its run ends.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table run drop constraint if exists run_status_check`.execute(db);
  await sql`alter table run add constraint run_status_check
    check (status in ('queued', 'running', 'completed', 'failed'))`.execute(db);
  await db.schema
    .alterTable('run')
    .addColumn('requested_mode', 'text', (c) =>
      c.notNull().defaultTo('auto').check(sql`requested_mode in ('full', 'auto')`),
    )
    .addColumn('stage', 'text')
    .addColumn('progress', 'jsonb')
    .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('worker_id', 'text')
    .addColumn('heartbeat_at', 'timestamptz')
    .addColumn('scheduled_by', 'text')
    .execute();
  await sql`alter table run_schedule drop constraint if exists run_schedule_last_status_check`.execute(db);
  await sql`alter table run_schedule add constraint run_schedule_last_status_check
    check (last_status in ('queued', 'completed', 'failed', 'refused', 'skipped'))`.execute(db);
  await db.schema.createIndex('run_active_idx').on('run').columns(['status', 'heartbeat_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('run_active_idx').execute();
  await db.schema
    .alterTable('run')
    .dropColumn('requested_mode')
    .dropColumn('stage')
    .dropColumn('progress')
    .dropColumn('attempt')
    .dropColumn('worker_id')
    .dropColumn('heartbeat_at')
    .dropColumn('scheduled_by')
    .execute();
}
