import type { Kysely } from 'kysely';
import { ProtocolError } from '@blindlink/protocol';
import type { Database } from '../db/schema.js';
import { latestCompletedRun } from '../runs/runs.js';

/**
 * What every release form starts from: the latest completed run for a purpose and the requester's
 * own submission in it. Refuses when the requester has submitted since, so answers never describe
 * rows the requester no longer holds.
 */
export async function runForRequester(db: Kysely<Database>, purpose: string, requester: string) {
  const run = await latestCompletedRun(db, purpose);
  const subIds = run.submission_ids;
  const subs = await db
    .selectFrom('submission')
    .select(['id', 'agency'])
    .where('id', 'in', subIds.length ? subIds : ['00000000-0000-0000-0000-000000000000'])
    .execute();
  const mine = subs.find((s) => s.agency === requester);
  if (!mine)
    throw new ProtocolError(
      'run-outdated',
      `the latest linkage run for ${purpose} holds no submission from ${requester}; submit and start a run`,
    );
  const newer = await db
    .selectFrom('submission')
    .select('id')
    .where('purpose', '=', purpose)
    .where('agency', '=', requester)
    // Became current since (stored, or an earlier file re-submitted).
    .where('current_at', '>', run.started_at)
    .executeTakeFirst();
  if (newer)
    throw new ProtocolError(
      'run-outdated',
      `submission ${newer.id} became current after the latest linkage run; start a run before asking`,
    );
  return { run, mine, subs };
}
