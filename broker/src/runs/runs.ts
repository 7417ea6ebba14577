import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { inForce } from '@blindlink/policies';
import { ProtocolError } from '@blindlink/protocol';
import type { Database } from '../db/schema.js';
import { refusal } from '../governance/judge.js';
import { policyInForce } from '../governance/policy-store.js';
import { latestSubmissions } from '../submissions/store.js';
import type { BrokerKeyring } from '../trust/keys.js';
import { planPartitions } from '../linkage/engine.js';
import { whyNotContinue, type IncrementalStats, type PreviousRun } from '../linkage/engine-incremental.js';
import { claimRun, RunAttempt, SupersededError } from './attempt.js';
import { checkEncodings, latestCompletedRunOrNull, loadPrevious, loadSources, planRun, runInputs } from './load.js';
import { crossAgencyLinks, storeRun } from './store.js';
import type { EngineProgress } from '../linkage/types.js';
import { type EngineCallRunner, type EngineInput, type EngineOutput, inlineCall } from './engine-call.js';
import { failRun, finishedRun, type RunMode, type RunResult } from './outcome.js';
import { planPartitionRows } from './partitions.js';
import { executeFinish, executeFit, executePartition, type SplitQueue, type UnitPhase } from './split.js';
import { combinedLabels } from '../review/store.js';

/**
 * Linkage runs: queued with the inputs fixed (queueRun), then linked by jobs. The run's first job
 * (startRun) claims an attempt and plans: an incremental run is linked there and then — load
 * (load.ts), the engine (in a worker thread), persist (store.ts) — while the attempt heartbeats and
 * reports progress (attempt.ts); a full run is split into partitions and a sample, the fit, a score
 * per partition and the finish (split.ts), jobs which any workers share.
 */

// The job runners (jobs/) import the run API from here alone.
export { SupersededError } from './attempt.js';
export type { EngineCall, EngineCallRunner, EngineInput, EngineOutput } from './engine-call.js';
export { executeFinish, executeFit, executePartition, type SplitQueue, type UnitPhase } from './split.js';
export { failRun, type RunMode, type RunResult } from './outcome.js';

export interface RunOptions {
  /** 'full' relinks everything and re-fits the model; 'auto' (default) continues the previous run when it can. */
  mode?: 'full' | 'auto';
  at?: Date;
}

export interface QueuedRun {
  runId: string;
  purpose: string;
  /** Submissions the run will link: the latest of each contributor when it was queued. */
  sources: number;
  policyId: string;
  policyVersion: number;
}

/** Adds the run's job to the queue inside the transaction that writes the run row (see jobs/queue.ts). */
export type Enqueue = (trx: Transaction<Database>, runId: string) => Promise<void>;

/**
 * Accept a run: check the policy is approved and in force and that at least two contributors have
 * submitted, then write the run row as 'queued' with what it will link (the latest submission of each
 * contributor, the policy version), and queue its job in the same transaction, so a run is never
 * queued without its job nor a job without its run. A retried job links exactly the same inputs.
 */
export async function queueRun(
  db: Kysely<Database>,
  purpose: string,
  opts: RunOptions & { scheduledBy?: string },
  enqueue: Enqueue,
): Promise<QueuedRun> {
  const at = opts.at ?? new Date();
  const policy = await policyInForce(db, purpose, at);
  const doc = policy.document;
  if (!policy.approval)
    throw refusal({
      policyId: doc.id,
      policyVersion: doc.version,
      rule: 'approval',
      reason: `policy ${doc.id} v${doc.version}: not approved by an IG lead, so not in force`,
    });
  // policyInForce falls back to the newest version when none is in date: a run needs one that is.
  if (!inForce(doc, at)) {
    throw refusal({
      policyId: doc.id,
      policyVersion: doc.version,
      rule: 'validity',
      reason: `policy ${doc.id} v${doc.version}: not in force (valid ${doc.validFrom} to ${doc.validUntil})`,
    });
  }
  const contributors = new Set(doc.contributors.map((c) => c.agency));
  const subs = (await latestSubmissions(db, purpose)).filter((s) => contributors.has(s.agency));
  if (subs.length < 2) {
    throw new ProtocolError(
      'no-submission',
      `purpose ${purpose} needs submissions from at least two contributing agencies to link; it has ${subs.length}`,
    );
  }
  const runId = randomUUID();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('run')
      .values({
        id: runId,
        purpose,
        status: 'queued',
        policy_id: doc.id,
        policy_version: doc.version,
        threshold: doc.linkage.threshold,
        submission_ids: JSON.stringify(subs.map((s) => s.id)),
        matched_pairs: 0,
        started_at: new Date(),
        finished_at: null,
        error: null,
        scoring: null,
        stats: null,
        mode: null,
        mode_reason: null,
        requested_mode: opts.mode ?? 'auto',
        stage: 'queued',
        progress: null,
        worker_id: null,
        heartbeat_at: null,
        scheduled_by: opts.scheduledBy ?? null,
      })
      .execute();
    await enqueue(trx, runId);
  });
  return { runId, purpose, sources: subs.length, policyId: doc.id, policyVersion: doc.version };
}

