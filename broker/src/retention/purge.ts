import type { Kysely } from 'kysely';
import type { PolicyDocument } from '@blindlink/policies';
import type { Database } from '../db/schema.js';
import { appendAudit } from '../audit/log.js';
import { purgeAbandonedUploads } from '../uploads/store.js';

export interface PurgeResult {
  purpose: string;
  policy: string;
  submissions: number;
  encodings: number;
  runs: number;
  /** Clerical-review pairs and verdicts (docs/clerical-review.md): kept as long as linkage data. */
  reviewPairs: number;
}

const days = (iso: string) => Number(iso.slice(1, -1));

/**
 * Delete what each purpose's policy says is past retention: submissions and their encodings after
 * `retention.encodings`, linkage runs (entities, households, events, and the state an incremental
 * run continues from: model and links; all deleted with their run row) after `retention.linkage`, and
 * clerical-review pairs and their verdicts as long after they were last exported or labelled.
 * Releases are not stored (only their digests, in the audit trail, which is kept). Each purpose's
 * deletion is audited with its counts; with dryRun nothing is deleted and nothing audited.
 */
export async function purge(
  db: Kysely<Database>,
  actor: string,
  opts: { now?: Date; dryRun?: boolean } = {},
): Promise<PurgeResult[]> {
  const now = opts.now ?? new Date();
  const purposes = await db.selectFrom('policy').select('purpose').distinct().execute();
  const out: PurgeResult[] = [];
  for (const { purpose } of purposes) {
    const newest = await db
      .selectFrom('policy')
      .select(['document'])
      .where('purpose', '=', purpose)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    const doc = newest.document as unknown as PolicyDocument;
    const encodingsBefore = new Date(now.getTime() - days(doc.retention.encodings) * 86_400_000);
    const linkageBefore = new Date(now.getTime() - days(doc.retention.linkage) * 86_400_000);
    const result = await db.transaction().execute(async (trx) => {
      // Counted from when the agency last submitted it: re-submitting an earlier file provides it anew.
      const subs = await trx
        .selectFrom('submission')
        .select(['id', 'record_count'])
        .where('purpose', '=', purpose)
        .where('current_at', '<', encodingsBefore)
        .execute();
      const runs = await trx
        .selectFrom('run')
        .select('id')
        .where('purpose', '=', purpose)
        .where('started_at', '<', linkageBefore)
        .execute();
      const reviews = await trx
        .selectFrom('review_pair')
        .select(trx.fn.countAll<string>().as('n'))
        .where('purpose', '=', purpose)
        .where((e) => e(e.fn.coalesce('labelled_at', 'exported_at'), '<', linkageBefore))
        .executeTakeFirstOrThrow();
      const r: PurgeResult = {
        purpose,
        policy: `${doc.id} v${doc.version}`,
        submissions: subs.length,
        encodings: subs.reduce((n, s) => n + s.record_count, 0),
        runs: runs.length,
        reviewPairs: Number(reviews.n),
      };
      if (opts.dryRun) return r;
      if (r.reviewPairs)
        await trx
          .deleteFrom('review_pair')
          .where('purpose', '=', purpose)
          .where((e) => e(e.fn.coalesce('labelled_at', 'exported_at'), '<', linkageBefore))
          .execute();
      if (runs.length)
        await trx
          .deleteFrom('run')
          .where(
            'id',
            'in',
            runs.map((x) => x.id),
          )
          .execute();
      if (subs.length)
        await trx
          .deleteFrom('submission')
          .where(
            'id',
            'in',
            subs.map((x) => x.id),
          )
          .execute();
      return r;
    });
    if (!opts.dryRun && (result.submissions || result.runs || result.reviewPairs)) {
      await appendAudit(db, {
        actor,
        action: 'purge',
        purpose,
        policyId: doc.id,
        policyVersion: doc.version,
        policyRule: 'retention',
        decision: 'allowed',
        status: 0,
        reason:
          `past retention (encodings ${doc.retention.encodings}, linkage ${doc.retention.linkage}): deleted ` +
          `${result.submissions} submissions, ${result.encodings} encodings, ${result.runs} runs` +
          (result.reviewPairs ? `, ${result.reviewPairs} clerical-review pairs` : ''),
        counts: {
          submissions: result.submissions,
          encodings: result.encodings,
          runs: result.runs,
          ...(result.reviewPairs ? { reviewPairs: result.reviewPairs } : {}),
        },
        releaseDigest: null,
      });
    }
    out.push(result);
  }
  return out;
}

/**
 * Delete chunked uploads abandoned before commit (idle a day; see uploads/store.ts) with everything
 * they staged. Audited when anything was deleted; with dryRun only counted.
 */
export async function purgeUploads(db: Kysely<Database>, actor: string, opts: { now?: Date; dryRun?: boolean } = {}) {
  const r = await purgeAbandonedUploads(db, opts);
  if (!opts.dryRun && r.uploads) {
    await appendAudit(db, {
      actor,
      action: 'purge',
      purpose: null,
      policyId: null,
      policyVersion: null,
      policyRule: 'upload-lifetime',
      decision: 'allowed',
      status: 0,
      reason: `uploads abandoned before commit: deleted ${r.uploads} with ${r.stagedRecords} staged records`,
      counts: { uploads: r.uploads, stagedRecords: r.stagedRecords },
      releaseDigest: null,
    });
  }
  return r;
}
