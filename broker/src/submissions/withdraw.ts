import type { Kysely } from 'kysely';
import { canonicalJson, type EncodedHeader, ProtocolError } from '@blindlink/protocol';
import type { Database } from '../db/schema.js';
import type { BrokerKeyring } from '../trust/keys.js';
import { currentSubmission } from './current.js';
import { lockPurposeSubmissions, requireKeyCheck } from './key-check.js';
import { sealEncoding } from './payload.js';
import type { DecodedSubmission } from './validate.js';

const BATCH = 5000;

/** Unknown tokens named in an error: enough to find them, not a wall of text. */
const NAMED = 10;

const named = (tokens: string[]) => `${tokens.slice(0, NAMED).join(', ')}${tokens.length > NAMED ? ', …' : ''}`;

/**
 * Rows taken out of an agency's current submission, and corrected rows put in their place: in one
 * transaction (all of it, or nothing when any token is not a row of it), and the submission made
 * current anew, so no release answers from a run that still holds the old rows and the next run links
 * the new. Its id stays, so that run continues the previous one and everyone else keeps their ids.
 * Row tokens are random and carry no identity: naming unknown ones is safe.
 */
export async function amendSubmission(
  db: Kysely<Database>,
  keys: BrokerKeyring,
  args: {
    agency: string;
    purpose: string;
    tokens: readonly string[];
    add?: { header: EncodedHeader; decoded: DecodedSubmission };
  },
): Promise<{ submissionId: string; withdrawn: number; added: number; recordCount: number }> {
  const tokens = [...new Set(args.tokens)];
  const added = args.add?.decoded.tokens ?? [];
  return db.transaction().execute(async (trx) => {
    // Serialised with submissions to the purpose: the current submission cannot change underneath.
    await lockPurposeSubmissions(trx, args.purpose);
    const cur = await currentSubmission(trx, args.agency, args.purpose);
    if (!cur) throw new ProtocolError('no-submission', `${args.agency} has no submission for ${args.purpose} to amend`);
    const sub = await trx.selectFrom('submission').selectAll().where('id', '=', cur.id).executeTakeFirstOrThrow();
    if (args.add) sameEncoding(args.add.header, sub);
    const present = async (list: readonly string[]) => {
      const found = new Set<string>();
      for (let i = 0; i < list.length; i += BATCH)
        for (const r of await trx
          .selectFrom('encoding')
          .select('row_token')
          .where('submission_id', '=', sub.id)
          .where('row_token', 'in', list.slice(i, i + BATCH))
          .execute())
          found.add(r.row_token);
      return found;
    };
    const found = await present(tokens);
    const unknown = tokens.filter((t) => !found.has(t));
    if (unknown.length)
      throw new ProtocolError(
        'unknown-row-token',
        `${unknown.length} of the tokens are not rows of ${args.agency}'s current submission ${sub.id} for ` +
          `${args.purpose}: ${named(unknown)}; nothing was changed`,
        { tokens: unknown.slice(0, NAMED), unknown: unknown.length },
      );
    const clashing = [...(await present(added))].filter((t) => !found.has(t));
    if (clashing.length)
      throw new ProtocolError(
        'duplicate-row-token',
        `${clashing.length} corrected rows carry the token of a row the submission keeps: ${named(clashing)}`,
      );
    const recordCount = sub.record_count - tokens.length + added.length;
    if (recordCount === 0)
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
    const d = args.add?.decoded;
    for (let i = 0; d && i < added.length; i += BATCH)
      await trx
        .insertInto('encoding')
        .values(
          added.slice(i, i + BATCH).map((token, k) => ({
            submission_id: sub.id,
            row_token: token,
            field_mask: d.fieldMasks[i + k]!,
            payload: sealEncoding(keys, sub.id, token, {
              clk: d.clks[i + k]!,
              fields: d.fields[i + k]!,
              blocks: d.blocks[i + k]!,
              attributes: d.attributes[i + k]!,
            }),
          })),
        )
        .execute();
    await trx
      .updateTable('submission')
      .set({ record_count: recordCount, current_at: new Date() })
      .where('id', '=', sub.id)
      .execute();
    return { submissionId: sub.id, withdrawn: tokens.length, added: added.length, recordCount };
  });
}

/** Corrected rows must be comparable with the rest: same schema, secret, CLK length and field filters. */
function sameEncoding(
  header: EncodedHeader,
  sub: { schema_fingerprint: string; key_check: string | null; clk_bits: number; header: unknown },
): void {
  const stored = (sub.header ?? {}) as Partial<EncodedHeader>;
  const differs =
    header.schema.fingerprint !== sub.schema_fingerprint
      ? 'encoding schema'
      : sub.key_check && requireKeyCheck(header) !== sub.key_check
        ? 'linkage secret'
        : header.clkBits !== sub.clk_bits ||
            canonicalJson(header.fieldFilters ?? []) !== canonicalJson(stored.fieldFilters ?? []) ||
            canonicalJson(header.blockingKeys ?? []) !== canonicalJson(stored.blockingKeys ?? [])
          ? 'filter layout'
          : null;
  if (differs)
    throw new ProtocolError(
      differs === 'linkage secret' ? 'linkage-secret-mismatch' : 'invalid-encoding',
      `the corrected rows were encoded with another ${differs} than the submission they correct; ` +
        'encode them as the submission was encoded',
      { field: 'header' },
    );
}