/** Runs a whole link (the engine, inline or in a worker thread: jobs/engine-thread.ts). */
export type EngineRunner = (input: EngineInput, onProgress: (p: EngineProgress) => void) => Promise<EngineOutput>;

export const inlineEngine: EngineRunner = (input, onProgress) => inlineCall({ kind: 'link', input }, onProgress);

export interface ExecuteOptions {
  /** Who runs this attempt (a graphile-worker id, or the embedded runner's); shown in the run's status. */
  workerId?: string;
  engine?: EngineCallRunner;
  /** Milliseconds between heartbeats and at most one progress write; default 1000. */
  heartbeatMs?: number;
}

/**
 * Link a queued run in this process, to the end: its first job, then (a full run) each partition and
 * the sample, the fit, each score, and the finish, in turn, through the same job code as workers
 * sharing the run (startRun). The embedded
 * database's runner and runLinkage use it.
 */
export async function executeRun(
  db: Kysely<Database>,
  keys: BrokerKeyring,
  runId: string,
  o: ExecuteOptions = {},
): Promise<RunResult> {
  const started = await startRun(db, keys, runId, o);
  if (started.result) return started.result;
  const job = { workerId: o.workerId ?? 'inline', engine: o.engine ?? inlineCall, heartbeatMs: o.heartbeatMs ?? 1000 };
  const units = (phase: UnitPhase, count: number) =>
    Array.from(
      { length: count },
      (_, part) => () => executePartition(db, keys, runId, started.attempt, part, job, phase),
    );
  const steps = [
    ...units('pairs', started.partitions),
    ...units('sample', 1),
    () => executeFit(db, runId, started.attempt, job),
    ...units('score', started.partitions),
  ];
  for (const step of steps) {
    const failed = await step();
    if (failed) return failed;
  }
  return (await executeFinish(db, keys, runId, started.attempt, job)) ?? finishedRun(db, runId);
}

/**
 * A run's first job, whichever worker runs it. Each call is a new attempt (attempt + 1); the run's
 * inputs were fixed when it was queued, so a retry after a crash links the same records. An
 * incremental run is linked here whole: results and the state the next run continues from are stored
 * in one transaction that first checks this is still the newest attempt and deletes anything stored
 * under the run id, so a run is stored once, whole. A full run is planned: its partitions are written
 * for this attempt (replacing any earlier attempt's) and, with `queue`, their jobs queued in the same
 * transaction; it returns the partitions to run. A run already completed or failed is returned as it
 * is (a duplicate job does nothing).
 */
export async function startRun(
  db: Kysely<Database>,
  keys: BrokerKeyring,
  runId: string,
  o: ExecuteOptions & { queue?: SplitQueue } = {},
): Promise<
  { result: RunResult; attempt?: never; partitions?: never } | { result?: never; attempt: number; partitions: number }
