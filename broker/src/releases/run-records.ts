import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { openEncoding } from '../submissions/payload.js';
import type { BrokerKeyring } from '../trust/keys.js';
import { dice } from '../linkage/kernel/index.js';

/** One record of a completed run, as the release forms see it: never any identifier in clear. */
export interface RunRecord {
  agency: string;
  submissionId: string;
  token: string;
  entityId: string;
  householdId: string | null;
  attributes: Record<string, string | boolean> | null;
  /** Address-level field filters (only when asked for): for residency checks. */
  address?: { postcode: Uint8Array | null; address: Uint8Array | null };
  /** Named field filters present on the record (only when asked for), with their flip probability. */
  fields?: Record<string, { filter: Uint8Array; flip: number }>;
}

/** One field's filter out of a record's packed field filters (null when the record lacks it). */
export function fieldFilter(
  fields: Uint8Array | null,
  mask: number,
  specs: { field: string; bits: number }[],
  name: string,
): Uint8Array | null {
  const k = specs.findIndex((s) => s.field === name);
  if (k < 0 || !fields || !(mask & (1 << k))) return null;
  let at = 0;
  for (let i = 0; i < k; i++) if (mask & (1 << i)) at += specs[i]!.bits / 8;
  return fields.subarray(at, at + specs[k]!.bits / 8);
}

/** A run's records with their agency, submission header and stored encoding (still sealed). */
export function runRecordRows(db: Kysely<Database>, runId: string) {
  return db
    .selectFrom('run_record')
    .innerJoin('submission', 'submission.id', 'run_record.submission_id')
    .innerJoin('encoding', (j) =>
      j
        .onRef('encoding.submission_id', '=', 'run_record.submission_id')
        .onRef('encoding.row_token', '=', 'run_record.row_token'),
    )
    .select([
      'submission.agency',
      'submission.header',
      'run_record.submission_id',
      'run_record.row_token',
      'run_record.record_key',
      'run_record.entity_id',
      'run_record.household_id',
      'encoding.field_mask',
      'encoding.payload',
    ])
    .where('run_record.run_id', '=', runId);
}

/**
 * Records opened between two turns of the event loop. Opening is synchronous (a decryption each);
 * 321,670 of them in one go held the API for seconds, so the API answers between batches.
 */
const OPEN_BATCH = 500;

/** Every record of a run, decrypted only as far as the form needs (attributes, address filters). */
export async function loadRunRecords(
  db: Kysely<Database>,
  keys: BrokerKeyring,
  runId: string,
  opts: { payload: boolean; addresses?: boolean; fields?: readonly string[]; agencies?: readonly string[] },
): Promise<RunRecord[]> {
  let query = runRecordRows(db, runId);
  if (opts.agencies) {
    if (opts.agencies.length === 0) return [];
    query = query.where('submission.agency', 'in', opts.agencies);
  }
  const rows = await query.execute();
  const out: RunRecord[] = [];
  for (let from = 0; from < rows.length; from += OPEN_BATCH) {
    if (from > 0) await nextTurn();
    for (const r of rows.slice(from, from + OPEN_BATCH)) out.push(openRecord(keys, r, opts));
  }
  return out;
}

type RunRecordRow = Awaited<ReturnType<ReturnType<typeof runRecordRows>['execute']>>[number];

function openRecord(
  keys: BrokerKeyring,
  r: RunRecordRow,
  opts: { payload: boolean; addresses?: boolean; fields?: readonly string[] },
): RunRecord {
  const rec: RunRecord = {
    agency: r.agency,
    submissionId: r.submission_id,
    token: r.row_token,
    entityId: r.entity_id,
    householdId: r.household_id,
    attributes: null,
  };
  if (opts.payload) {
    const parts = openEncoding(keys, r.submission_id, r.row_token, new Uint8Array(r.payload));
    rec.attributes = parts.attributes;
    const specs =
      ((r.header ?? {}) as { fieldFilters?: { field: string; bits: number; flip?: number }[] }).fieldFilters ?? [];
    for (const name of opts.fields ?? []) {
      const filter = fieldFilter(parts.fields, r.field_mask, specs, name);
      if (!filter) continue;
      rec.fields ??= {};
      rec.fields[name] = { filter, flip: specs.find((s) => s.field === name)!.flip ?? 0 };
    }
    if (opts.addresses) {
      rec.address = {
        postcode: fieldFilter(parts.fields, r.field_mask, specs, 'postcode'),
        address: fieldFilter(parts.fields, r.field_mask, specs, 'address'),
      };
    }
  }
  return rec;
}

/** Same place: identical postcode encoding and address encodings at least this alike. */
export function samePlace(a: RunRecord['address'], b: RunRecord['address'], threshold = 0.9): boolean {
  if (!a?.postcode || !b?.postcode || !a.address || !b.address) return false;
  return (
    Buffer.compare(Buffer.from(a.postcode), Buffer.from(b.postcode)) === 0 && dice(a.address, b.address) >= threshold
  );
}
