import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { AuditCheckpointTable, Database } from '../db/schema.js';
import { signCheckpoint, verifyCheckpoint, type SignedCheckpoint } from '../trust/checkpoint.js';
import type { BrokerKeyring } from '../trust/keys.js';

/**
 * Signed checkpoints over the audit chain. A checkpoint is the broker's Ed25519 signature over the
 * hash of row `seq`; since every row's hash covers all rows before it, one signature vouches for
 * the whole history up to `seq`, and anyone holding only the public key can check it offline.
 * Checkpoints are written every CHECKPOINT_EVERY rows as rows are appended, and on demand (CLI,
 * and before every export, so an export always ends on a signed row).
 */

export const CHECKPOINT_EVERY = 100;

interface AutoCheckpoints {
  keys: BrokerKeyring;
  every: number;
}

/**
 * Which databases sign checkpoints as rows are appended, and with which key. Kept beside the database
 * handle rather than passed to appendAudit, so every caller of appendAudit (the request hook, the CLI)
 * keeps its signature; the audit routes switch it on for the broker's database when they register.
 */
const autoCheckpoints = new WeakMap<Kysely<Database>, AutoCheckpoints>();

export function enableAutoCheckpoints(db: Kysely<Database>, keys: BrokerKeyring, every = CHECKPOINT_EVERY): void {
  if (!Number.isInteger(every) || every < 1) throw new Error('checkpoint interval must be a whole number ≥ 1');
  autoCheckpoints.set(db, { keys, every });
}

export function rowToCheckpoint(r: Selectable<AuditCheckpointTable>): SignedCheckpoint {
  return { seq: r.seq, hash: r.hash, at: r.at, brokerKeyId: r.broker_key_id, signature: r.signature };
}

async function insertCheckpoint(trx: Transaction<Database>, cp: SignedCheckpoint): Promise<void> {
  await trx
    .insertInto('audit_checkpoint')
    .values({ seq: cp.seq, hash: cp.hash, at: cp.at, broker_key_id: cp.brokerKeyId, signature: cp.signature })
    .execute();
}

/**
 * Called by appendAudit inside its transaction, with the audit_log lock held, after inserting row
 * `head`: signs a checkpoint once `every` rows have been appended since the last one. Counting from
 * the last checkpoint (not seq % every) catches up after rows appended where signing was off (CLI).
 */
export async function autoCheckpoint(
  db: Kysely<Database>,
  trx: Transaction<Database>,
  head: { seq: number; hash: string },
): Promise<SignedCheckpoint | null> {
  const auto = autoCheckpoints.get(db);
  if (!auto) return null;
  const last = await trx
    .selectFrom('audit_checkpoint')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .executeTakeFirst();
  if (head.seq - Number(last?.seq ?? 0) < auto.every) return null;
  const cp = signCheckpoint(auto.keys, head);
  await insertCheckpoint(trx, cp);
  return cp;
}

/**
 * Sign the current head of the chain now (or return the checkpoint already on it). Returns null when
 * the trail is empty. Takes the same lock as appendAudit, so the head cannot move while it signs.
 */
export async function checkpointHead(
  db: Kysely<Database>,
  keys: BrokerKeyring,
  at = new Date(),
): Promise<SignedCheckpoint | null> {
  return (await signHeadUnlessSigned(db, keys, at))?.checkpoint ?? null;
}

/**
 * The periodic checkpoint (a timer in `serve`): signs the head only when rows were appended since the
 * last checkpoint, and says whether it wrote one. The table lock is self-conflicting, so brokers sharing
 * one database take turns: the second finds the head already signed and writes nothing.
 */
export async function checkpointIfGrown(
  db: Kysely<Database>,
  keys: BrokerKeyring,
  at = new Date(),
): Promise<{ checkpoint: SignedCheckpoint; written: boolean } | null> {
  return signHeadUnlessSigned(db, keys, at);
}

async function signHeadUnlessSigned(
  db: Kysely<Database>,
  keys: BrokerKeyring,
  at: Date,
): Promise<{ checkpoint: SignedCheckpoint; written: boolean } | null> {
  return db.transaction().execute(async (trx) => {
    await sql`lock table audit_log in share row exclusive mode`.execute(trx);
    const head = await trx
      .selectFrom('audit_log')
      .select(['seq', 'hash'])
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!head) return null;
    const existing = await trx
      .selectFrom('audit_checkpoint')
      .selectAll()
      .where('seq', '=', head.seq)
      .executeTakeFirst();
    if (existing) return { checkpoint: rowToCheckpoint(existing), written: false };
    const cp = signCheckpoint(keys, head, at);
    await insertCheckpoint(trx, cp);
    return { checkpoint: cp, written: true };
  });
}

/** Stored checkpoints in seq order, a page at a time. */
export async function listCheckpoints(
  db: Kysely<Database>,
  opts: { afterSeq?: number; limit?: number } = {},
): Promise<SignedCheckpoint[]> {
  const rows = await db
    .selectFrom('audit_checkpoint')
    .selectAll()
    .where('seq', '>', opts.afterSeq ?? 0)
    .orderBy('seq')
    .limit(opts.limit ?? 1000)
    .execute();
  return rows.map(rowToCheckpoint);
}

/** The checkpoint at exactly `seq`, if one was signed there. */
export async function checkpointAt(db: Kysely<Database>, seq: number): Promise<SignedCheckpoint | null> {
  const r = await db.selectFrom('audit_checkpoint').selectAll().where('seq', '=', seq).executeTakeFirst();
  return r ? rowToCheckpoint(r) : null;
}

export type CheckpointProblem = { seq: number; problem: string };

/**
 * Check every stored checkpoint against the broker's public key and against the chain row it names.
 * Returns the number checked, the highest signed seq, and the first problem found (in seq order).
 */
export async function verifyStoredCheckpoints(
  db: Kysely<Database>,
  signingPublicKey: Uint8Array | string,
): Promise<{ checked: number; lastSeq: number; broken: CheckpointProblem | null }> {
  let checked = 0;
  let lastSeq = 0;
  for (;;) {
    const page = await listCheckpoints(db, { afterSeq: lastSeq, limit: 1000 });
    for (const cp of page) {
      const sig = await verifyCheckpoint(cp, signingPublicKey);
      if (!sig.ok) return { checked, lastSeq, broken: { seq: cp.seq, problem: `checkpoint signature: ${sig.reason}` } };
      const row = await db.selectFrom('audit_log').select(['hash']).where('seq', '=', cp.seq).executeTakeFirst();
      if (!row)
        return {
          checked,
          lastSeq,
          broken: { seq: cp.seq, problem: 'checkpoint names a row that is not in the audit log' },
        };
      if (row.hash !== cp.hash)
        return {
          checked,
          lastSeq,
          broken: {
            seq: cp.seq,
            problem: "the row's hash is not the one the checkpoint signed: the chain was rewritten",
          },
        };
      checked++;
      lastSeq = cp.seq;
    }
    if (page.length < 1000) return { checked, lastSeq, broken: null };
  }
}
