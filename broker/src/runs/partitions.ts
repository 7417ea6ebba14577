/**
 * A full run's partitions in the database (table run_partition): planned by the run's first job for
 * its attempt, each claimed and computed by whichever worker takes its job, its result stored and
 * counted in one transaction under the run row's lock, so a partition computed twice (its worker was
 * presumed dead but was only slow) is counted once, and exactly one job sees the last one done and
 * queues the run's finish. A later attempt's plan replaces an earlier one; a job of a replaced plan
 * finds no row of its attempt and does nothing.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Partition, PartitionResult } from '../linkage/engine.js';
import { decodeTyped, encodeTyped } from './state.js';

const MAGIC = 0x54504c42; // "BLPT"

/** Pairs, record-level Dice and field similarities as [magic, pairs, fields] u32, pairs u32 × 2n, f32 × n(1 + F). */
export function encodePartition(r: PartitionResult): { result: Buffer; blocking: string } {
  const n = r.block.pairs.length / 2;
  const F = n === 0 ? 0 : r.similarities.sims.length / n;
  const out = Buffer.alloc(12 + 4 * (2 * n + n + n * F));
  const le = new DataView(out.buffer, out.byteOffset, out.byteLength);
  le.setUint32(0, MAGIC, true);
  le.setUint32(4, n, true);
  le.setUint32(8, F, true);
  let at = 12;
  for (const v of r.block.pairs) {
    le.setUint32(at, v, true);
    at += 4;
  }
  for (const column of [r.similarities.clkDice, r.similarities.sims])
    for (const v of column) {
      le.setFloat32(at, v, true);
      at += 4;
    }
  return { result: out, blocking: encodeTyped({ stats: r.stats, plan: r.plan, seconds: r.seconds }) };
}

export function decodePartition(
  part: Partition,
  fields: number,
  result: Uint8Array,
  blocking: string,
): PartitionResult {
  const le = new DataView(result.buffer, result.byteOffset, result.byteLength);
  if (result.byteLength < 12 || le.getUint32(0, true) !== MAGIC) throw new Error('stored partition: not a partition');
  const n = le.getUint32(4, true);
  const F = le.getUint32(8, true);
  if ((n > 0 && F !== fields) || result.byteLength !== 12 + 4 * (3 * n + n * F))
    throw new Error(`stored partition: ${result.byteLength} bytes for ${n} pairs of ${F} fields`);
  const pairs = new Uint32Array(2 * n);
  const clkDice = new Float32Array(n);
  const sims = new Float32Array(n * fields);
  let at = 12;
  for (let k = 0; k < pairs.length; k++, at += 4) pairs[k] = le.getUint32(at, true);
  for (let k = 0; k < n; k++, at += 4) clkDice[k] = le.getFloat32(at, true);
  for (let k = 0; k < sims.length; k++, at += 4) sims[k] = le.getFloat32(at, true);
  const meta = decodeTyped(blocking) as Pick<PartitionResult, 'stats' | 'plan' | 'seconds'>;
  return { block: { i: part.i, j: part.j, pairs }, similarities: { clkDice, sims }, ...meta };
}

/** Replace the run's plan with `parts` for `attempt` (inside the transaction that queues their jobs). */
export async function planPartitionRows(
  trx: Transaction<Database>,
  runId: string,
  attempt: number,
  parts: Partition[],
): Promise<void> {
  await trx.deleteFrom('run_partition').where('run_id', '=', runId).execute();
  if (parts.length === 0) return;
  await trx
    .insertInto('run_partition')
    .values(
      parts.map((p, part) => ({
        run_id: runId,
        part,
        attempt,
        source_i: p.i,
        source_j: p.j,
        status: 'pending' as const,
        worker_id: null,
        heartbeat_at: null,
        result: null,
        blocking: null,
      })),
    )
    .execute();
}

/**
 * Take a partition up: running, this worker's, heartbeat now. Undefined when it is done already, its
 * plan was replaced, or its run is no longer running (failed, or stored).
 */
export async function claimPartition(
  db: Kysely<Database>,
  runId: string,
  attempt: number,
  part: number,
  workerId: string,
): Promise<Partition | undefined> {
  const row = await db
    .updateTable('run_partition')
    .set((eb) => ({ status: 'running', worker_id: workerId, heartbeat_at: new Date(), runs: eb('runs', '+', 1) }))
    .where('run_id', '=', runId)
    .where('part', '=', part)
    .where('attempt', '=', attempt)
    .where('status', '!=', 'done')
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('run')
          .select('id')
          .where('id', '=', runId)
          .where('attempt', '=', attempt)
          .where('status', '=', 'running'),
      ),
    )
    .returning(['source_i', 'source_j'])
    .executeTakeFirst();
  return row && { i: row.source_i, j: row.source_j };
}

