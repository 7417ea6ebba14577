import { sql, type Kysely } from 'kysely';

/**
 * The privacy report of each submission (docs/privacy-report.md), computed by a job after the
 * submission commits: its status, the report and its digest, or why it failed. An approval names the
 * purpose report its IG lead saw (null: the purpose had no submission, so no report existed). Current
 * submissions stored before reports existed are queued here; the broker gives them jobs at start.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('privacy_report')
    .addColumn('submission_id', 'uuid', (c) => c.primaryKey().references('submission.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('queued', 'running', 'completed', 'failed')`))
    .addColumn('report', 'jsonb')
    .addColumn('digest', 'text')
    .addColumn('error', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz')
    .execute();
  await sql`insert into privacy_report (submission_id, status, max_attempts, created_at)
    select distinct on (agency, purpose) id, 'queued', 5, now() from submission
    order by agency, purpose, current_at desc, id`.execute(db);
  await db.schema.alterTable('policy_approval').addColumn('privacy_report_digest', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('policy_approval').dropColumn('privacy_report_digest').execute();
  await db.schema.dropTable('privacy_report').execute();
}
