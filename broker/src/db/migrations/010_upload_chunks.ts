import { sql, type Kysely } from 'kysely';

/**
 * Chunked uploads (docs/submissions.md). `upload` holds the signed manifest; `upload_chunk` which
 * chunks arrived; `upload_encoding` each validated record, already encrypted at rest under the
 * submission id reserved for the upload, so commit copies rows without opening them. Runs read only
 * `submission`/`encoding`: nothing here is visible to them before commit. The primary key on
 * (upload_id, row_token) refuses a row token repeated across chunks.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('upload')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('submission_id', 'uuid', (c) => c.notNull().unique())
    .addColumn('agency', 'text', (c) => c.notNull().references('agency.slug').onDelete('cascade'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    .addColumn('manifest', 'text', (c) => c.notNull())
    .addColumn('manifest_digest', 'text', (c) => c.notNull())
    .addColumn('signature', 'text', (c) => c.notNull())
    .addColumn('chunk_count', 'integer', (c) => c.notNull())
    .addColumn('record_count', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('committed_at', 'timestamptz')
    .addUniqueConstraint('upload_idempotency_uq', ['agency', 'idempotency_key'])
    .execute();
  await db.schema.createIndex('upload_updated_idx').on('upload').column('updated_at').execute();
  await db.schema
    .createTable('upload_chunk')
    .addColumn('upload_id', 'uuid', (c) => c.notNull().references('upload.id').onDelete('cascade'))
    .addColumn('n', 'integer', (c) => c.notNull().check(sql`n >= 0`))
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('record_count', 'integer', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('upload_chunk_pk', ['upload_id', 'n'])
    .execute();
  await db.schema
    .createTable('upload_encoding')
    .addColumn('upload_id', 'uuid', (c) => c.notNull().references('upload.id').onDelete('cascade'))
    .addColumn('row_token', 'text', (c) => c.notNull())
    .addColumn('chunk', 'integer', (c) => c.notNull())
    .addColumn('field_mask', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('payload', 'bytea', (c) => c.notNull())
    .addPrimaryKeyConstraint('upload_encoding_pk', ['upload_id', 'row_token'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('upload_encoding').execute();
  await db.schema.dropTable('upload_chunk').execute();
  await db.schema.dropTable('upload').execute();
}
