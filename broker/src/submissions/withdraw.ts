import type { Kysely } from 'kysely';
import { ProtocolError } from '@blindlink/protocol';
import type { Database } from '../db/schema.js';
import { currentSubmission } from './current.js';
import { lockPurposeSubmissions } from './key-check.js';

const BATCH = 5000;

/** Unknown tokens named in an error: enough to find them, not a wall of text. */
const NAMED = 10;

/**
 * Rows taken out of an agency's current submission: deleted from the stored encodings in one
 * transaction (all of them, or none when any token is not in it), and the submission made current
 * anew, so no release answers from a run that still holds them and the next run links without them.
 * Its id stays, so that run continues the previous one and everyone else keeps their ids. Row tokens
 * are random and carry no identity: naming unknown ones is safe.
 */
export async function withdrawRows(
  db: Kysely<Database>,
  args: { agency: string; purpose: string; tokens: readonly string[] },
): Promise<{ submissionId: string; withdrawn: number; recordCount: number }> {
  const tokens = [...new Set(args.tokens)];
  return db.transaction().execute(async (trx) => {
    // Serialised with submissions to the purpose: the current submission cannot change underneath.
    await lockPurposeSubmissions(trx, args.purpose);
    const sub = await currentSubmission(trx, args.agency, args.purpose);
    if (!sub)
      throw new ProtocolError('no-submission', `${args.agency} has no submission for ${args.purpose} to withdraw from`);
    const found = new Set<string>();
    for (let i = 0; i < tokens.length; i += BATCH) {
      const rows = await trx
        .selectFrom('encoding')
        .select('row_token')
        .where('submission_id', '=', sub.id)
        .where('row_token', 'in', tokens.slice(i, i + BATCH))
        .execute();
      for (const r of rows) found.add(r.row_token);
    }
    const unknown = tokens.filter((t) => !found.has(t));
    if (unknown.length)
      throw new ProtocolError(
        'unknown-row-token',
        `${unknown.length} of the tokens are not rows of ${args.agency}'s current submission ${sub.id} for ` +
          `${args.purpose}: ${unknown.slice(0, NAMED).join(', ')}${unknown.length > NAMED ? ', …' : ''}; nothing was withdrawn`,
        { tokens: unknown.slice(0, NAMED), unknown: unknown.length },
      );
    const { record_count } = await trx
      .selectFrom('submission')
      .select('record_count')
      .where('id', '=', sub.id)
      .executeTakeFirstOrThrow();
    if (tokens.length >= record_count)
      throw new ProtocolError(
        'bad-request',
        `that would withdraw every row of submission ${sub.id}; submit a new file instead`,
      );
    for (let i = 0; i < tokens.length; i += BATCH)
      await trx
        .deleteFrom('encoding')
        .where('submission_id', '=', sub.id)
        .where('row_token', 'in', tokens.slice(i, i + BATCH))
        .execute();
    const recordCount = record_count - tokens.length;
    await trx
      .updateTable('submission')
      .set({ record_count: recordCount, current_at: new Date() })
      .where('id', '=', sub.id)
      .execute();
    return { submissionId: sub.id, withdrawn: tokens.length, recordCount };
  });
}
