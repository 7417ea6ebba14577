import { sql, type Kysely } from 'kysely';

/**
 * People (admin, analyst, IG lead) with Argon2id password hashes and lockout state; analysts'
 * purpose assignments; IG-lead approvals of policy versions (a version is in force only once approved).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('person')
    .addColumn('username', 'text', (c) => c.primaryKey())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('admin', 'analyst', 'ig-lead')`))
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('lockout', 'jsonb', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('analyst_assignment')
    .addColumn('username', 'text', (c) => c.notNull().references('person.username').onDelete('cascade'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('analyst_assignment_pk', ['username', 'purpose'])
    .execute();
  await db.schema
    .alterTable('policy')
    .addColumn('loaded_by', 'text', (c) => c.notNull().defaultTo('operator'))
    .execute();
  await db.schema
    .createTable('policy_approval')
    .addColumn('policy_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('approved_by', 'text', (c) => c.notNull().references('person.username'))
    .addColumn('approved_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('policy_approval_pk', ['policy_id', 'version'])
    .addForeignKeyConstraint('policy_approval_policy_fk', ['policy_id', 'version'], 'policy', ['id', 'version'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('policy_approval').execute();
  await db.schema.alterTable('policy').dropColumn('loaded_by').execute();
  await db.schema.dropTable('analyst_assignment').execute();
  await db.schema.dropTable('person').execute();
}
