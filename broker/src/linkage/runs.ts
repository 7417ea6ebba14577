import { randomUUID } from 'node:crypto';
import type { Insertable, Kysely } from 'kysely';
import { ProtocolError } from '@blindlink/protocol';
import type { Database, RunRecordTable } from '../db/schema.js';
import { refusal } from '../policies/judge.js';
import { policyInForce } from '../policies/store.js';
import { openEncoding } from '../submissions/payload.js';
import { latestSubmissions } from '../submissions/store.js';
import type { BrokerKeyring } from '../trust/keys.js';
import { link, type EngineSource } from './engine.js';

export interface RunResult {
  runId: string;
  status: 'completed' | 'failed';
  sources: number;
  /** Records that share their entity with a record of another source (links across agencies). */
  matchedPairs: number;
  error?: string;
}

/** Decrypt a stored submission into the engine's input. */
async function loadSource(db: Kysely<Database>, keys: BrokerKeyring, sub: { id: string; agency: string; clk_bits: number; header: Record<string, unknown> | null }, duplicateFree: boolean): Promise<EngineSource> {
  const rows = await db.selectFrom('encoding').select(['row_token', 'field_mask', 'payload']).where('submission_id', '=', sub.id).orderBy('row_token').execute();
  const parts = rows.map((r) => openEncoding(keys, sub.id, r.row_token, new Uint8Array(r.payload)));
  const header = (sub.header ?? {}) as { fieldFilters?: EngineSource['fieldSpecs'] };
  return {
    name: sub.agency,
    duplicateFree,
    tokens: rows.map((r) => r.row_token),
    clkBits: sub.clk_bits,
    clks: parts.map((p) => p.clk),
    fieldSpecs: header.fieldFilters ?? [],
    fieldMasks: rows.map((r) => r.field_mask),
    fields: parts.map((p) => p.fields),
    blocks: parts.map((p) => p.blocks),
  };
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

/**
 * Link the latest submission of every contributing agency for a purpose with the engine. The run row
 * is written first as 'running', so a crash leaves a visible run that restart marks failed; results
 * are stored in one transaction with the 'completed' status, so a run is never half-stored.
 */
export async function runLinkage(db: Kysely<Database>, keys: BrokerKeyring, purpose: string, at = new Date()): Promise<RunResult> {
  const policy = await policyInForce(db, purpose, at);
  const doc = policy.document;
  if (!policy.approval) throw refusal({ policyId: doc.id, policyVersion: doc.version, rule: 'approval', reason: `policy ${doc.id} v${doc.version}: not approved by an IG lead, so not in force` });
  const contributors = new Map(doc.contributors.map((c) => [c.agency, c]));
  const subs = (await latestSubmissions(db, purpose)).filter((s) => contributors.has(s.agency));
  if (subs.length < 2) {
    throw new ProtocolError('no-submission', `purpose ${purpose} needs submissions from at least two contributing agencies to link; it has ${subs.length}`);
  }
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
    })
    .execute();

  try {
    const fingerprints = new Set(subs.map((s) => s.schema_fingerprint));
    if (fingerprints.size > 1) {
      throw new Error(`submissions use ${fingerprints.size} different encoding schemas; every agency must encode with the same schema and secret`);
    }
    const sources = await Promise.all(subs.map((s) => loadSource(db, keys, s, contributors.get(s.agency)!.duplicateFree ?? false)));
    const previous = await previousIds(db, purpose);
    const result = link(sources, { diceThreshold: doc.linkage.threshold, runId, previousEntities: previous.entities, previousHouseholds: previous.households });

    // Cross-agency links: records whose entity also holds a record of another agency.
    const agenciesOf = new Map<string, Set<number>>();
    result.entityIds.forEach((e, g) => agenciesOf.set(e, (agenciesOf.get(e) ?? new Set()).add(result.sourceOf[g]!)));
    const linked = result.entityIds.filter((e) => agenciesOf.get(e)!.size > 1).length;

    await db.transaction().execute(async (trx) => {
      let g = 0;
      const rows: Insertable<RunRecordTable>[] = [];
      sources.forEach((s, i) =>
        s.tokens.forEach((token) => {
          rows.push({ run_id: runId, submission_id: subs[i]!.id, row_token: token, record_key: result.recordKeys[g]!, entity_id: result.entityIds[g]!, household_id: result.householdIds[g] || null });
          g++;
        }),
      );
      for (let k = 0; k < rows.length; k += 2000) await trx.insertInto('run_record').values(rows.slice(k, k + 2000)).execute();
      const events = result.events.map((e, seq) => ({ run_id: runId, seq, kind: e.kind, detail: JSON.stringify(e) }));
      for (let k = 0; k < events.length; k += 2000) await trx.insertInto('run_event').values(events.slice(k, k + 2000)).execute();
      const { model: _model, ...scoring } = result.scoring;
      await trx
        .updateTable('run')
        .set({ status: 'completed', matched_pairs: linked, finished_at: new Date(), scoring: JSON.stringify(scoring), stats: JSON.stringify(result.stats) })
        .where('id', '=', runId)
        .execute();
    });
    return { runId, status: 'completed', sources: subs.length, matchedPairs: linked };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    await db.updateTable('run').set({ status: 'failed', error, finished_at: new Date() }).where('id', '=', runId).execute();
    return { runId, status: 'failed', sources: subs.length, matchedPairs: 0, error };
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
