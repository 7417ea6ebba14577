import { sql, type Kysely } from 'kysely';

/**
 * Clerical review (docs/clerical-review.md): every pair an agency was sent for review, named by the
 * two records' stable keys (so a label outlives the run and a re-encoded extract), and the agency's
 * verdict once its data officer has given one. One row per purpose, agency and pair: a new label of
 * the same pair replaces the old.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('review_pair')
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('agency', 'text', (c) => c.notNull())
    .addColumn('review_id', 'text', (c) => c.notNull())
    .addColumn('key_a', 'text', (c) => c.notNull())
    .addColumn('key_b', 'text', (c) => c.notNull())
    .addColumn('run_id', 'uuid', (c) => c.notNull())
    .addColumn('exported_at', 'timestamptz', (c) => c.notNull())
    .addColumn('verdict', 'text', (c) => c.check(sql`verdict in ('match', 'non-match', 'unsure')`))
    .addColumn('labelled_at', 'timestamptz')
    .addPrimaryKeyConstraint('review_pair_pk', ['purpose', 'agency', 'review_id'])
    .addCheckConstraint('review_pair_ordered', sql`key_a < key_b`)
    .execute();
  await db.schema
    .createIndex('review_pair_pair_idx')
    .on('review_pair')
    .columns(['purpose', 'key_a', 'key_b'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('review_pair').execute();
}
