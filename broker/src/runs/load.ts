/**
 * A run's load stage: what it links (the policy version and submissions fixed when it was queued,
 * decrypted into the engine's input), whether it can continue the previous run, and that run's
 * stored state or ids. Database reads only; the engine itself does no I/O.
 */
import type { Kysely } from 'kysely';
import type { PolicyDocument } from '@blindlink/policies';
import type { Database } from '../db/schema.js';
import { keyCheckMismatch } from '../submissions/key-check.js';
import { openEncoding } from '../submissions/payload.js';
import type { BrokerKeyring } from '../trust/keys.js';
import { sortByRecordKey, type PreviousRun } from '../linkage/engine-incremental.js';
import { decodeModel, decodePairs, RUN_STATE_FORMAT, settingsChange, type RunSettings } from './state.js';
import type { EngineSource } from '../linkage/types.js';
import { sourceCache, sourceVersion } from './source-cache.js';

/** Let the event loop breathe during long synchronous loops (decrypting): heartbeats and the API go on. */
const breathe = () => new Promise<void>((r) => setImmediate(r));

/** Decrypt a stored submission into the engine's input, its records in record-key order (see sortByRecordKey). */
export async function loadSource(
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
export async function previousIds(db: Kysely<Database>, purpose: string, self: string) {
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

export type Plan =
  | { mode: 'full'; why: string }
  | { mode: 'incremental'; previous: { id: string; submissionIds: string[] } };

/** Full or incremental, from the request and the previous completed run (its settings only: cheap). */
export async function planRun(
  db: Kysely<Database>,
  purpose: string,
  settings: RunSettings,
  requested: 'full' | 'auto' | undefined,
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
export async function loadPrevious(
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

/** The newest completed run of a purpose, other than `except` (a run never continues itself). */
export async function latestCompletedRunOrNull(db: Kysely<Database>, purpose: string, except?: string) {
  let q = db.selectFrom('run').selectAll().where('purpose', '=', purpose).where('status', '=', 'completed');
  if (except) q = q.where('id', '!=', except);
  return q.orderBy('started_at', 'desc').limit(1).executeTakeFirst();
}

/** The submission rows a run links, as the database returns them. */
export type RunSubmission = Awaited<ReturnType<typeof runSubmissions>>[number];

async function runSubmissions(db: Kysely<Database>, ids: string[]) {
  const byId = new Map(
    (await db.selectFrom('submission').selectAll().where('id', 'in', ids).execute()).map((s) => [s.id, s]),
  );
  return ids.map((id) => {
    const s = byId.get(id);
    if (!s) throw new Error(`submission ${id} of this run is no longer stored (purged?)`);
    return s;
  });
}

/**
 * What a queued run links: its policy version, its submissions, and the settings a run continuing
 * it must share (see run-state.ts).
 */
export async function runInputs(
  db: Kysely<Database>,
  run: { policy_id: string; policy_version: number; submission_ids: string[] },
): Promise<{ doc: PolicyDocument; subs: RunSubmission[]; settings: RunSettings }> {
  const policyRow = await db
    .selectFrom('policy')
    .select('document')
    .where('id', '=', run.policy_id)
    .where('version', '=', run.policy_version)
    .executeTakeFirst();
  if (!policyRow) throw new Error(`policy ${run.policy_id} v${run.policy_version} is no longer stored`);
  const doc = policyRow.document as unknown as PolicyDocument;
  const contributors = new Map(doc.contributors.map((c) => [c.agency, c]));
  const subs = await runSubmissions(db, run.submission_ids);
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
  return { doc, subs, settings };
}

/** Every submission must be encoded with one schema and one secret, or the run cannot compare them. */
export function checkEncodings(subs: RunSubmission[]): void {
  const fingerprints = new Set(subs.map((s) => s.schema_fingerprint));
  if (fingerprints.size > 1) {
    throw new Error(
      `submissions use ${fingerprints.size} different encoding schemas; every agency must encode with the same ` +
        'schema and secret',
    );
  }
  // Stored submissions passed this check against each other's, but a policy change can bring in a
  // contributor whose current submission never met the others'.
  const keyMismatch = keyCheckMismatch(subs);
  if (keyMismatch) throw new Error(keyMismatch);
}

/**
 * Every submission decrypted into the engine's input, in the run's order; each decrypted once per
 * worker process while it stays in the source cache (source-cache.ts), the run's own declarations
 * (duplicate-free, population) applied afresh.
 */
export async function loadSources(
  db: Kysely<Database>,
  keys: BrokerKeyring,
  subs: RunSubmission[],
  settings: RunSettings,
): Promise<EngineSource[]> {
  const sources: EngineSource[] = [];
  for (const s of subs) {
    const declared = settings.sources.find((x) => x.name === s.agency)!;
    let source = sourceCache.get(s);
    if (!source) {
      source = await loadSource(db, keys, s, { name: declared.name, duplicateFree: false });
      sourceCache.set(s, source);
    }
    const { population: _, ...decrypted } = source;
    sources.push({
      ...decrypted,
      version: sourceVersion(s),
      duplicateFree: declared.duplicateFree,
      ...(declared.population ? { population: declared.population } : {}),
    });
  }
  return sources;
}
