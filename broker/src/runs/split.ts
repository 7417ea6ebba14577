/**
 * The jobs of a full run after its first, which any worker may take:
 *  - one per partition (a pair of sources: blocking and the similarities of its candidate pairs, from
 *    those two sources alone), and the sample (what the fit needs from every source), side by side;
 *  - the fit, once they are all done (the scoring model from every partition's similarities);
 *  - one score per partition (its pairs weighed with the fit; only those that may still matter kept);
 *  - the finish (every source, the weighed pairs: entities, households, ids, stored).
 * runs.ts plans the partitions, partitions.ts keeps every unit's state in the database.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database, RunPhase } from '../db/schema.js';
import type { BrokerKeyring } from '../trust/keys.js';
import { checkCompatible } from '../linkage/engine.js';
import { modelToStore } from '../linkage/engine-incremental.js';
import type { EngineProgress, EngineSource } from '../linkage/types.js';
import { RunAttempt, SupersededError } from './attempt.js';
import type { EngineCallRunner } from './engine-call.js';
import { loadSources, previousIds, runInputs, type RunSubmission } from './load.js';
import { failRun, finishedRun, type RunResult } from './outcome.js';
import {
  beatPartition,
  claimPartition,
  completePartition,
  encodeChunk,
  encodePartition,
  loadChunks,
  loadFit,
  loadPartitionMeta,
  loadPartitions,
  loadSample,
  planScoreRows,
} from './partitions.js';
import { encodeTyped } from './state.js';
import { crossAgencyLinks, storeRun } from './store.js';
import { combinedLabels } from '../review/store.js';

/** The phases a unit job (executePartition) computes; the fit and the finish are the run's own jobs. */
export type UnitPhase = Exclude<RunPhase, 'fit'>;

/**
 * How a run's next jobs are queued: the partitions of a plan and its sample, the fit once they are
 * done, a score per partition once the fit is, and the finish once the last score is done.
 */
export interface SplitQueue {
  partitions(trx: Transaction<Database>, runId: string, attempt: number, count: number): Promise<void>;
  fit(trx: Transaction<Database>, runId: string, attempt: number): Promise<void>;
  scores(trx: Transaction<Database>, runId: string, attempt: number, count: number): Promise<void>;
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
 * One unit of a run's plan for `attempt`: a partition, the sample, or a partition's score. Returns the
 * run's result when this job failed the run, else null (the unit is stored and counted, or there was
 * nothing to do: done already, its plan replaced, its run no longer running). A presumed-dead worker
 * that was only slow computes the same result, and its completion is recognised as a duplicate and
 * not counted. The last unit of a wave queues what follows (the fit, or the finish).
 */
