import { sql, type Kysely } from 'kysely';

/**
 * Agencies enrol with a one-time code and hold broker-issued client certificates (mutual TLS) and an
 * Ed25519 signing key; shared-secret credentials go. Submissions keep the agency's signature, and
 * each encoding is stored encrypted at rest as one sealed payload (the key lives outside the database).
 * Audit checkpoints signed by the broker key.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('agency')
    .dropColumn('secret_hash')
    .addColumn('enrolment_code_hash', 'text')
    .addColumn('enrolment_expires_at', 'timestamptz')
    .addColumn('signing_public_key', 'text')
    .addColumn('enrolled_at', 'timestamptz')
    .execute();
  await db.schema
    .createTable('agency_certificate')
    .addColumn('serial', 'text', (c) => c.primaryKey())
    .addColumn('agency', 'text', (c) => c.notNull().references('agency.slug'))
    .addColumn('thumbprint', 'text', (c) => c.notNull())
    .addColumn('issued_at', 'timestamptz', (c) => c.notNull())
    .addColumn('not_after', 'timestamptz', (c) => c.notNull())
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('certificate', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('agency_certificate_agency_idx').on('agency_certificate').column('agency').execute();

  await db.schema.alterTable('submission').addColumn('signature', 'text').addColumn('signed_digest', 'text').execute();
  await db.schema
    .alterTable('encoding')
    .dropColumn('clk')
    .dropColumn('fields')
    .dropColumn('blocks')
    .addColumn('payload', 'bytea', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('audit_checkpoint')
    .addColumn('seq', 'integer', (c) => c.primaryKey())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('broker_key_id', 'text', (c) => c.notNull())
    .addColumn('signature', 'text', (c) => c.notNull())
    .execute();
  await sql`create trigger audit_checkpoint_no_change before update or delete on audit_checkpoint
            for each row execute function audit_log_append_only()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_checkpoint').execute();
  await db.schema
    .alterTable('encoding')
    .dropColumn('payload')
    .addColumn('clk', 'bytea')
    .addColumn('fields', 'bytea')
    .addColumn('blocks', 'bytea')
    .execute();
  await db.schema.alterTable('submission').dropColumn('signature').dropColumn('signed_digest').execute();
  await db.schema.dropTable('agency_certificate').execute();
  await db.schema
    .alterTable('agency')
    .dropColumn('enrolment_code_hash')
    .dropColumn('enrolment_expires_at')
    .dropColumn('signing_public_key')
    .dropColumn('enrolled_at')
    .addColumn('secret_hash', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
}
