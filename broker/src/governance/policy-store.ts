import type { Kysely } from 'kysely';
import { ProtocolError } from '@blindlink/protocol';
import { inForce, type LoadedPolicy, type PolicyDocument } from '@blindlink/policies';
import type { Database } from '../db/schema.js';

export interface StoredPolicy {
  document: PolicyDocument;
  contentHash: string;
  loadedBy: string;
  /** Null until an IG lead approves this version; an unapproved version is never in force. */
  approval: { by: string; at: Date } | null;
}

/**
 * Store a validated policy version. Versions are immutable: loading the same (id, version) again is a
 * no-op when the content is identical and an error when it differs.
 */
export async function storePolicy(
  db: Kysely<Database>,
  policy: LoadedPolicy,
  loadedBy = 'operator',
): Promise<'stored' | 'unchanged'> {
  const { document: doc, contentHash } = policy;
  return db.transaction().execute(async (trx) => {
    const same = await trx
      .selectFrom('policy')
      .select(['content_hash'])
      .where('id', '=', doc.id)
      .where('version', '=', doc.version)
      .executeTakeFirst();
    if (same) {
      if (same.content_hash === contentHash) return 'unchanged';
      throw new ProtocolError(
        'policy-version-conflict',
        `policy ${doc.id} v${doc.version} is already loaded with different content; give the change a new version`,
      );
    }
    const other = await trx
      .selectFrom('policy')
      .select('id')
      .where('purpose', '=', doc.purpose)
      .where('id', '!=', doc.id)
      .executeTakeFirst();
    if (other)
      throw new ProtocolError(
        'policy-version-conflict',
        `purpose ${doc.purpose} is already governed by policy ${other.id}`,
      );
    await trx
      .insertInto('policy')
      .values({
        id: doc.id,
        version: doc.version,
        purpose: doc.purpose,
        content_hash: contentHash,
        document: JSON.stringify(doc),
        loaded_at: new Date(),
        loaded_by: loadedBy,
      })
      .execute();
    return 'stored';
  });
}

/** Who did something, as recorded: 'operator:alice' or 'admin:bob'; the name part identifies the person. */
const personOf = (actor: string) => actor.slice(actor.indexOf(':') + 1);

/**
 * An IG lead approves a version. Separation of duties: the approver must be an IG lead and must not be
 * the person who loaded the version.
 */
export async function approvePolicy(
  db: Kysely<Database>,
  id: string,
  version: number,
  approver: string,
): Promise<StoredPolicy> {
  const person = await db
    .selectFrom('person')
    .select(['username', 'role', 'created_by'])
    .where('username', '=', approver)
    .executeTakeFirst();
  if (person?.role !== 'ig-lead')
    throw new ProtocolError('forbidden', `${approver} is not an IG lead; only an IG lead approves policies`);
  const row = await db
    .selectFrom('policy')
    .selectAll()
    .where('id', '=', id)
    .where('version', '=', version)
    .executeTakeFirst();
  if (!row) throw new ProtocolError('not-found', `no policy ${id} v${version} is loaded`);
  if (personOf(row.loaded_by) === approver) {
    throw new ProtocolError('forbidden', `${approver} loaded policy ${id} v${version}; another person must approve it`);
  }
  // Otherwise an admin could create an IG-lead account for himself and approve his own policy. (The
  // host operator running the CLI is outside this check: whoever holds the broker's host holds its keys.)
  if (row.loaded_by.startsWith('admin:') && person.created_by === row.loaded_by) {
    throw new ProtocolError(
      'forbidden',
      `${approver}'s account was created by ${row.loaded_by}, who loaded policy ${id} v${version}; an IG ` +
        `lead created by someone else must approve it`,
    );
  }
  await db
    .insertInto('policy_approval')
    .values({ policy_id: id, version, approved_by: approver, approved_at: new Date() })
    .onConflict((oc) => oc.columns(['policy_id', 'version']).doNothing())
    .execute();
  return (await versionsOf(db, row.purpose)).find((p) => p.document.version === version)!;
}

async function versionsOf(db: Kysely<Database>, purpose: string): Promise<StoredPolicy[]> {
  const rows = await db
    .selectFrom('policy')
    .leftJoin('policy_approval', (j) =>
      j.onRef('policy_approval.policy_id', '=', 'policy.id').onRef('policy_approval.version', '=', 'policy.version'),
    )
    .select([
      'policy.document',
      'policy.content_hash',
      'policy.loaded_by',
      'policy_approval.approved_by',
      'policy_approval.approved_at',
    ])
    .where('policy.purpose', '=', purpose)
    .orderBy('policy.version', 'desc')
    .execute();
  return rows.map((r) => ({
    document: r.document as unknown as PolicyDocument,
    contentHash: r.content_hash,
    loadedBy: r.loaded_by,
    approval: r.approved_by && r.approved_at ? { by: r.approved_by, at: r.approved_at } : null,
  }));
}

/**
 * The version that judges a request at `at`: the highest approved version whose dates cover it. When
 * none qualifies the newest relevant version is returned all the same, so the refusal can name it.
 */
export async function policyInForce(db: Kysely<Database>, purpose: string, at: Date): Promise<StoredPolicy> {
  const versions = await versionsOf(db, purpose);
  if (versions.length === 0) throw new ProtocolError('unknown-purpose', `no policy governs purpose ${purpose}`);
  const dated = versions.filter((v) => inForce(v.document, at));
  return dated.find((v) => v.approval) ?? dated[0] ?? versions[0]!;
}

/** Whether any policy version, approved or not, governs the purpose. */
export async function isGoverned(db: Kysely<Database>, purpose: string): Promise<boolean> {
  const row = await db.selectFrom('policy').select('id').where('purpose', '=', purpose).executeTakeFirst();
  return row !== undefined;
}

export async function listPolicies(db: Kysely<Database>) {
  const rows = await db.selectFrom('policy').select('purpose').distinct().execute();
  return (await Promise.all(rows.map((r) => versionsOf(db, r.purpose)))).flat();
}
