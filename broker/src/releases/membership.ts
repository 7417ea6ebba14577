import type { Kysely } from 'kysely';
import { ProtocolError } from '@blindlink/protocol';
import type { Database } from '../db/schema.js';
import { latestCompletedRun } from '../linkage/runs.js';

/**
 * Membership release: for each row of the requester's submission in the latest run, whether that
 * person is known to the named agency. Only the requester's own row tokens and a boolean leave.
 */
export async function membershipAnswers(db: Kysely<Database>, purpose: string, requester: string, of: string) {
  const run = await latestCompletedRun(db, purpose);
  const subIds = run.submission_ids;
  const subs = await db.selectFrom('submission').select(['id', 'agency']).where('id', 'in', subIds.length ? subIds : ['00000000-0000-0000-0000-000000000000']).execute();
  const mine = subs.find((s) => s.agency === requester);
  const theirs = subs.find((s) => s.agency === of);
  if (!mine) throw new ProtocolError('run-outdated', `the latest linkage run for ${purpose} holds no submission from ${requester}; submit and start a run`);
  if (!theirs) throw new ProtocolError('run-outdated', `the latest linkage run for ${purpose} holds no submission from ${of}`);
  const newer = await db
    .selectFrom('submission')
    .select('id')
    .where('purpose', '=', purpose)
    .where('agency', '=', requester)
    .where('created_at', '>', run.started_at)
    .executeTakeFirst();
  if (newer) throw new ProtocolError('run-outdated', `submission ${newer.id} is newer than the latest linkage run; start a run before asking`);

  const tokens = await db.selectFrom('encoding').select('row_token').where('submission_id', '=', mine.id).orderBy('row_token').execute();
  const asLeft = db
    .selectFrom('run_match')
    .select('left_token as token')
    .where('run_id', '=', run.id)
    .where('left_submission', '=', mine.id)
    .where('right_submission', '=', theirs.id);
  const asRight = db
    .selectFrom('run_match')
    .select('right_token as token')
    .where('run_id', '=', run.id)
    .where('right_submission', '=', mine.id)
    .where('left_submission', '=', theirs.id);
  const known = new Set((await asLeft.union(asRight).execute()).map((r) => r.token));
  return { runId: run.id, answers: tokens.map((t) => ({ token: t.row_token, known: known.has(t.row_token) })) };
}
