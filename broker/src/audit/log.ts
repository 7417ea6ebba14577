import { sql, type Kysely, type Selectable } from 'kysely';
import type { AuditTable, Database } from '../db/schema.js';
import { autoCheckpoint } from './checkpoints.js';
import {
  chain,
  ChainVerifier,
  GENESIS_HASH,
  type AuditFields,
  type ChainBreak,
  type ChainedAuditEntry,
} from './chain.js';

export type AuditInput = Omit<AuditFields, 'seq' | 'at'> & { at?: Date };

/**
 * Append one entry. The table lock makes appends strictly sequential, so each row's prev_hash is
 * the hash of the row before it even when many requests finish at once. Where automatic checkpoints
 * are on for `db` (enableAutoCheckpoints), every CHECKPOINT_EVERY rows are signed in the same step.
 */
/** Audit text never holds NUL (PostgreSQL refuses it): a request that failed must still be recorded. */
const stripNul = (v: string) => v.replaceAll('\u0000', '\uFFFD');

export async function appendAudit(
  db: Kysely<Database>,
  input: AuditInput,
  /** Rows that belong to this entry (a release's subjects), written in its transaction. */
  within?: (trx: Kysely<Database>, entry: ChainedAuditEntry) => Promise<void>,
): Promise<ChainedAuditEntry> {
  return db.transaction().execute(async (trx) => {
    await sql`lock table audit_log in share row exclusive mode`.execute(trx);
    const last = await trx
      .selectFrom('audit_log')
      .select(['seq', 'hash'])
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    const { at, ...given } = input;
    const rest = {
      ...given,
      actor: stripNul(given.actor),
      action: stripNul(given.action),
      reason: stripNul(given.reason),
    };
    const fields: AuditFields = { ...rest, seq: (last?.seq ?? 0) + 1, at: (at ?? new Date()).toISOString() };
    const entry = chain(fields, last?.hash ?? GENESIS_HASH);
    await trx
      .insertInto('audit_log')
      .values({
        seq: entry.seq,
        at: new Date(entry.at),
        actor: entry.actor,
        action: entry.action,
        purpose: entry.purpose,
        policy_id: entry.policyId,
        policy_version: entry.policyVersion,
        policy_rule: entry.policyRule,
        decision: entry.decision,
        status: entry.status,
        reason: entry.reason,
        counts: JSON.stringify(entry.counts),
        release_digest: entry.releaseDigest,
        prev_hash: entry.prevHash,
        hash: entry.hash,
      })
      .execute();
    if (within) await within(trx, entry);
    // Same transaction: a checkpoint never names a row that was rolled back.
    await autoCheckpoint(db, trx, entry);
    return entry;
  });
}

export function rowToEntry(r: Selectable<AuditTable>): ChainedAuditEntry {
  return {
    seq: r.seq,
    at: r.at.toISOString(),
    actor: r.actor,
    action: r.action,
    purpose: r.purpose,
    policyId: r.policy_id,
    policyVersion: r.policy_version,
    policyRule: r.policy_rule,
    decision: r.decision,
    status: r.status,
    reason: r.reason,
    counts: r.counts,
    releaseDigest: r.release_digest,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** Recompute the whole chain from the database, a page at a time; returns the first break. */
export async function verifyAuditChain(db: Kysely<Database>): Promise<{ rows: number; broken: ChainBreak | null }> {
  const verifier = new ChainVerifier();
  const page = 5000;
  let after = 0;
  for (;;) {
    const rows = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(page)
      .execute();
    for (const r of rows) {
      const broken = verifier.next(rowToEntry(r));
      if (broken) return { rows: verifier.checked, broken };
      after = r.seq;
    }
    if (rows.length < page) return { rows: verifier.checked, broken: null };
  }
}
