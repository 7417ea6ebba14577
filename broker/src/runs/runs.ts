import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { inForce } from '@blindlink/policies';
import { ProtocolError } from '@blindlink/protocol';
import type { Database } from '../db/schema.js';
import { refusal } from '../governance/judge.js';
import { policyInForce } from '../governance/policy-store.js';
import { latestSubmissions } from '../submissions/store.js';
import type { BrokerKeyring } from '../trust/keys.js';
import { link } from '../linkage/engine.js';
import {
  linkIncremental,
  modelToStore,
  whyNotContinue,
  type IncrementalStats,
  type PreviousRun,
  type StoredModel,
} from '../linkage/engine-incremental.js';
import { claimRun, RunAttempt, SupersededError } from './attempt.js';
import {
  checkEncodings,
  latestCompletedRunOrNull,
  loadPrevious,
  loadSources,
  planRun,
  previousIds,
  runInputs,
} from './load.js';
import { crossAgencyLinks, storeRun } from './store.js';
import type { EngineOptions, EngineProgress, EngineResult, EngineSource } from '../linkage/types.js';

/**
 * Linkage runs: queued with the inputs fixed (queueRun), then linked by a job (executeRun) in
 * stages — load (run-load.ts), link (the engine, inline or in a worker thread), persist
 * (run-store.ts) — while the attempt heartbeats and reports progress (run-attempt.ts).
 */

// The job runners (jobs/) import the run API from here alone, this error included.
export { SupersededError } from './attempt.js';

export type RunMode = 'full' | 'incremental';

export interface RunOptions {
  /** 'full' relinks everything and re-fits the model; 'auto' (default) continues the previous run when it can. */
  mode?: 'full' | 'auto';
  at?: Date;
}

