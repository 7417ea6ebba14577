import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * The subject ledger (table release_subject): which entities each allowed release was about, by keyed
 * pseudonym (subjects.ts), under the audit entry that recorded the release. Written in that entry's
 * transaction (services/audit-row.ts), so a release is in the ledger exactly when it is in the trail.
 */

const BATCH = 5000;

export async function storeReleaseSubjects(
  trx: Kysely<Database>,
  auditSeq: number,
  runId: string,
  subjects: readonly string[],
): Promise<void> {
  for (let i = 0; i < subjects.length; i += BATCH)
    await trx
      .insertInto('release_subject')
      .values(subjects.slice(i, i + BATCH).map((subject) => ({ audit_seq: auditSeq, run_id: runId, subject })))
      .execute();
}

/**
 * From when the ledger holds every release about anyone: the latest time any form began to be
 * recorded (release_subject_coverage, migration 020). Releases before it may be missing.
 */
export async function ledgerCompleteSince(db: Kysely<Database>): Promise<Date> {
  const { since } = await db
    .selectFrom('release_subject_coverage')
    .select((eb) => eb.fn.max('recorded_since').as('since'))
    .executeTakeFirstOrThrow();
  if (!since) throw new Error('release_subject_coverage is empty: migration 020 did not run');
  return new Date(since);
}

/** Ledger rows naming any of `subjects`, with their audit entries (oldest first). */
export async function releasesAbout(db: Kysely<Database>, subjects: readonly string[]) {
  if (subjects.length === 0) return [];
  return db
    .selectFrom('release_subject')
    .innerJoin('audit_log', 'audit_log.seq', 'release_subject.audit_seq')
    .select([
      'release_subject.audit_seq',
      'release_subject.run_id',
      'release_subject.subject',
      'audit_log.at',
      'audit_log.actor',
      'audit_log.action',
      'audit_log.policy_id',
      'audit_log.policy_version',
      'audit_log.policy_rule',
    ])
    .where('release_subject.subject', 'in', [...subjects])
    .orderBy('release_subject.audit_seq')
    .execute();
}

/**
 * Where one person of the latest run was in every completed run still held: the entity in each run
 * holding any of their records (by record key: the same encodings from the same source), or carrying
 * their stable entity id. One row per (run, entity), runs oldest first.
 */
export async function personAcrossRuns(
  db: Kysely<Database>,
  purpose: string,
  latest: { runId: string; entityId: string },
) {
  const keys = (
    await db
      .selectFrom('run_record')
      .select('record_key')
      .where('run_id', '=', latest.runId)
      .where('entity_id', '=', latest.entityId)
      .execute()
  ).map((r) => r.record_key);
  const runs = await db
    .selectFrom('run')
    .select(['id', 'started_at', 'finished_at', 'mode'])
    .where('purpose', '=', purpose)
    .where('status', '=', 'completed')
    .orderBy('started_at')
    .execute();
  const out: { run: (typeof runs)[number]; entityId: string }[] = [];
  for (const run of runs) {
    const rows = await db
      .selectFrom('run_record')
      .select('entity_id')
      .distinct()
      .where('run_id', '=', run.id)
      .where((eb) => eb.or([eb('record_key', 'in', keys), eb('entity_id', '=', latest.entityId)]))
      .execute();
    for (const r of rows) out.push({ run, entityId: r.entity_id });
  }
  return out;
}