> {
  const claimed = await claimRun(db, runId, o.workerId);
  if (!claimed) return { result: await finishedRun(db, runId) };
  const run = new RunAttempt(db, runId, claimed.attempt, o.heartbeatMs ?? 1000);
  const sourcesCount = claimed.submission_ids.length;
  let mode: RunMode = 'full';
  let modeReason = '';
  try {
    // Load: the policy and submissions fixed at queueing, full or incremental.
    const { doc, subs, settings } = await runInputs(db, claimed);
    const plan = await planRun(db, claimed.purpose, settings, claimed.requested_mode, runId);
    mode = plan.mode;
    modeReason = plan.mode === 'full' ? plan.why : `continues run ${plan.previous.id}`;
    await run.mine(db.updateTable('run').set({ mode, mode_reason: modeReason })).execute();
    checkEncodings(subs);
    const records = subs.reduce((n, s) => n + s.record_count, 0);
    if (plan.mode === 'incremental') {
      const loading = performance.now();
      const sources = await loadSources(db, keys, subs, settings);
      run.report({ stage: 'blocking', records }, true);
      const loaded = await loadPrevious(db, plan.previous);
      const why = typeof loaded === 'string' ? loaded : whyNotContinue(sources, loaded);
      if (!why) {
        const previous = loaded as PreviousRun;
        const loadSeconds = (performance.now() - loading) / 1000;
        const engine = o.engine ?? inlineCall;
        const { labels } = await combinedLabels(db, claimed.purpose);
        const opts = { diceThreshold: doc.linkage.threshold, runId, reviewLabels: labels };
        const result = await engine({ kind: 'link', input: { sources, previous, opts } }, (p) => run.report(p));
        const incremental = result.incremental!;
        modeReason = continuedReason(previous, doc, incremental);
        if (run.latest) run.report({ ...run.latest, stage: 'storing' as EngineProgress['stage'] }, true);
        const linked = crossAgencyLinks(result);
        await storeRun(db, {
          runId,
          attempt: claimed.attempt,
          sources,
          submissionIds: subs.map((s) => s.id),
          settings,
          model: previous.model,
          result,
          incremental,
          linked,
          mode,
          modeReason,
          loadSeconds,
        });
        return {
          result: { runId, status: 'completed', sources: sourcesCount, matchedPairs: linked, mode, modeReason },
        };
      }
      mode = 'full';
      modeReason = why;
    }

    // A full run: its partitions, planned from what the policy declares of each source (nothing decrypted).
    const parts = planPartitions(settings.sources);
    await db.transaction().execute(async (trx) => {
      const own = await run
        .mine(
          trx.updateTable('run').set({
            mode,
            mode_reason: modeReason,
            stage: parts.length ? 'blocking' : 'scoring',
            progress: JSON.stringify({ records, partitions: parts.length, partitionsDone: 0 }),
            heartbeat_at: new Date(),
          }),
        )
        .where('status', '=', 'running')
        .executeTakeFirst();
      if (Number(own.numUpdatedRows) === 0)
        throw new SupersededError(`run ${runId}: attempt ${claimed.attempt} was taken over by a newer attempt`);
      await planPartitionRows(trx, runId, claimed.attempt, parts);
      if (o.queue) await o.queue.partitions(trx, runId, claimed.attempt, parts.length);
    });
    return { attempt: claimed.attempt, partitions: parts.length };
  } catch (err) {
    if (err instanceof SupersededError || run.superseded)
      throw err instanceof SupersededError
        ? err
        : new SupersededError(`run ${runId}: attempt ${claimed.attempt} was taken over by a newer attempt`);
    const error = err instanceof Error ? err.message : String(err);
    await failRun(db, runId, claimed.attempt, error, { mode, modeReason });
    return { result: { runId, status: 'failed', sources: sourcesCount, matchedPairs: 0, mode, modeReason, error } };
  } finally {
    await run.stop();
  }
}

/** An incremental run's mode reason: what it continued and what changed. */
function continuedReason(previous: PreviousRun, doc: { id: string; version: number }, inc: IncrementalStats): string {
  return (
    `continues run ${previous.runId} (policy ${doc.id} v${doc.version}, same encoding schema, threshold and ` +
    `sources; model fitted in run ${previous.model.fittedIn}): ` +
    `${inc.carried} records carried over, ${inc.added} new or changed, ${inc.removed} removed; ` +
    `${inc.newPairs} candidate pairs scored, ${inc.carriedPairs} carried over`
  );
}

/**
 * Queue and link a run in this process, on this event loop, and wait for it: for benches, tests and
 * tools that hold the database themselves. The API and the scheduler queue runs for workers instead.
 */
export async function runLinkage(
  db: Kysely<Database>,
  keys: BrokerKeyring,
  purpose: string,
  opts: RunOptions = {},
): Promise<RunResult> {
  const q = await queueRun(db, purpose, opts, async () => {});
  return executeRun(db, keys, q.runId, { workerId: 'inline' });
}

/** The newest completed run for a purpose, or a 409 naming what to do. */
export async function latestCompletedRun(db: Kysely<Database>, purpose: string) {
  const run = await latestCompletedRunOrNull(db, purpose);
  if (!run) throw new ProtocolError('no-linkage-run', `purpose ${purpose} has no completed linkage run yet`);
  return run;
}
