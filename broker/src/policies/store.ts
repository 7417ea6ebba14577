import type { Kysely } from 'kysely';
import { ProtocolError } from '@blindlink/protocol';
import { inForce, type LoadedPolicy, type PolicyDocument } from '@blindlink/policies';
import type { Database } from '../db/schema.js';

export interface StoredPolicy {
  document: PolicyDocument;
  contentHash: string;
}

/**
 * Store a validated policy version. Versions are immutable: loading the same (id, version) again is a
 * no-op when the content is identical and an error when it differs.
 */
export async function storePolicy(db: Kysely<Database>, policy: LoadedPolicy): Promise<'stored' | 'unchanged'> {
  const { document: doc, contentHash } = policy;
  return db.transaction().execute(async (trx) => {
    const same = await trx.selectFrom('policy').select(['content_hash']).where('id', '=', doc.id).where('version', '=', doc.version).executeTakeFirst();
    if (same) {
      if (same.content_hash === contentHash) return 'unchanged';
      throw new ProtocolError('policy-version-conflict', `policy ${doc.id} v${doc.version} is already loaded with different content; give the change a new version`);
    }
    const other = await trx.selectFrom('policy').select('id').where('purpose', '=', doc.purpose).where('id', '!=', doc.id).executeTakeFirst();
    if (other) throw new ProtocolError('policy-version-conflict', `purpose ${doc.purpose} is already governed by policy ${other.id}`);
    await trx
      .insertInto('policy')
      .values({ id: doc.id, version: doc.version, purpose: doc.purpose, content_hash: contentHash, document: JSON.stringify(doc), loaded_at: new Date() })
      .execute();
    return 'stored';
  });
}

/** The version in force for a purpose: the highest version whose validity covers `at`. */
export async function policyInForce(db: Kysely<Database>, purpose: string, at: Date): Promise<StoredPolicy> {
  const rows = await db.selectFrom('policy').select(['document', 'content_hash']).where('purpose', '=', purpose).orderBy('version', 'desc').execute();
  if (rows.length === 0) throw new ProtocolError('unknown-purpose', `no policy governs purpose ${purpose}`);
  for (const r of rows) {
    const document = r.document as unknown as PolicyDocument;
    if (inForce(document, at)) return { document, contentHash: r.content_hash };
  }
  // Still judged (and refused) by the newest version, so the refusal names a policy and version.
  return { document: rows[0]!.document as unknown as PolicyDocument, contentHash: rows[0]!.content_hash };
}