export async function executePartition(
  db: Kysely<Database>,
  keys: BrokerKeyring,
  runId: string,
  attempt: number,
  part: number,
  o: JobOptions,
  phase: UnitPhase = 'pairs',
): Promise<RunResult | null> {
  const claimed = await claimPartition(db, runId, attempt, part, o.workerId, phase);
  if (!claimed) return null;
  let alive = true;
  const beat = () => {
    beating = beating
      .then(async () => {
        if (!(await beatPartition(db, runId, attempt, part, phase))) alive = false;
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
    const fields = runFields(subs);
    const opts = { diceThreshold: doc.linkage.threshold, runId };
    const loading = performance.now();
    let stored: { result: Buffer; blocking: string | null; pairs: number };
    if (phase === 'pairs') {
      const mine = claimed.i === claimed.j ? [subs[claimed.i]!] : [subs[claimed.i]!, subs[claimed.j]!];
      const sources = await loadSources(db, keys, mine, settings);
      const loadSeconds = (performance.now() - loading) / 1000;
      const input = { sources, part: claimed, fields, opts };
      const result = await o.engine({ kind: 'partition', input }, () => {});
      const encoded = encodePartition({ ...result, seconds: { ...result.seconds, load: loadSeconds } });
      stored = { ...encoded, pairs: result.block.pairs.length / 2 };
    } else if (phase === 'sample') {
      const sources = await loadSources(db, keys, subs, settings);
      const sample = await o.engine({ kind: 'sample', input: { sources, fields, opts } }, () => {});
      stored = { result: Buffer.alloc(0), blocking: encodeTyped(sample), pairs: 0 };
    } else {
      const fit = await loadFit(db, runId, attempt);
      if (!fit) throw new Error(`run ${runId}: no fit for attempt ${attempt}`);
      const { parts } = await loadPartitions(db, runId, attempt, fields.names.length, part);
      const chunk = await o.engine({ kind: 'score', input: { fit, part: parts[0]! } }, () => {});
      stored = { result: encodeChunk(chunk), blocking: null, pairs: chunk.candidates };
    }
    if (!alive) return null;
    const next = (trx: Transaction<Database>) =>
      !o.queue
        ? Promise.resolve()
        : phase === 'score'
          ? o.queue.finish(trx, runId, attempt)
          : o.queue.fit(trx, runId, attempt);
    await completePartition(db, runId, attempt, part, stored, next, phase);
    return null;
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    const what =
      phase === 'pairs' ? `partition ${part}` : phase === 'sample' ? 'the sample' : `scoring partition ${part}`;
    await failRun(db, runId, attempt, `${what}: ${error}`);
    const after = await finishedRun(db, runId);
    return after.status === 'failed' ? after : null;
  } finally {
    clearInterval(timer);
    await beating;
  }
}

/** Take the run row up for one of its own jobs (the fit, the finish); undefined when `attempt` no longer owns it. */
function takeRun(db: Kysely<Database>, runId: string, attempt: number, workerId: string, stage: string) {
  return db
    .updateTable('run')
    .set({ worker_id: workerId, heartbeat_at: new Date(), stage })
    .where('id', '=', runId)
    .where('attempt', '=', attempt)
    .where('status', '=', 'running')
    .returningAll()
    .executeTakeFirst();
}

/**
 * A full run's fit, once every partition and the sample of `attempt` are done: the scoring fitted
 * from every partition's similarities (nothing decrypted), stored with one score row per partition
 * and their jobs queued, in one transaction under the run row. Returns the run's result when it
 * failed the run, else null (done, or nothing to do: fitted already, or no longer this attempt's).
 */
export async function executeFit(
  db: Kysely<Database>,
  runId: string,
  attempt: number,
  o: JobOptions,
): Promise<RunResult | null> {
  const taken = await takeRun(db, runId, attempt, o.workerId, 'scoring');
  if (!taken) return null;
  const mode = { mode: taken.mode ?? 'full', modeReason: taken.mode_reason ?? '' };
  const run = new RunAttempt(db, runId, attempt, o.heartbeatMs ?? 1000);
  try {
    if (await loadFit(db, runId, attempt)) return null;
    const { doc, subs } = await runInputs(db, taken);
    const fields = runFields(subs);
    const { parts } = await loadPartitions(db, runId, attempt, fields.names.length);
    const sample = await loadSample(db, runId, attempt);
    // The purpose's labels refine m (scoring/labelled.ts); the finish applies them again as overrides.
    const { labels } = await combinedLabels(db, taken.purpose);
    const opts = { diceThreshold: doc.linkage.threshold, runId, reviewLabels: labels };
    const started = performance.now();
    const fit = await o.engine({ kind: 'fit', input: { parts, sample, fields, opts } }, () => {});
    const seconds = (performance.now() - started) / 1000;
    const plan = parts.map((p) => ({ i: p.block.i, j: p.block.j }));
    await db.transaction().execute(async (trx) => {
      const own = await run
        .mine(trx.selectFrom('run').select('id'))
        .where('status', '=', 'running')
        .forUpdate()
        .executeTakeFirst();
      if (!own) throw new SupersededError(`run ${runId}: attempt ${attempt} is no longer running`);
      const planned = await planScoreRows(trx, runId, attempt, { ...fit, seconds } as typeof fit, plan);
      if (planned && o.queue) await o.queue.scores(trx, runId, attempt, plan.length);
    });
    return null;
  } catch (err) {
    if (err instanceof SupersededError || run.superseded) return null;
    const error = err instanceof Error ? err.message : String(err);
    await failRun(db, runId, attempt, `fitting the scoring: ${error}`);
    const sourcesCount = taken.submission_ids.length;
    return { runId, status: 'failed', sources: sourcesCount, matchedPairs: 0, ...mode, error };
  } finally {
    await run.stop();
  }
}

/**
 * A full run's finish, once every score of `attempt` is done: every source decrypted, the weighed
 * pairs joined in plan order, then entities, households and ids, stored in one transaction that
 * checks `attempt` still owns the run (store.ts). Null when there is nothing to do (the run is no
 * longer this attempt's, or no longer running).
 */
export async function executeFinish(
  db: Kysely<Database>,
  keys: BrokerKeyring,
  runId: string,
  attempt: number,
  o: JobOptions,
): Promise<RunResult | null> {
  const taken = await takeRun(db, runId, attempt, o.workerId, 'entities');
  if (!taken) return null;
  const mode = { mode: taken.mode ?? 'full', modeReason: taken.mode_reason ?? '' };
  const sourcesCount = taken.submission_ids.length;
  const run = new RunAttempt(db, runId, attempt, o.heartbeatMs ?? 1000);
  try {
    const { doc, subs, settings } = await runInputs(db, taken);
    const loading = performance.now();
    const sources = await loadSources(db, keys, subs, settings);
    const { parts, work } = await loadPartitionMeta(db, runId, attempt);
    const { chunks, work: scored } = await loadChunks(db, runId, attempt);
    const stored = await loadFit(db, runId, attempt);
    if (!stored) throw new Error(`run ${runId}: no fit for attempt ${attempt}`);
    const { seconds: fitSeconds, ...fit } = stored as typeof stored & { seconds?: number };
    const ids = await previousIds(db, taken.purpose, runId);
    const { labels } = await combinedLabels(db, taken.purpose);
    const loadSeconds = (performance.now() - loading) / 1000;
    const opts = {
      diceThreshold: doc.linkage.threshold,
      runId,
      previousEntities: ids.entities,
      previousHouseholds: ids.households,
      reviewLabels: labels,
    };
    const seconds = { scoring: fitSeconds ?? 0 };
    const input = { sources, parts, chunks, fit, seconds, opts };
    const result = await o.engine({ kind: 'finish', input }, (p) => run.report(p));
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
      scored,
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
