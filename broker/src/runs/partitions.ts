/**
 * A full run's units of work in the database (table run_partition, by phase): the partitions ('pairs')
 * and the sample, planned by the run's first job for its attempt; the fit ('fit', one row, written by
 * the fit job with the 'score' rows, one per partition). Each is claimed and computed by whichever
 * worker takes its job, its result stored and counted in one transaction under the run row's lock, so
 * a unit computed twice (its worker was presumed dead but was only slow) is counted once, and exactly
 * one job sees the last of a wave done and queues what follows (the fit after the partitions and the
 * sample, the finish after the scores). A later attempt's plan replaces an earlier one; a job of a
 * replaced plan finds no row of its attempt and does nothing.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, RunPhase } from '../db/schema.js';
import type { FittedScoring, Partition, PartitionResult, ScoredChunk, ScoringSample } from '../linkage/engine.js';
import { decodeTyped, encodeTyped } from './state.js';

const MAGIC = 0x54504c42; // "BLPT"
const CHUNK_MAGIC = 0x32534c42; // "BLS2": with evidence
const CHUNK_HEADER = 28;

/** The phases counted together: the fit waits for every partition and the sample, the finish for every score. */
const WAVE: Record<Exclude<RunPhase, 'fit'>, RunPhase[]> = {
  pairs: ['pairs', 'sample'],
  sample: ['pairs', 'sample'],
  score: ['score'],
};

/**
 * A weighed partition: [magic, kept, candidates, vetoed, i, j, evidence count] u32, pairs u32 × 2 kept,
 * weights f32 × kept, evidence f32 × (kept or 0).
 */
export function encodeChunk(c: ScoredChunk): Buffer {
  const n = c.weight.length;
  const e = c.evidence.length;
  const out = Buffer.alloc(CHUNK_HEADER + 12 * n + 4 * e);
  const le = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (const [k, v] of [CHUNK_MAGIC, n, c.candidates, c.vetoed, c.i, c.j, e].entries()) le.setUint32(4 * k, v, true);
  let at = CHUNK_HEADER;
  for (const v of c.pairs) {
    le.setUint32(at, v, true);
    at += 4;
  }
  for (const column of [c.weight, c.evidence])
    for (const v of column) {
      le.setFloat32(at, v, true);
      at += 4;
    }
  return out;
}

export function decodeChunk(bytes: Uint8Array): ScoredChunk {
  const le = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < CHUNK_HEADER || le.getUint32(0, true) !== CHUNK_MAGIC)
    throw new Error('stored score: not a score');
  const [n, candidates, vetoed, i, j, e] = [1, 2, 3, 4, 5, 6].map((k) => le.getUint32(4 * k, true)) as number[];
  if (bytes.byteLength !== CHUNK_HEADER + 12 * n! + 4 * e!)
    throw new Error(`stored score: ${bytes.byteLength} bytes for ${n} pairs`);
  const pairs = new Uint32Array(2 * n!);
  const weight = new Float32Array(n!);
  const evidence = new Float32Array(e!);
  let at = CHUNK_HEADER;
  for (let k = 0; k < pairs.length; k++, at += 4) pairs[k] = le.getUint32(at, true);
  for (let k = 0; k < n!; k++, at += 4) weight[k] = le.getFloat32(at, true);
  for (let k = 0; k < e!; k++, at += 4) evidence[k] = le.getFloat32(at, true);
  return { i: i!, j: j!, pairs, weight, candidates: candidates!, vetoed: vetoed!, evidence };
}

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
  // The sample reads every source (source -1).
  const rows = [
    ...parts.map((p, part) => ({ phase: 'pairs' as const, part, ...p })),
    { phase: 'sample' as const, part: 0, i: -1, j: -1 },
  ];
  await trx
    .insertInto('run_partition')
    .values(rows.map((p) => pendingUnit(runId, attempt, p.phase, p.part, p)))
    .execute();
}

/** A unit's row before any worker has taken it up. */
const pendingUnit = (
  runId: string,
  attempt: number,
  phase: RunPhase,
  part: number,
  sources: { i: number; j: number },
) => ({
  run_id: runId,
  phase,
  part,
  attempt,
  source_i: sources.i,
  source_j: sources.j,
  status: 'pending' as const,
  worker_id: null,
  heartbeat_at: null,
  result: null,
  blocking: null,
});

/**
 * Store the run's fit and plan the weighing of every partition, for `attempt` (inside the transaction
 * that queues their jobs). False when the fit is there already (a second fit job): nothing planned.
 */
