import { sql, type Kysely } from 'kysely';

/** The foundation: agencies, policies, submissions and their encodings, runs, and the audit chain. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('agency')
    .addColumn('slug', 'text', (c) => c.primaryKey())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('policy')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('document', 'jsonb', (c) => c.notNull())
    .addColumn('loaded_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('policy_pk', ['id', 'version'])
    .execute();
  await db.schema.createIndex('policy_purpose_idx').on('policy').column('purpose').execute();

  await db.schema
    .createTable('submission')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('agency', 'text', (c) => c.notNull().references('agency.slug'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('schema_id', 'text', (c) => c.notNull())
    .addColumn('schema_version', 'integer', (c) => c.notNull())
    .addColumn('schema_fingerprint', 'text', (c) => c.notNull())
    .addColumn('clk_bits', 'integer', (c) => c.notNull())
    .addColumn('record_count', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('submission_idempotency_uq', ['agency', 'idempotency_key'])
    .execute();
  await db.schema
    .createIndex('submission_latest_idx')
    .on('submission')
    .columns(['purpose', 'agency', 'created_at'])
    .execute();

  await db.schema
    .createTable('encoding')
    .addColumn('submission_id', 'uuid', (c) => c.notNull().references('submission.id').onDelete('cascade'))
    .addColumn('row_token', 'text', (c) => c.notNull())
    .addColumn('clk', 'bytea', (c) => c.notNull())
    .addPrimaryKeyConstraint('encoding_pk', ['submission_id', 'row_token'])
    .execute();

  await db.schema
    .createTable('run')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('running', 'completed', 'failed')`))
    .addColumn('policy_id', 'text', (c) => c.notNull())
    .addColumn('policy_version', 'integer', (c) => c.notNull())
    .addColumn('threshold', 'double precision', (c) => c.notNull())
    .addColumn('submission_ids', 'jsonb', (c) => c.notNull())
    .addColumn('matched_pairs', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('run_purpose_idx').on('run').columns(['purpose', 'started_at']).execute();

  await db.schema
    .createTable('run_match')
    .addColumn('run_id', 'uuid', (c) => c.notNull().references('run.id').onDelete('cascade'))
    .addColumn('left_submission', 'uuid', (c) => c.notNull())
    .addColumn('left_token', 'text', (c) => c.notNull())
    .addColumn('right_submission', 'uuid', (c) => c.notNull())
    .addColumn('right_token', 'text', (c) => c.notNull())
    .addColumn('score', 'real', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('run_match_left_idx')
    .on('run_match')
    .columns(['run_id', 'left_submission', 'right_submission'])
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('seq', 'integer', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text')
    .addColumn('policy_id', 'text')
    .addColumn('policy_version', 'integer')
    .addColumn('policy_rule', 'text')
    .addColumn('decision', 'text', (c) => c.notNull().check(sql`decision in ('allowed', 'refused', 'failed')`))
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('counts', 'jsonb', (c) => c.notNull())
    .addColumn('release_digest', 'text')
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();

  // Append-only in the database itself, not only in our code: an UPDATE, DELETE or TRUNCATE fails.
  // Whoever can disable the trigger can still rewrite rows; the hash chain is what shows it.
  await sql`
    create function audit_log_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_log is append-only';
    end $$`.execute(db);
  await sql`create trigger audit_log_no_change before update or delete on audit_log
            for each row execute function audit_log_append_only()`.execute(db);
  await sql`create trigger audit_log_no_truncate before truncate on audit_log
            for each statement execute function audit_log_append_only()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['audit_log', 'run_match', 'run', 'encoding', 'submission', 'policy', 'agency']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
  await sql`drop function if exists audit_log_append_only()`.execute(db);
}
