/**
 * The jobs of a full run after its first: one per partition (a pair of sources: blocking and the
 * similarities of its candidate pairs, from those two sources alone), and the finish (every source
 * and every partition's result: scoring, entities, households, ids, stored). Any worker may take any
 * of them; runs.ts plans the partitions, partitions.ts keeps their state in the database.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { BrokerKeyring } from '../trust/keys.js';
import { checkCompatible } from '../linkage/engine.js';
import { modelToStore } from '../linkage/engine-incremental.js';
import type { EngineProgress, EngineSource } from '../linkage/types.js';
import { RunAttempt, SupersededError } from './attempt.js';
import type { EngineCallRunner } from './engine-call.js';
import { loadSources, previousIds, runInputs, type RunSubmission } from './load.js';
import { failRun, finishedRun, type RunResult } from './outcome.js';
import { beatPartition, claimPartition, completePartition, encodePartition, loadPartitions } from './partitions.js';
import { crossAgencyLinks, storeRun } from './store.js';

/** How a run's next jobs are queued: the partitions of a plan, and the finish once the last is done. */
export interface SplitQueue {
  partitions(trx: Transaction<Database>, runId: string, attempt: number, count: number): Promise<void>;
  finish(trx: Transaction<Database>, runId: string, attempt: number): Promise<void>;
}

export interface JobOptions {
  workerId: string;
  engine: EngineCallRunner;
  /** Milliseconds between heartbeats and at most one progress write; default 1000. */
  heartbeatMs?: number;
  /** Absent: the caller runs the next job itself (the embedded database, tests). */
  queue?: SplitQueue;
}

/** The fields every source of the run shares, from the submissions' headers (nothing decrypted). */
function runFields(subs: RunSubmission[]) {
  return checkCompatible(
    subs.map((s) => ({
      name: s.agency,
      clkBits: s.clk_bits,
      fieldSpecs: ((s.header ?? {}) as { fieldFilters?: EngineSource['fieldSpecs'] }).fieldFilters ?? [],
    })),
  );
}

async function runRow(db: Kysely<Database>, runId: string) {
  return db.selectFrom('run').selectAll().where('id', '=', runId).executeTakeFirst();
}

/**
 * One partition of a run's plan for `attempt`. Returns the run's result when this job failed the run,
 * else null (the partition is stored and counted, or there was nothing to do: done already, its plan
 * replaced, its run no longer running). A presumed-dead worker that was only slow computes the same
 * result, and its completion is recognised as a duplicate and not counted.
 */
export async function executePartition(
  db: Kysely<Database>,
  keys: BrokerKeyring,
  runId: string,
  attempt: number,
  part: number,
  o: JobOptions,
): Promise<RunResult | null> {
  const claimed = await claimPartition(db, runId, attempt, part, o.workerId);
  if (!claimed) return null;
  let alive = true;
  const beat = () => {
    beating = beating
      .then(async () => {
        if (!(await beatPartition(db, runId, attempt, part))) alive = false;
      })
      .catch(() => {});
  };
  let beating: Promise<void> = Promise.resolve();
  const timer = setInterval(beat, o.heartbeatMs ?? 1000);
  timer.unref();
  try {
    const run = await runRow(db, runId);
    if (!run) return null;
    const { doc, subs, settings } = await runInputs(db, run);
    const loading = performance.now();
    const mine = claimed.i === claimed.j ? [subs[claimed.i]!] : [subs[claimed.i]!, subs[claimed.j]!];
    const sources = await loadSources(db, keys, mine, settings);
    const loadSeconds = (performance.now() - loading) / 1000;
    const result = await o.engine(
      {
        kind: 'partition',
        input: {
          sources,
          part: claimed,
          fields: runFields(subs),
          opts: { diceThreshold: doc.linkage.threshold, runId },
        },
      },
      () => {},
    );
    if (!alive) return null;
    const encoded = encodePartition({ ...result, seconds: { ...result.seconds, load: loadSeconds } });
    await completePartition(db, runId, attempt, part, { ...encoded, pairs: result.block.pairs.length / 2 }, (trx) =>
      o.queue ? o.queue.finish(trx, runId, attempt) : Promise.resolve(),
    );
    return null;
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    await failRun(db, runId, attempt, `partition ${part}: ${error}`);
    const after = await finishedRun(db, runId);
    return after.status === 'failed' ? after : null;
  } finally {
    clearInterval(timer);
    await beating;
  }
}

/**
 * A full run's finish, once every partition of `attempt` is done: every source decrypted, the
 * partitions' results joined in plan order, then scoring, entities, households and ids, stored in one
 * transaction that checks `attempt` still owns the run (store.ts). Null when there is nothing to do
 * (the run is no longer this attempt's, or no longer running).
 */
export async function executeFinish(
  db: Kysely<Database>,
  keys: BrokerKeyring,
  runId: string,
  attempt: number,
  o: JobOptions,
): Promise<RunResult | null> {
  const taken = await db
    .updateTable('run')
    .set({ worker_id: o.workerId, heartbeat_at: new Date(), stage: 'scoring' })
    .where('id', '=', runId)
    .where('attempt', '=', attempt)
    .where('status', '=', 'running')
    .returningAll()
    .executeTakeFirst();
  if (!taken) return null;
  const mode = { mode: taken.mode ?? 'full', modeReason: taken.mode_reason ?? '' };
  const sourcesCount = taken.submission_ids.length;
  const run = new RunAttempt(db, runId, attempt, o.heartbeatMs ?? 1000);
  try {
    const { doc, subs, settings } = await runInputs(db, taken);
    const loading = performance.now();
    const sources = await loadSources(db, keys, subs, settings);
    const { parts, work } = await loadPartitions(db, runId, attempt, runFields(subs).names.length);
    const ids = await previousIds(db, taken.purpose, runId);
    const loadSeconds = (performance.now() - loading) / 1000;
    const opts = {
      diceThreshold: doc.linkage.threshold,
      runId,
      previousEntities: ids.entities,
      previousHouseholds: ids.households,
    };
    const result = await o.engine({ kind: 'finish', input: { sources, parts, opts } }, (p) => run.report(p));
    if (run.latest) run.report({ ...run.latest, stage: 'storing' as EngineProgress['stage'] }, true);
    const linked = crossAgencyLinks(result);
    const partLoad = parts.reduce((s, p) => s + (p.seconds.load ?? 0), 0);
    await storeRun(db, {
      runId,
      attempt,
      sources,
      submissionIds: subs.map((s) => s.id),
      settings,
      model: modelToStore(result, runId),
      result,
      incremental: undefined,
      linked,
      ...mode,
      loadSeconds: loadSeconds + partLoad,
      partitions: work,
    });
    return { runId, status: 'completed', sources: sourcesCount, matchedPairs: linked, ...mode };
  } catch (err) {
    if (err instanceof SupersededError || run.superseded) return null;
    const error = err instanceof Error ? err.message : String(err);
    await failRun(db, runId, attempt, error);
    return { runId, status: 'failed', sources: sourcesCount, matchedPairs: 0, ...mode, error };
  } finally {
    await run.stop();
  }
}
