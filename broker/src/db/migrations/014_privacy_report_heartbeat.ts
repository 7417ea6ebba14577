import { sql, type Kysely } from 'kysely';

/**
 * A privacy report under way heartbeats like a run's jobs, so a worker that died mid-report is noticed
 * in seconds (graphile-worker alone frees its job after 4 hours, and approval waits for the report).
 * `worker_id` names who took it up: with `attempts` it says which attempt may still write. A report
 * running at the upgrade counts as alive from now, and is judged by its heartbeat from then on.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('privacy_report')
    .addColumn('worker_id', 'text')
    .addColumn('heartbeat_at', 'timestamptz')
    .execute();
  await sql`update privacy_report set heartbeat_at = now() where status = 'running'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('privacy_report').dropColumn('worker_id').dropColumn('heartbeat_at').execute();
}