/** A heartbeat for a partition under way: its row and its run's (the run is alive while its partitions are). */
export async function beatPartition(db: Kysely<Database>, runId: string, attempt: number, part: number) {
  await db
    .updateTable('run_partition')
    .set({ heartbeat_at: new Date() })
    .where('run_id', '=', runId)
    .where('part', '=', part)
    .where('attempt', '=', attempt)
    .where('status', '=', 'running')
    .execute();
  const r = await db
    .updateTable('run')
    .set({ heartbeat_at: new Date() })
    .where('id', '=', runId)
    .where('attempt', '=', attempt)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export type Completion = 'counted' | 'last' | 'duplicate' | 'superseded';

/**
 * Store a partition's result and count it, under the run row's lock: 'last' when it completed the
 * plan (then `onLast` runs in the same transaction: it queues the finish), 'duplicate' when another
 * job stored it first, 'superseded' when the run moved on (a newer plan, or it failed).
 */
export async function completePartition(
  db: Kysely<Database>,
  runId: string,
  attempt: number,
  part: number,
  stored: { result: Buffer; blocking: string; pairs: number },
  onLast: (trx: Transaction<Database>) => Promise<void>,
): Promise<Completion> {
  return db.transaction().execute(async (trx) => {
    const run = await trx
      .selectFrom('run')
      .select(['progress'])
      .where('id', '=', runId)
      .where('attempt', '=', attempt)
      .where('status', '=', 'running')
      .forUpdate()
      .executeTakeFirst();
    if (!run) return 'superseded';
    const r = await trx
      .updateTable('run_partition')
      .set({ status: 'done', result: stored.result, blocking: stored.blocking, heartbeat_at: new Date() })
      .where('run_id', '=', runId)
      .where('part', '=', part)
      .where('attempt', '=', attempt)
      .where('status', '!=', 'done')
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return 'duplicate';
    const counts = await trx
      .selectFrom('run_partition')
      .select((eb) => [
        eb.fn.countAll<string>().as('total'),
        eb.fn.count<string>('part').filterWhere('status', '=', 'done').as('done'),
      ])
      .where('run_id', '=', runId)
      .where('attempt', '=', attempt)
      .executeTakeFirstOrThrow();
    const done = Number(counts.done);
    const total = Number(counts.total);
    const before = (run.progress ?? {}) as Record<string, number>;
    const progress = {
      ...before,
      partitions: total,
      partitionsDone: done,
      candidatePairs: (before.candidatePairs ?? 0) + stored.pairs,
    };
    await trx
      .updateTable('run')
      .set({
        progress: JSON.stringify(progress),
        heartbeat_at: new Date(),
        ...(done === total ? { stage: 'scoring' } : {}),
      })
      .where('id', '=', runId)
      .execute();
    if (done < total) return 'counted';
    await onLast(trx);
    return 'last';
  });
}

/** Who computed a partition last, and how many jobs took it up (more than 1: a worker died mid-way). */
export interface PartitionWork {
  part: number;
  sources: [number, number];
  worker: string | null;
  runs: number;
  pairs: number;
}

/** Every partition of the run's plan for `attempt`, in plan order; throws unless each is done. */
export async function loadPartitions(
  db: Kysely<Database>,
  runId: string,
  attempt: number,
  fields: number,
): Promise<{ parts: PartitionResult[]; work: PartitionWork[] }> {
  const rows = await db
    .selectFrom('run_partition')
    .selectAll()
    .where('run_id', '=', runId)
    .where('attempt', '=', attempt)
    .orderBy('part')
    .execute();
  const parts = rows.map((r, k) => {
    if (r.part !== k || r.status !== 'done' || !r.result || !r.blocking)
      throw new Error(`run ${runId}: partition ${k} of attempt ${attempt} is not done`);
    return decodePartition({ i: r.source_i, j: r.source_j }, fields, new Uint8Array(r.result), r.blocking);
  });
  const work = rows.map(
    (r, k): PartitionWork => ({
      part: r.part,
      sources: [r.source_i, r.source_j],
      worker: r.worker_id,
      runs: r.runs,
      pairs: parts[k]!.block.pairs.length / 2,
    }),
  );
  return { parts, work };
}

/** Partitions of the run's current attempt not yet done (the sweep: is a run without a job waiting for them?). */
export async function partitionsLeft(db: Kysely<Database>, runId: string, attempt: number): Promise<number> {
  const r = await db
    .selectFrom('run_partition')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('run_id', '=', runId)
    .where('attempt', '=', attempt)
    .where('status', '!=', 'done')
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