export async function planScoreRows(
  trx: Transaction<Database>,
  runId: string,
  attempt: number,
  fit: FittedScoring,
  parts: Partition[],
): Promise<boolean> {
  const r = await trx
    .insertInto('run_partition')
    .values({
      run_id: runId,
      phase: 'fit',
      part: 0,
      attempt,
      source_i: -1,
      source_j: -1,
      status: 'done',
      worker_id: null,
      heartbeat_at: null,
      result: null,
      blocking: encodeTyped(fit),
    })
    .onConflict((oc) => oc.columns(['run_id', 'phase', 'part']).doNothing())
    .executeTakeFirst();
  if (Number(r.numInsertedOrUpdatedRows ?? 0n) === 0) return false;
  await trx
    .insertInto('run_partition')
    .values(parts.map((p, part) => pendingUnit(runId, attempt, 'score', part, p)))
    .execute();
  return true;
}

/** The run's fit for `attempt`, once the fit job stored it. */
export async function loadFit(db: Kysely<Database>, runId: string, attempt: number): Promise<FittedScoring | null> {
  const row = await db
    .selectFrom('run_partition')
    .select('blocking')
    .where('run_id', '=', runId)
    .where('phase', '=', 'fit')
    .where('attempt', '=', attempt)
    .executeTakeFirst();
  return row?.blocking ? (decodeTyped(row.blocking) as FittedScoring) : null;
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
  phase: RunPhase = 'pairs',
): Promise<Partition | undefined> {
  const row = await db
    .updateTable('run_partition')
    .set((eb) => ({ status: 'running', worker_id: workerId, heartbeat_at: new Date(), runs: eb('runs', '+', 1) }))
    .where('run_id', '=', runId)
    .where('phase', '=', phase)
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
export async function beatPartition(
  db: Kysely<Database>,
  runId: string,
  attempt: number,
  part: number,
  phase: RunPhase = 'pairs',
) {
  await db
    .updateTable('run_partition')
    .set({ heartbeat_at: new Date() })
    .where('run_id', '=', runId)
    .where('phase', '=', phase)
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
 * Store a unit's result and count it, under the run row's lock: 'last' when it completed its wave
 * (then `onLast` runs in the same transaction: it queues the fit, or the finish), 'duplicate' when
 * another job stored it first, 'superseded' when the run moved on (a newer plan, or it failed).
 * `pairs`: a partition's candidate pairs, or the candidates a score weighed (progress).
 */
export async function completePartition(
  db: Kysely<Database>,
  runId: string,
  attempt: number,
  part: number,
  stored: { result: Buffer; blocking: string | null; pairs: number },
  onLast: (trx: Transaction<Database>) => Promise<void>,
  phase: Exclude<RunPhase, 'fit'> = 'pairs',
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
      .where('phase', '=', phase)
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
        eb.fn.count<string>('part').filterWhere('phase', '=', 'pairs').as('parts'),
        eb.fn
          .count<string>('part')
          .filterWhere((w) => w.and([w('phase', '=', 'pairs'), w('status', '=', 'done')]))
          .as('partsDone'),
      ])
      .where('run_id', '=', runId)
      .where('attempt', '=', attempt)
      .where('phase', 'in', WAVE[phase])
      .executeTakeFirstOrThrow();
    const done = Number(counts.done);
    const total = Number(counts.total);
    const before = (run.progress ?? {}) as Record<string, number>;
    const progress =
      phase === 'score'
        ? { ...before, pairsScored: (before.pairsScored ?? 0) + stored.pairs }
        : {
            ...before,
            partitions: Number(counts.parts),
            partitionsDone: Number(counts.partsDone),
            candidatePairs: (before.candidatePairs ?? 0) + stored.pairs,
          };
    const next = phase === 'score' ? 'entities' : 'scoring';
    await trx
      .updateTable('run')
      .set({
        progress: JSON.stringify(progress),
        heartbeat_at: new Date(),
        ...(done === total ? { stage: next } : {}),
      })
      .where('id', '=', runId)
      .execute();
    if (done < total) return 'counted';
    await onLast(trx);
    return 'last';
  });
}

/** Who computed a unit last, and how many jobs took it up (more than 1: a worker died mid-way). */
export interface PartitionWork {
  part: number;
  sources: [number, number];
  worker: string | null;
  runs: number;
  /** A partition's candidate pairs; a score's pairs kept for the finish. */
  pairs: number;
}