export interface RunResult {
  runId: string;
  status: 'completed' | 'failed';
  sources: number;
  /** Records that share their entity with a record of another source (links across agencies). */
  matchedPairs: number;
  mode: RunMode;
  /** Why this mode: what forced a full run, or which run this one continued and what changed. */
  modeReason: string;
  error?: string;
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

/** What the engine is given; the same for an inline call and a worker thread (structured-cloneable). */
export interface EngineInput {
  sources: EngineSource[];
  previous: PreviousRun | null;
  opts: Omit<EngineOptions, 'onProgress'>;
}
export type EngineOutput = EngineResult & { incremental?: IncrementalStats };
/** Runs the engine: inline (tests, benches) or in a worker thread (jobs/engine-thread.ts). */
export type EngineRunner = (input: EngineInput, onProgress: (p: EngineProgress) => void) => Promise<EngineOutput>;

export const inlineEngine: EngineRunner = async ({ sources, previous, opts }, onProgress) =>
  previous ? linkIncremental(sources, previous, { ...opts, onProgress }) : link(sources, { ...opts, onProgress });

export interface ExecuteOptions {
  /** Who runs this attempt (a graphile-worker id, or the embedded runner's); shown in the run's status. */
  workerId?: string;
  engine?: EngineRunner;
  /** Milliseconds between heartbeats and at most one progress write; default 1000. */
  heartbeatMs?: number;
}

/**
 * Link a queued run: the job's body, whichever worker runs it. Each call is a new attempt (attempt + 1);
 * the run's inputs were fixed when it was queued, so a retry after a crash links the same records. The
 * attempt heartbeats and writes the engine's progress to the run row (throttled); results and the
 * state the next run continues from are stored in one transaction that first checks this is still the
 * newest attempt and deletes anything stored under the run id, so a run is stored once, whole. A run
 * already completed or failed is returned as it is (a duplicate job does nothing).
 */
export async function executeRun(
  db: Kysely<Database>,
  keys: BrokerKeyring,
  runId: string,
  o: ExecuteOptions = {},
): Promise<RunResult> {
  const claimed = await claimRun(db, runId, o.workerId);
  if (!claimed) return finishedRun(db, runId);
  const run = new RunAttempt(db, runId, claimed.attempt, o.heartbeatMs ?? 1000);
  const sourcesCount = claimed.submission_ids.length;
  let mode: RunMode = 'full';
  let modeReason = '';
  try {
    // Load: the policy and submissions fixed at queueing, full or incremental, the decrypted sources.
    const { doc, subs, settings } = await runInputs(db, claimed);
    const plan = await planRun(db, claimed.purpose, settings, claimed.requested_mode, runId);
    mode = plan.mode;
    modeReason = plan.mode === 'full' ? plan.why : `continues run ${plan.previous.id}`;
    await run.mine(db.updateTable('run').set({ mode, mode_reason: modeReason })).execute();
    checkEncodings(subs);
    const loading = performance.now();
    const sources = await loadSources(db, keys, subs, settings);
    run.report({ stage: 'blocking', records: sources.reduce((n, s) => n + s.tokens.length, 0) }, true);
    let previous: PreviousRun | null = null;
    if (plan.mode === 'incremental') {
      const loaded = await loadPrevious(db, plan.previous);
      const why = typeof loaded === 'string' ? loaded : whyNotContinue(sources, loaded);
      if (why) {
        mode = 'full';
        modeReason = why;
      } else previous = loaded as PreviousRun;
    }
    const loadSeconds = (performance.now() - loading) / 1000;

    // Link.
    const engineOpts: EngineInput['opts'] = { diceThreshold: doc.linkage.threshold, runId };
    if (!previous) {
      const ids = await previousIds(db, claimed.purpose, runId);
      Object.assign(engineOpts, { previousEntities: ids.entities, previousHouseholds: ids.households });
    }
    const result = await (o.engine ?? inlineEngine)({ sources, previous, opts: engineOpts }, (p) => run.report(p));
    let model: StoredModel;
    let incremental: IncrementalStats | undefined;
    if (previous) {
      incremental = result.incremental!;
      modeReason = continuedReason(previous, doc, incremental);
      model = previous.model;
    } else {
      model = modelToStore(result, runId);
    }

    // Persist.
    if (run.latest) run.report({ ...run.latest, stage: 'storing' as EngineProgress['stage'] }, true);
    const linked = crossAgencyLinks(result);
    await storeRun(db, {
      runId,
      attempt: claimed.attempt,
      sources,
      submissionIds: subs.map((s) => s.id),
      settings,
      model,
      result,
      incremental,
      linked,
      mode,
      modeReason,
      loadSeconds,
    });
    return { runId, status: 'completed', sources: sourcesCount, matchedPairs: linked, mode, modeReason };
  } catch (err) {
    if (err instanceof SupersededError || run.superseded)
      throw err instanceof SupersededError
        ? err
        : new SupersededError(`run ${runId}: attempt ${claimed.attempt} was taken over by a newer attempt`);
    const error = err instanceof Error ? err.message : String(err);
    await run
      .mine(
        db
          .updateTable('run')
          .set({ status: 'failed', error, finished_at: new Date(), mode, mode_reason: modeReason, stage: 'failed' }),
      )
      .execute();
    return { runId, status: 'failed', sources: sourcesCount, matchedPairs: 0, mode, modeReason, error };
  } finally {
    await run.stop();
  }
}

/** A run no attempt may claim (completed or failed), as it stands. */
async function finishedRun(db: Kysely<Database>, runId: string): Promise<RunResult> {
  const row = await db.selectFrom('run').selectAll().where('id', '=', runId).executeTakeFirst();
  if (!row) throw new Error(`run ${runId} does not exist (purged?)`);
  return {
    runId,
    status: row.status === 'completed' ? 'completed' : 'failed',
    sources: row.submission_ids.length,
    matchedPairs: row.matched_pairs,
    mode: row.mode ?? 'full',
    modeReason: row.mode_reason ?? '',
    ...(row.error ? { error: row.error } : {}),
  };
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
