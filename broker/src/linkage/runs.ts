import { randomUUID } from 'node:crypto';
import type { Insertable, Kysely, Transaction } from 'kysely';
import { inForce, type PolicyDocument } from '@blindlink/policies';
import { ProtocolError } from '@blindlink/protocol';
import type { Database, RunRecordTable } from '../db/schema.js';
import { refusal } from '../governance/judge.js';
import { policyInForce } from '../governance/policy-store.js';
import { openEncoding } from '../submissions/payload.js';
import { keyCheckMismatch } from '../submissions/key-check.js';
import { latestSubmissions } from '../submissions/store.js';
import type { BrokerKeyring } from '../trust/keys.js';
import { link, type EngineOptions, type EngineProgress, type EngineResult, type EngineSource } from './engine.js';
import {
  linkIncremental,
  modelToStore,
  sortByRecordKey,
  whyNotContinue,
  type IncrementalStats,
  type PreviousRun,
  type StoredModel,
} from './engine-incremental.js';
import {
  decodePairs,
  decodeModel,
  encodePairs,
  encodeModel,
  RUN_STATE_FORMAT,
  settingsChange,
  type RunSettings,
} from './run-state.js';

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

/** Decrypt a stored submission into the engine's input, its records in record-key order (see sortByRecordKey). */
async function loadSource(
  db: Kysely<Database>,
  keys: BrokerKeyring,
  sub: { id: string; agency: string; clk_bits: number; header: Record<string, unknown> | null },
  declared: RunSettings['sources'][number],
): Promise<EngineSource> {
  const rows = await db
    .selectFrom('encoding')
    .select(['row_token', 'field_mask', 'payload'])
    .where('submission_id', '=', sub.id)
    .orderBy('row_token')
    .execute();
  const parts: ReturnType<typeof openEncoding>[] = [];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    parts.push(openEncoding(keys, sub.id, r.row_token, new Uint8Array(r.payload)));
    if (i % 2000 === 1999) await breathe();
  }
  const header = (sub.header ?? {}) as { fieldFilters?: EngineSource['fieldSpecs'] };
  return sortByRecordKey({
    name: sub.agency,
    duplicateFree: declared.duplicateFree,
    ...(declared.population ? { population: declared.population } : {}),
    tokens: rows.map((r) => r.row_token),
    clkBits: sub.clk_bits,
    clks: parts.map((p) => p.clk),
    fieldSpecs: header.fieldFilters ?? [],
    fieldMasks: rows.map((r) => r.field_mask),
    fields: parts.map((p) => p.fields),
    blocks: parts.map((p) => p.blocks),
  });
}

/** The previous completed run's ids, so unchanged people keep their entity and household ids. */
async function previousIds(db: Kysely<Database>, purpose: string, self: string) {
  const prev = await latestCompletedRunOrNull(db, purpose, self);
  const entities = new Map<string, string>();
  const households = new Map<string, string>();
  if (prev) {
    const rows = await db
      .selectFrom('run_record')
      .select(['record_key', 'entity_id', 'household_id'])
      .where('run_id', '=', prev.id)
      .execute();
    for (const r of rows) {
      entities.set(r.record_key, r.entity_id);
      if (r.household_id) households.set(r.entity_id, r.household_id);
    }
  }
  return { entities, households };
}

type Plan = { mode: 'full'; why: string } | { mode: 'incremental'; previous: { id: string; submissionIds: string[] } };

/** Full or incremental, from the request and the previous completed run (its settings only: cheap). */
async function planRun(
  db: Kysely<Database>,
  purpose: string,
  settings: RunSettings,
  requested: RunOptions['mode'],
  self: string,
): Promise<Plan> {
  if (requested === 'full') return { mode: 'full', why: 'a full relink was requested' };
  const prev = await latestCompletedRunOrNull(db, purpose, self);
  if (!prev) return { mode: 'full', why: 'first run for this purpose' };
  const state = await db.selectFrom('run_state').select('settings').where('run_id', '=', prev.id).executeTakeFirst();
  if (!state) return { mode: 'full', why: `the previous run ${prev.id} has no stored state to continue from` };
  const change = settingsChange(state.settings as unknown as RunSettings, settings);
  if (change) return { mode: 'full', why: change };
  return { mode: 'incremental', previous: { id: prev.id, submissionIds: prev.submission_ids } };
}