const workOf = (r: { part: number; source_i: number; source_j: number; worker_id: string | null; runs: number }) => ({
  part: r.part,
  sources: [r.source_i, r.source_j] as [number, number],
  worker: r.worker_id,
  runs: r.runs,
});

/** The run's partitions for `attempt` (or only partition `only`), in plan order; throws unless each is done. */
export async function loadPartitions(
  db: Kysely<Database>,
  runId: string,
  attempt: number,
  fields: number,
  only?: number,
): Promise<{ parts: PartitionResult[]; work: PartitionWork[] }> {
  let q = db
    .selectFrom('run_partition')
    .selectAll()
    .where('run_id', '=', runId)
    .where('phase', '=', 'pairs')
    .where('attempt', '=', attempt);
  if (only !== undefined) q = q.where('part', '=', only);
  const rows = await q.orderBy('part').execute();
  if (only !== undefined && rows.length !== 1)
    throw new Error(`run ${runId}: no partition ${only} of attempt ${attempt}`);
  const parts = rows.map((r, k) => {
    if ((only === undefined && r.part !== k) || r.status !== 'done' || !r.result || !r.blocking)
      throw new Error(`run ${runId}: partition ${r.part} of attempt ${attempt} is not done`);
    return decodePartition({ i: r.source_i, j: r.source_j }, fields, new Uint8Array(r.result), r.blocking);
  });
  const work = rows.map((r, k): PartitionWork => ({ ...workOf(r), pairs: parts[k]!.block.pairs.length / 2 }));
  return { parts, work };
}

/** The partitions' blocking (stats, plan, seconds) and who computed them, without their pairs. */
export async function loadPartitionMeta(
  db: Kysely<Database>,
  runId: string,
  attempt: number,
): Promise<{ parts: Pick<PartitionResult, 'stats' | 'plan' | 'seconds'>[]; work: PartitionWork[] }> {
  const rows = await db
    .selectFrom('run_partition')
    .select(['part', 'source_i', 'source_j', 'worker_id', 'runs', 'status', 'blocking'])
    .select(sql<Uint8Array>`substring(result from 5 for 4)`.as('head'))
    .where('run_id', '=', runId)
    .where('phase', '=', 'pairs')
    .where('attempt', '=', attempt)
    .orderBy('part')
    .execute();
  const parts = rows.map((r, k) => {
    if (r.part !== k || r.status !== 'done' || !r.blocking)
      throw new Error(`run ${runId}: partition ${k} of attempt ${attempt} is not done`);
    return decodeTyped(r.blocking) as Pick<PartitionResult, 'stats' | 'plan' | 'seconds'>;
  });
  const count = (head: Uint8Array) => new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(0, true);
  const work = rows.map((r): PartitionWork => ({ ...workOf(r), pairs: count(new Uint8Array(r.head)) }));
  return { parts, work };
}

/** The run's sample for `attempt`, once done. */
export async function loadSample(db: Kysely<Database>, runId: string, attempt: number): Promise<ScoringSample> {
  const row = await db
    .selectFrom('run_partition')
    .select(['status', 'blocking'])
    .where('run_id', '=', runId)
    .where('phase', '=', 'sample')
    .where('attempt', '=', attempt)
    .executeTakeFirst();
  if (row?.status !== 'done' || !row.blocking)
    throw new Error(`run ${runId}: the sample of attempt ${attempt} is not done`);
  return decodeTyped(row.blocking) as ScoringSample;
}

/** Every partition's weighed pairs for `attempt`, in plan order, and who weighed them; throws unless each is done. */
export async function loadChunks(
  db: Kysely<Database>,
  runId: string,
  attempt: number,
): Promise<{ chunks: ScoredChunk[]; work: PartitionWork[] }> {
  const rows = await db
    .selectFrom('run_partition')
    .selectAll()
    .where('run_id', '=', runId)
    .where('phase', '=', 'score')
    .where('attempt', '=', attempt)
    .orderBy('part')
    .execute();
  const chunks = rows.map((r, k) => {
    if (r.part !== k || r.status !== 'done' || !r.result)
      throw new Error(`run ${runId}: the scores of partition ${k} of attempt ${attempt} are not done`);
    return decodeChunk(new Uint8Array(r.result));
  });
  const work = rows.map((r, k): PartitionWork => ({ ...workOf(r), pairs: chunks[k]!.weight.length }));
  return { chunks, work };
}
