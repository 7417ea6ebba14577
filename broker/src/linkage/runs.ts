import { randomUUID } from 'node:crypto';
import type { Insertable, Kysely } from 'kysely';
import { inForce } from '@blindlink/policies';
import { ProtocolError } from '@blindlink/protocol';
import type { Database, RunRecordTable } from '../db/schema.js';
import { refusal } from '../policies/judge.js';
import { policyInForce } from '../policies/store.js';
import { openEncoding } from '../submissions/payload.js';
import { keyCheckMismatch } from '../submissions/key-check.js';
import { latestSubmissions } from '../submissions/store.js';
import type { BrokerKeyring } from '../trust/keys.js';
import { link, type EngineResult, type EngineSource } from './engine.js';
import { linkIncremental, modelToStore, sortByRecordKey, whyNotContinue, type IncrementalStats, type PreviousRun, type StoredModel } from './engine-incremental.js';
import { decodePairs, decodeModel, encodePairs, encodeModel, RUN_STATE_FORMAT, settingsChange, type RunSettings } from './run-state.js';

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
async function loadSource(db: Kysely<Database>, keys: BrokerKeyring, sub: { id: string; agency: string; clk_bits: number; header: Record<string, unknown> | null }, declared: RunSettings['sources'][number]): Promise<EngineSource> {
  const rows = await db.selectFrom('encoding').select(['row_token', 'field_mask', 'payload']).where('submission_id', '=', sub.id).orderBy('row_token').execute();
  const parts = rows.map((r) => openEncoding(keys, sub.id, r.row_token, new Uint8Array(r.payload)));
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
async function previousIds(db: Kysely<Database>, purpose: string) {
  const prev = await latestCompletedRunOrNull(db, purpose);
  const entities = new Map<string, string>();
  const households = new Map<string, string>();
  if (prev) {
    const rows = await db.selectFrom('run_record').select(['record_key', 'entity_id', 'household_id']).where('run_id', '=', prev.id).execute();
    for (const r of rows) {
      entities.set(r.record_key, r.entity_id);
      if (r.household_id) households.set(r.entity_id, r.household_id);
    }
  }
  return { entities, households };
}

type Plan = { mode: 'full'; why: string } | { mode: 'incremental'; previous: { id: string; submissionIds: string[] } };

/** Full or incremental, from the request and the previous completed run (its settings only: cheap). */
async function planRun(db: Kysely<Database>, purpose: string, settings: RunSettings, requested: RunOptions['mode']): Promise<Plan> {
  if (requested === 'full') return { mode: 'full', why: 'a full relink was requested' };
  const prev = await latestCompletedRunOrNull(db, purpose);
  if (!prev) return { mode: 'full', why: 'first run for this purpose' };
  const state = await db.selectFrom('run_state').select('settings').where('run_id', '=', prev.id).executeTakeFirst();
  if (!state) return { mode: 'full', why: `the previous run ${prev.id} has no stored state to continue from` };
  const change = settingsChange(state.settings as unknown as RunSettings, settings);
  if (change) return { mode: 'full', why: change };
  return { mode: 'incremental', previous: { id: prev.id, submissionIds: prev.submission_ids } };
}

/** The previous run's state in full, or why it cannot be used. */
async function loadPrevious(db: Kysely<Database>, prev: { id: string; submissionIds: string[] }): Promise<PreviousRun | string> {
  const state = await db.selectFrom('run_state').selectAll().where('run_id', '=', prev.id).executeTakeFirst();
  if (!state) return `the previous run ${prev.id} has no stored state to continue from`;
  const rows = await db
    .selectFrom('run_record')
    .select(['record_index', 'record_key', 'entity_id', 'household_id', 'submission_id'])
    .where('run_id', '=', prev.id)
    .orderBy('record_index')
    .execute();
  if (rows.length !== state.record_count || rows.some((r, i) => r.record_index !== i)) return `the stored state of the previous run ${prev.id} is incomplete`;
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

/**
 * Link the latest submission of every contributing agency for a purpose. When the previous
 * completed run was made with the same policy version, encoding schema, threshold and sources, this
 * run continues it (engine-incremental.ts); otherwise, or when asked, it relinks everything and
 * fits a new model. The run row is written first as 'running', so a crash leaves a visible run that
 * restart marks failed; results and the state the next run continues from are stored in one
 * transaction with the 'completed' status, so a run is never half-stored.
 */
export async function runLinkage(db: Kysely<Database>, keys: BrokerKeyring, purpose: string, opts: RunOptions = {}): Promise<RunResult> {
  const policy = await policyInForce(db, purpose, opts.at ?? new Date());
  const doc = policy.document;
  if (!policy.approval) throw refusal({ policyId: doc.id, policyVersion: doc.version, rule: 'approval', reason: `policy ${doc.id} v${doc.version}: not approved by an IG lead, so not in force` });
  // policyInForce falls back to the newest version when none is in date: a run needs one that is.
  if (!inForce(doc, opts.at ?? new Date())) {
    throw refusal({ policyId: doc.id, policyVersion: doc.version, rule: 'validity', reason: `policy ${doc.id} v${doc.version}: not in force (valid ${doc.validFrom} to ${doc.validUntil})` });
  }
  const contributors = new Map(doc.contributors.map((c) => [c.agency, c]));
  const subs = (await latestSubmissions(db, purpose)).filter((s) => contributors.has(s.agency));
  if (subs.length < 2) {
    throw new ProtocolError('no-submission', `purpose ${purpose} needs submissions from at least two contributing agencies to link; it has ${subs.length}`);
  }
  const settings: RunSettings = {
    format: RUN_STATE_FORMAT,
    policyId: doc.id,
    policyVersion: doc.version,
    schemaFingerprint: subs[0]!.schema_fingerprint,
    threshold: doc.linkage.threshold,
    // A population is left out when undeclared, as in states stored before populations existed.
    sources: subs.map((s) => {
      const c = contributors.get(s.agency)!;
      return { name: s.agency, duplicateFree: c.duplicateFree ?? false, ...(c.population ? { population: c.population } : {}) };
    }),
  };
  const plan = await planRun(db, purpose, settings, opts.mode);
  let mode: RunMode = plan.mode;
  let modeReason = plan.mode === 'full' ? plan.why : `continues run ${plan.previous.id}`;
  const runId = randomUUID();
  await db
    .insertInto('run')
    .values({
      id: runId,
      purpose,
      status: 'running',
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
      mode,
      mode_reason: modeReason,
    })
    .execute();

  try {
    const fingerprints = new Set(subs.map((s) => s.schema_fingerprint));
    if (fingerprints.size > 1) {
      throw new Error(`submissions use ${fingerprints.size} different encoding schemas; every agency must encode with the same schema and secret`);
    }
    // Stored submissions passed this check against each other's, but a policy change can bring in a
    // contributor whose current submission never met the others'.
    const keyMismatch = keyCheckMismatch(subs);
    if (keyMismatch) throw new Error(keyMismatch);
    const loading = performance.now();
    const sources = await Promise.all(subs.map((s) => loadSource(db, keys, s, settings.sources.find((x) => x.name === s.agency)!)));
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
    let result: EngineResult;
    let stored: StoredModel;
    let incremental: IncrementalStats | undefined;
    if (previous) {
      const r = linkIncremental(sources, previous, { diceThreshold: doc.linkage.threshold, runId });
      const inc = (incremental = r.incremental);
      modeReason =
        `continues run ${previous.runId} (policy ${doc.id} v${doc.version}, same encoding schema, threshold and sources; model fitted in run ${previous.model.fittedIn}): ` +
        `${inc.carried} records carried over, ${inc.added} new or changed, ${inc.removed} removed; ${inc.newPairs} candidate pairs scored, ${inc.carriedPairs} carried over`;
      result = r;
      stored = previous.model;
    } else {
      const ids = await previousIds(db, purpose);
      result = link(sources, { diceThreshold: doc.linkage.threshold, runId, previousEntities: ids.entities, previousHouseholds: ids.households });
      stored = modelToStore(result, runId);
    }

    // Cross-agency links: records whose entity also holds a record of another agency.
    const agenciesOf = new Map<string, Set<number>>();
    result.entityIds.forEach((e, g) => agenciesOf.set(e, (agenciesOf.get(e) ?? new Set()).add(result.sourceOf[g]!)));
    const linked = result.entityIds.filter((e) => agenciesOf.get(e)!.size > 1).length;

    await db.transaction().execute(async (trx) => {
      const storing = performance.now();
      let g = 0;
      const rows: Insertable<RunRecordTable>[] = [];
      sources.forEach((s, i) =>
        s.tokens.forEach((token) => {
          rows.push({ run_id: runId, submission_id: subs[i]!.id, row_token: token, record_key: result.recordKeys[g]!, entity_id: result.entityIds[g]!, household_id: result.householdIds[g] || null, record_index: g });
          g++;
        }),
      );
      for (let k = 0; k < rows.length; k += 2000) await trx.insertInto('run_record').values(rows.slice(k, k + 2000)).execute();
      const events = result.events.map((e, seq) => ({ run_id: runId, seq, kind: e.kind, detail: JSON.stringify(e) }));
      for (let k = 0; k < events.length; k += 2000) await trx.insertInto('run_event').values(events.slice(k, k + 2000)).execute();
      await trx
        .insertInto('run_state')
        .values({ run_id: runId, settings: JSON.stringify(settings), model: encodeModel(stored), links: encodePairs(result.pairs), record_count: rows.length })
        .execute();
      const { model: _model, ...scoring } = result.scoring;
      // The engine's stage times, and the run's own I/O: decrypting and reading, and storing.
      const seconds = { ...result.stats.seconds, load: loadSeconds, store: (performance.now() - storing) / 1000 };
      const stats = { ...result.stats, seconds, ...(incremental ? { incremental } : {}) };
      await trx
        .updateTable('run')
        .set({ status: 'completed', matched_pairs: linked, finished_at: new Date(), scoring: JSON.stringify(scoring), stats: JSON.stringify(stats), mode, mode_reason: modeReason })
        .where('id', '=', runId)
        .execute();
    });
    return { runId, status: 'completed', sources: subs.length, matchedPairs: linked, mode, modeReason };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    await db.updateTable('run').set({ status: 'failed', error, finished_at: new Date(), mode, mode_reason: modeReason }).where('id', '=', runId).execute();
    return { runId, status: 'failed', sources: subs.length, matchedPairs: 0, mode, modeReason, error };
  }
}

async function latestCompletedRunOrNull(db: Kysely<Database>, purpose: string) {
  return db.selectFrom('run').selectAll().where('purpose', '=', purpose).where('status', '=', 'completed').orderBy('started_at', 'desc').limit(1).executeTakeFirst();
}

/** The newest completed run for a purpose, or a 409 naming what to do. */
export async function latestCompletedRun(db: Kysely<Database>, purpose: string) {
  const run = await latestCompletedRunOrNull(db, purpose);
  if (!run) throw new ProtocolError('no-linkage-run', `purpose ${purpose} has no completed linkage run yet`);
  return run;
}