/** The previous run's state in full, or why it cannot be used. */
async function loadPrevious(
  db: Kysely<Database>,
  prev: { id: string; submissionIds: string[] },
): Promise<PreviousRun | string> {
  const state = await db.selectFrom('run_state').selectAll().where('run_id', '=', prev.id).executeTakeFirst();
  if (!state) return `the previous run ${prev.id} has no stored state to continue from`;
  const rows = await db
    .selectFrom('run_record')
    .select(['record_index', 'record_key', 'entity_id', 'household_id', 'submission_id'])
    .where('run_id', '=', prev.id)
    .orderBy('record_index')
    .execute();
  if (rows.length !== state.record_count || rows.some((r, i) => r.record_index !== i))
    return `the stored state of the previous run ${prev.id} is incomplete`;
  const settings = state.settings as unknown as RunSettings;
  const sourceIndex = new Map(prev.submissionIds.map((id, i) => [id, i]));
  const households = new Map<string, string>();
  for (const r of rows) if (r.household_id) households.set(r.entity_id, r.household_id);
  return {
    runId: prev.id,
    sources: settings.sources,
    sourceOf: Uint16Array.from(rows, (r) => sourceIndex.get(r.submission_id)!),
    recordKeys: rows.map((r) => r.record_key),
    entityIds: rows.map((r) => r.entity_id),
    households,
    pairs: decodePairs(new Uint8Array(state.links)),
    model: decodeModel(state.model),
  };
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

/** A newer attempt took the run over (this one was presumed dead): it must store nothing. */
export class SupersededError extends Error {}

/** Let the event loop breathe during long synchronous loops (decrypting): heartbeats and the API go on. */
const breathe = () => new Promise<void>((r) => setImmediate(r));

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
  const claimed = await db
    .updateTable('run')
    .set((eb) => ({
      status: 'running',
      attempt: eb('attempt', '+', 1),
      worker_id: o.workerId ?? null,
      heartbeat_at: new Date(),
      stage: 'loading',
      progress: null,
      error: null,
    }))
    .where('id', '=', runId)
    .where('status', 'in', ['queued', 'running'])
    .returningAll()
    .executeTakeFirst();
  if (!claimed) {
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
  const attempt = claimed.attempt;
  const mine = <T extends { where: (...a: any[]) => T }>(q: T): T =>
    q.where('id', '=', runId).where('attempt', '=', attempt);
  let superseded = false;
  const beat = async (extra: { stage?: string; progress?: string } = {}) => {
    const r = await mine(db.updateTable('run').set({ heartbeat_at: new Date(), ...extra }))
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) superseded = true;
  };
  // Heartbeats come from a timer: they go on while the engine works in its thread.
  const interval = o.heartbeatMs ?? 1000;
  let pending: Promise<void> = Promise.resolve();
  const queueWrite = (extra?: { stage?: string; progress?: string }) => {
    pending = pending.then(() => beat(extra)).catch(() => {});
  };
  const timer = setInterval(() => queueWrite(), interval);
  timer.unref();
  let lastWrite = 0;
  let latest: EngineProgress | null = null;
  const report = (p: EngineProgress, force = false) => {
    latest = p;
    const now = Date.now();
    if (!force && now - lastWrite < interval) return;
    lastWrite = now;
    const { stage, ...counts } = p;
    queueWrite({ stage, progress: JSON.stringify(counts) });
  };

  const sourcesCount = claimed.submission_ids.length;
  let mode: RunMode = 'full';
  let modeReason = '';
  try {
    const policyRow = await db
      .selectFrom('policy')
      .select('document')
      .where('id', '=', claimed.policy_id)
      .where('version', '=', claimed.policy_version)
      .executeTakeFirst();
    if (!policyRow) throw new Error(`policy ${claimed.policy_id} v${claimed.policy_version} is no longer stored`);
    const doc = policyRow.document as unknown as PolicyDocument;
    const contributors = new Map(doc.contributors.map((c) => [c.agency, c]));
    const byId = new Map(
      (await db.selectFrom('submission').selectAll().where('id', 'in', claimed.submission_ids).execute()).map((s) => [
        s.id,
        s,
      ]),
    );
    const subs = claimed.submission_ids.map((id) => {
      const s = byId.get(id);
      if (!s) throw new Error(`submission ${id} of this run is no longer stored (purged?)`);
      return s;
    });
    const settings: RunSettings = {
      format: RUN_STATE_FORMAT,
      policyId: doc.id,
      policyVersion: doc.version,
      schemaFingerprint: subs[0]!.schema_fingerprint,
      threshold: doc.linkage.threshold,
      // A population is left out when undeclared, as in states stored before populations existed.
      sources: subs.map((s) => {
        const c = contributors.get(s.agency);
        return {
          name: s.agency,
          duplicateFree: c?.duplicateFree ?? false,
          ...(c?.population ? { population: c.population } : {}),
        };
      }),
    };
    const plan = await planRun(db, claimed.purpose, settings, claimed.requested_mode, runId);
    mode = plan.mode;
    modeReason = plan.mode === 'full' ? plan.why : `continues run ${plan.previous.id}`;
    await mine(db.updateTable('run').set({ mode, mode_reason: modeReason })).execute();

    const fingerprints = new Set(subs.map((s) => s.schema_fingerprint));
    if (fingerprints.size > 1) {
      throw new Error(
        `submissions use ${fingerprints.size} different encoding schemas; every agency must encode with the same schema and secret`,
      );
    }
    // Stored submissions passed this check against each other's, but a policy change can bring in a
    // contributor whose current submission never met the others'.
    const keyMismatch = keyCheckMismatch(subs);
    if (keyMismatch) throw new Error(keyMismatch);
    const loading = performance.now();
    const sources: EngineSource[] = [];
    for (const s of subs)
      sources.push(await loadSource(db, keys, s, settings.sources.find((x) => x.name === s.agency)!));
    report({ stage: 'blocking', records: sources.reduce((n, s) => n + s.tokens.length, 0) }, true);
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
    const engineOpts: EngineInput['opts'] = { diceThreshold: doc.linkage.threshold, runId };
    if (!previous) {
      const ids = await previousIds(db, claimed.purpose, runId);
      Object.assign(engineOpts, { previousEntities: ids.entities, previousHouseholds: ids.households });
    }
    const result = await (o.engine ?? inlineEngine)({ sources, previous, opts: engineOpts }, (p) => report(p));
    let stored: StoredModel;
    let incremental: IncrementalStats | undefined;
    if (previous) {
      const inc = (incremental = result.incremental!);
      modeReason =
        `continues run ${previous.runId} (policy ${doc.id} v${doc.version}, same encoding schema, threshold and sources; model fitted in run ${previous.model.fittedIn}): ` +
        `${inc.carried} records carried over, ${inc.added} new or changed, ${inc.removed} removed; ${inc.newPairs} candidate pairs scored, ${inc.carriedPairs} carried over`;
      stored = previous.model;
    } else {
      stored = modelToStore(result, runId);
    }
    if (latest) report({ ...(latest as EngineProgress), stage: 'storing' as EngineProgress['stage'] }, true);

    // Cross-agency links: records whose entity also holds a record of another agency.
    const agenciesOf = new Map<string, Set<number>>();
    result.entityIds.forEach((e, g) => agenciesOf.set(e, (agenciesOf.get(e) ?? new Set()).add(result.sourceOf[g]!)));
    const linked = result.entityIds.filter((e) => agenciesOf.get(e)!.size > 1).length;

    await db.transaction().execute(async (trx) => {
      const storing = performance.now();
      // First, and under the row's lock: only the newest attempt stores. Then whatever an earlier
      // attempt of this run might have stored is replaced, never added to.
      const own = await trx
        .updateTable('run')
        .set({ heartbeat_at: new Date() })
        .where('id', '=', runId)
        .where('attempt', '=', attempt)
        .where('status', '=', 'running')
        .executeTakeFirst();
      if (Number(own.numUpdatedRows) === 0)
        throw new SupersededError(
          `run ${runId}: attempt ${attempt} was taken over by a newer attempt; it stores nothing`,
        );
      await trx.deleteFrom('run_record').where('run_id', '=', runId).execute();
      await trx.deleteFrom('run_event').where('run_id', '=', runId).execute();
      await trx.deleteFrom('run_state').where('run_id', '=', runId).execute();
      let g = 0;
      const rows: Insertable<RunRecordTable>[] = [];
      sources.forEach((s, i) =>
        s.tokens.forEach((token) => {
          rows.push({
            run_id: runId,
            submission_id: subs[i]!.id,
            row_token: token,
            record_key: result.recordKeys[g]!,
            entity_id: result.entityIds[g]!,
            household_id: result.householdIds[g] || null,
            record_index: g,
          });
          g++;
        }),
      );
      for (let k = 0; k < rows.length; k += 2000)
        await trx
          .insertInto('run_record')
          .values(rows.slice(k, k + 2000))
          .execute();
      const events = result.events.map((e, seq) => ({ run_id: runId, seq, kind: e.kind, detail: JSON.stringify(e) }));
      for (let k = 0; k < events.length; k += 2000)
        await trx
          .insertInto('run_event')
          .values(events.slice(k, k + 2000))
          .execute();
      await trx
        .insertInto('run_state')
        .values({
          run_id: runId,
          settings: JSON.stringify(settings),
          model: encodeModel(stored),
          links: encodePairs(result.pairs),
          record_count: rows.length,
        })
        .execute();
      const { model: _model, ...scoring } = result.scoring;
      // The engine's stage times, and the run's own I/O: decrypting and reading, and storing.
      const seconds = { ...result.stats.seconds, load: loadSeconds, store: (performance.now() - storing) / 1000 };
      const stats = { ...result.stats, seconds, ...(incremental ? { incremental } : {}) };
      const progress = {
        records: result.stats.records,
        candidatePairs: result.stats.candidatePairs,
        pairsScored: result.stats.candidatePairs,
        entities: result.stats.entities,
      };
      await trx
        .updateTable('run')
        .set({
          status: 'completed',
          matched_pairs: linked,
          finished_at: new Date(),
          scoring: JSON.stringify(scoring),
          stats: JSON.stringify(stats),
          mode,
          mode_reason: modeReason,
          stage: 'done',
          progress: JSON.stringify(progress),
        })
        .where('id', '=', runId)
        .execute();
    });
    return { runId, status: 'completed', sources: sourcesCount, matchedPairs: linked, mode, modeReason };
  } catch (err) {
    if (err instanceof SupersededError || superseded)
      throw err instanceof SupersededError
        ? err
        : new SupersededError(`run ${runId}: attempt ${attempt} was taken over by a newer attempt`);
    const error = err instanceof Error ? err.message : String(err);
    await mine(
      db
        .updateTable('run')
        .set({ status: 'failed', error, finished_at: new Date(), mode, mode_reason: modeReason, stage: 'failed' }),
    ).execute();
    return { runId, status: 'failed', sources: sourcesCount, matchedPairs: 0, mode, modeReason, error };
  } finally {
    clearInterval(timer);
    await pending;
  }
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

/** The newest completed run of a purpose, other than `except` (a run never continues itself). */
async function latestCompletedRunOrNull(db: Kysely<Database>, purpose: string, except?: string) {
  let q = db.selectFrom('run').selectAll().where('purpose', '=', purpose).where('status', '=', 'completed');
  if (except) q = q.where('id', '!=', except);
  return q.orderBy('started_at', 'desc').limit(1).executeTakeFirst();
}

/** The newest completed run for a purpose, or a 409 naming what to do. */
export async function latestCompletedRun(db: Kysely<Database>, purpose: string) {
  const run = await latestCompletedRunOrNull(db, purpose);
  if (!run) throw new ProtocolError('no-linkage-run', `purpose ${purpose} has no completed linkage run yet`);
  return run;
}
