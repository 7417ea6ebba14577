/**
 * Clerical review's storage (table review_pair): the pairs each agency was sent, its data officer's
 * verdicts, and the verdicts combined per pair for the next run. Both agencies of a pair may label it;
 * when their verdicts disagree the pair is a conflict, recorded and applied neither way, never guessed.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { ReviewLabel } from '../linkage/review-labels.js';

export interface ExportedPair {
  reviewId: string;
  keyA: string;
  keyB: string;
  /** The pair's field similarities as the model compared them (null: a Dice run): for the next fit. */
  sims: Record<string, number | null> | null;
}

/** Remember what was sent, so labels can name it; a pair sent again keeps its id and its verdict. */
export async function recordExport(
  db: Kysely<Database>,
  purpose: string,
  agency: string,
  runId: string,
  pairs: readonly ExportedPair[],
): Promise<void> {
  if (pairs.length === 0) return;
  const now = new Date();
  await db
    .insertInto('review_pair')
    .values(
      pairs.map((p) => ({
        purpose,
        agency,
        review_id: p.reviewId,
        key_a: p.keyA,
        key_b: p.keyB,
        run_id: runId,
        exported_at: now,
        sims: p.sims && JSON.stringify(p.sims),
      })),
    )
    .onConflict((c) =>
      c
        .columns(['purpose', 'agency', 'review_id'])
        .doUpdateSet((eb) => ({ run_id: runId, exported_at: now, sims: eb.ref('excluded.sims') })),
    )
    .execute();
}

/** The review ids among `ids` that were never sent to this agency for this purpose. */
export async function unknownReviewIds(
  db: Kysely<Database>,
  purpose: string,
  agency: string,
  ids: readonly string[],
): Promise<string[]> {
  const found = await db
    .selectFrom('review_pair')
    .select('review_id')
    .where('purpose', '=', purpose)
    .where('agency', '=', agency)
    .where('review_id', 'in', ids)
    .execute();
  const known = new Set(found.map((r) => r.review_id));
  return ids.filter((id) => !known.has(id));
}

/** Store an agency's verdicts (in one statement per verdict, inside the caller's transaction or not). */
export async function storeVerdicts(
  db: Kysely<Database>,
  purpose: string,
  agency: string,
  labels: readonly { reviewId: string; verdict: 'match' | 'non-match' | 'unsure' }[],
): Promise<void> {
  const now = new Date();
  await db.transaction().execute(async (trx) => {
    for (const verdict of ['match', 'non-match', 'unsure'] as const) {
      const ids = labels.filter((l) => l.verdict === verdict).map((l) => l.reviewId);
      if (ids.length === 0) continue;
      await trx
        .updateTable('review_pair')
        .set({ verdict, labelled_at: now })
        .where('purpose', '=', purpose)
        .where('agency', '=', agency)
        .where('review_id', 'in', ids)
        .execute();
    }
  });
}

/** Every labelled pair of a purpose, combined across the agencies that labelled it ('unsure' counts for neither). */
export async function combinedLabels(
  db: Kysely<Database>,
  purpose: string,
): Promise<{ labels: ReviewLabel[]; conflicts: number }> {
  const rows = await db
    .selectFrom('review_pair')
    .select(['key_a', 'key_b', 'verdict', 'sims'])
    .where('purpose', '=', purpose)
    .where('verdict', 'in', ['match', 'non-match'])
    .execute();
  type Pair = { a: string; b: string; verdicts: Set<string>; sims: Record<string, number | null> | null };
  const byPair = new Map<string, Pair>();
  for (const r of rows) {
    const k = `${r.key_a}\n${r.key_b}`;
    const e: Pair = byPair.get(k) ?? { a: r.key_a, b: r.key_b, verdicts: new Set<string>(), sims: null };
    e.verdicts.add(r.verdict!);
    e.sims ??= r.sims;
    byPair.set(k, e);
  }
  const labels: ReviewLabel[] = [];
  let conflicts = 0;
  for (const e of byPair.values()) {
    if (e.verdicts.size > 1) conflicts++;
    else labels.push({ a: e.a, b: e.b, match: e.verdicts.has('match'), ...(e.sims ? { sims: e.sims } : {}) });
  }
  return { labels, conflicts };
}
