import type { Kysely } from 'kysely';

/**
 * Field-level Bloom filters and keyed blocking tokens per encoding, so the engine can block and score
 * field by field. Packed as bytes: the engine loads whole submissions into memory anyway.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('submission').addColumn('header', 'jsonb').execute();
  await db.schema
    .alterTable('encoding')
    .addColumn('field_mask', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('fields', 'bytea')
    .addColumn('blocks', 'bytea')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('encoding').dropColumn('field_mask').dropColumn('fields').dropColumn('blocks').execute();
  await db.schema.alterTable('submission').dropColumn('header').execute();
}
