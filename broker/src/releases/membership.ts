import type { Kysely } from 'kysely';
import { ProtocolError } from '@blindlink/protocol';
import type { Database } from '../db/schema.js';
import { runForRequester } from './run-view.js';

/**
 * Membership release: for each row of the requester's submission in the latest run, whether that
 * person's entity also holds a record of the named agency. Only the requester's own row tokens and a
 * boolean leave.
 */
export async function membershipAnswers(
  db: Kysely<Database>,
  purpose: string,
  requester: string,
  of: string,
  /** Entities left out for an opt-out, with every record linked to them (loaded from the run). */
  optedOut: (runId: string) => Promise<Set<string>>,
) {
  const { run, mine, subs } = await runForRequester(db, purpose, requester);
  const theirs = subs.find((s) => s.agency === of);
  if (!theirs)
    throw new ProtocolError('run-outdated', `the latest linkage run for ${purpose} holds no submission from ${of}`);
  const excluded = await optedOut(run.id);
  const all = await db
    .selectFrom('run_record')
    .select(['row_token', 'entity_id'])
    .where('run_id', '=', run.id)
    .where('submission_id', '=', mine.id)
    .orderBy('row_token')
    .execute();
  const theirEntities = new Set(
    (
      await db
        .selectFrom('run_record')
        .select('entity_id')
        .where('run_id', '=', run.id)
        .where('submission_id', '=', theirs.id)
        .execute()
    )
      .map((r) => r.entity_id)
      .filter((e) => !excluded.has(e)),
  );
  const rows = all.filter((r) => !excluded.has(r.entity_id));
  return {
    runId: run.id,
    excluded: all.length - rows.length,
    answers: rows.map((r) => ({ token: r.row_token, known: theirEntities.has(r.entity_id) })),
    /** The entity of each answered row: whom the answer was about (never released). */
    entities: rows.map((r) => r.entity_id),
  };
}
