/**
 * A run's persist stage: its records, id events and the state the next run continues from, and the
 * run row completed, in one transaction that first checks this is still the newest attempt and
 * deletes anything stored under the run id, so a run is stored once, whole.
 */
import type { Insertable, Kysely, Transaction } from 'kysely';
import type { Database, RunRecordTable } from '../db/schema.js';
import type { IncrementalStats, StoredModel } from '../linkage/engine-incremental.js';
import { SupersededError } from './attempt.js';
import type { PartitionWork } from './partitions.js';
import { encodeModel, encodePairs, type RunSettings } from './state.js';
import type { EngineResult, EngineSource } from '../linkage/types.js';

/** Rows per insert statement. */
const BATCH = 2000;

/** Records whose entity also holds a record of another agency: the run's cross-agency links. */
export function crossAgencyLinks(result: Pick<EngineResult, 'entityIds' | 'sourceOf'>): number {
  const agenciesOf = new Map<string, Set<number>>();
  result.entityIds.forEach((e, g) => {
    agenciesOf.set(e, (agenciesOf.get(e) ?? new Set()).add(result.sourceOf[g]!));
  });
  return result.entityIds.filter((e) => agenciesOf.get(e)!.size > 1).length;
}

export interface RunToStore {
  runId: string;
  attempt: number;
  sources: EngineSource[];
  /** Submission id per source. */
  submissionIds: string[];
  settings: RunSettings;
  model: StoredModel;
  result: EngineResult;
  incremental: IncrementalStats | undefined;
  linked: number;
  mode: 'full' | 'incremental';
  modeReason: string;
  /** Seconds the run spent decrypting and reading its inputs. */
  loadSeconds: number;
  /** A full run's partitions: which worker computed each, in how many jobs (kept in the run's stats). */
  partitions?: PartitionWork[];
  /** Who weighed each partition's pairs, in how many jobs, and how many pairs they kept. */
  scored?: PartitionWork[];
}

export async function storeRun(db: Kysely<Database>, run: RunToStore): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const storing = performance.now();
    await claimStore(trx, run.runId, run.attempt);
    const records = await storeRecords(trx, run);
    await trx
      .insertInto('run_state')
      .values({
        run_id: run.runId,
        settings: JSON.stringify(run.settings),
        model: encodeModel(run.model),
        links: encodePairs(run.result.pairs),
        record_count: records,
      })
      .execute();
    await completeRun(trx, run, (performance.now() - storing) / 1000);
  });
}

/**
 * First, and under the row's lock: only the newest attempt stores. Then whatever an earlier attempt
 * of this run might have stored is replaced, never added to.
 */
async function claimStore(trx: Transaction<Database>, runId: string, attempt: number): Promise<void> {
  const own = await trx
    .updateTable('run')
    .set({ heartbeat_at: new Date() })
    .where('id', '=', runId)
    .where('attempt', '=', attempt)
    .where('status', '=', 'running')
    .executeTakeFirst();
  if (Number(own.numUpdatedRows) === 0)
    throw new SupersededError(`run ${runId}: attempt ${attempt} was taken over by a newer attempt; it stores nothing`);
  await trx.deleteFrom('run_record').where('run_id', '=', runId).execute();
  await trx.deleteFrom('run_event').where('run_id', '=', runId).execute();
  await trx.deleteFrom('run_state').where('run_id', '=', runId).execute();
  // The partitions' results are in what is stored now: intermediate data goes with the run's completion.
  await trx.deleteFrom('run_partition').where('run_id', '=', runId).execute();
}

/** Every record with its entity and household, and the id events; returns the records stored. */
async function storeRecords(trx: Transaction<Database>, run: RunToStore): Promise<number> {
  const { runId, result } = run;
  let g = 0;
  const rows: Insertable<RunRecordTable>[] = [];
  run.sources.forEach((s, i) => {
    for (const token of s.tokens) {
      rows.push({
        run_id: runId,
        submission_id: run.submissionIds[i]!,
        row_token: token,
        record_key: result.recordKeys[g]!,
        entity_id: result.entityIds[g]!,
        household_id: result.householdIds[g] || null,
        record_index: g,
      });
      g++;
    }
  });
  for (let k = 0; k < rows.length; k += BATCH)
    await trx
      .insertInto('run_record')
      .values(rows.slice(k, k + BATCH))
      .execute();
  const events = result.events.map((e, seq) => ({ run_id: runId, seq, kind: e.kind, detail: JSON.stringify(e) }));
  for (let k = 0; k < events.length; k += BATCH)
    await trx
      .insertInto('run_event')
      .values(events.slice(k, k + BATCH))
      .execute();
  return rows.length;
}

async function completeRun(trx: Transaction<Database>, run: RunToStore, storeSeconds: number): Promise<void> {
  const { result, incremental } = run;
  const { model: _model, ...scoring } = result.scoring;
  // The engine's stage times, and the run's own I/O: decrypting and reading, and storing.
  const seconds = { ...result.stats.seconds, load: run.loadSeconds, store: storeSeconds };
  const stats = {
    ...result.stats,
    seconds,
    ...(incremental ? { incremental } : {}),
    ...(result.estimates ? { estimates: result.estimates } : {}),
    ...(run.partitions ? { partitions: run.partitions } : {}),
    ...(run.scored ? { scored: run.scored } : {}),
  };
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
      matched_pairs: run.linked,
      finished_at: new Date(),
      scoring: JSON.stringify(scoring),
      stats: JSON.stringify(stats),
      mode: run.mode,
      mode_reason: run.modeReason,
      stage: 'done',
      progress: JSON.stringify(progress),
    })
    .where('id', '=', run.runId)
    .execute();
}
