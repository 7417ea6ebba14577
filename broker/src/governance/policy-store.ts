import type { Kysely } from 'kysely';
import { ProtocolError } from '@blindlink/protocol';
import { inForce, type LoadedPolicy, type PolicyDocument } from '@blindlink/policies';
import type { Database } from '../db/schema.js';
import { purposeReport } from '../privacy-reports/purpose.js';
import { lockPurposeSubmissions } from '../submissions/key-check.js';

export interface StoredPolicy {
  document: PolicyDocument;
  contentHash: string;
  loadedBy: string;
  /**
   * Null until an IG lead approves this version; an unapproved version is never in force. `privacyReport`:
   * the purpose privacy report digest the approver saw (null: the purpose had no submission then).
   */
  approval: { by: string; at: Date; privacyReport: string | null } | null;
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
 * the person who loaded the version. Informed approval: once the purpose has a submission, the approver
 * names the digest of the purpose's privacy report they read (`seenReport`), and it must be the current
 * one; with no submission yet, no report exists and the approval records none. Approving an approved
 * version again changes nothing.
 */
export async function approvePolicy(
  db: Kysely<Database>,
  id: string,
  version: number,
  approver: string,
  seenReport?: string,
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
  const approved = () => versionsOf(db, row.purpose).then((vs) => vs.find((p) => p.document.version === version)!);
  const already = await approved();
  if (already.approval) return already;
  await db.transaction().execute(async (trx) => {
    // Under the lock a submission's commit takes: none becomes current between the check and the approval.
    await lockPurposeSubmissions(trx, row.purpose);
    const digest = await currentReportDigest(trx, row.purpose, seenReport);
    await trx
      .insertInto('policy_approval')
      .values({
        policy_id: id,
        version,
        approved_by: approver,
        approved_at: new Date(),
        privacy_report_digest: digest,
      })
      .onConflict((oc) => oc.columns(['policy_id', 'version']).doNothing())
      .execute();
  });
  return approved();
}

/** The purpose report digest an approval records, refusing one made without it or on an outdated one. */
async function currentReportDigest(
  db: Kysely<Database>,
  purpose: string,
  seen: string | undefined,
): Promise<string | null> {
  const current = await purposeReport(db, purpose);
  if (current.submissions.length === 0) {
    if (seen === undefined) return null;
    throw new ProtocolError(
      'privacy-report-changed',
      `purpose ${purpose} has no submission now, so no privacy report: the report ${seen} is not current`,
      { current: null },
    );
  }
  if (current.digest === null)
    throw new ProtocolError(
      'privacy-report-pending',
      `the privacy report of purpose ${purpose} is still being computed (${current.pending.length} of ` +
        `${current.submissions.length} submissions); read it once it is ready, then approve`,
      { pending: current.pending.map((p) => ({ agency: p.agency, submissionId: p.submissionId, status: p.status })) },
    );
  if (seen === undefined)
    throw new ProtocolError(
      'privacy-report-required',
      `purpose ${purpose} has submissions: read its privacy report (GET /v1/purposes/${purpose}/privacy-report) ` +
        'and approve with its digest (privacyReportDigest)',
      { current: current.digest },
    );
  if (seen !== current.digest)
    throw new ProtocolError(
      'privacy-report-changed',
      `the privacy report of purpose ${purpose} changed since ${seen} (a submission came or its report ` +
        `finished): read the current one (${current.digest}) before approving`,
      { current: current.digest },
    );
  return seen;
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
      'policy_approval.privacy_report_digest',
    ])
    .where('policy.purpose', '=', purpose)
    .orderBy('policy.version', 'desc')
    .execute();
  return rows.map((r) => ({
    document: r.document as unknown as PolicyDocument,
    contentHash: r.content_hash,
    loadedBy: r.loaded_by,
    approval:
      r.approved_by && r.approved_at
        ? { by: r.approved_by, at: r.approved_at, privacyReport: r.privacy_report_digest ?? null }
        : null,
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
