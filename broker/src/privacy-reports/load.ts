/**
 * A stored submission as the privacy attacks read it: decrypted back into encoded records (row token,
 * CLK, field filters by name), in bounded memory. Above REPORT_SAMPLE records a seeded sample is read
 * (the rows whose md5(row token) sorts first: the database picks them, the broker never holds the
 * rest), and the report says so.
 */
import { sql, type Kysely } from 'kysely';
import type { EncodedHeader, EncodedRecord } from '@blindlink/protocol';
import type { Database } from '../db/schema.js';
import type { PrivacySource } from '../privacy/report.js';
import { openEncoding } from '../submissions/payload.js';
import type { BrokerKeyring } from '../trust/keys.js';

/**
 * Records a report reads at most per submission: every attack's cost is bounded by it (about 10 s of
 * CPU at this size, docs/privacy-report.md "Time"), and the heap holds this many records at most.
 */
export const REPORT_SAMPLE = 50_000;
const PAGE = 2000;

const breathe = () => new Promise<void>((r) => setImmediate(r));

export class SubmissionGoneError extends Error {}

export interface ReportSource {
  source: PrivacySource;
  /** Records the submission holds (source.records may be a sample of them). */
  total: number;
}

/** One stored row back as an encoded record: field filters unpacked by the header's layout and mask. */
function toRecord(
  keys: BrokerKeyring,
  submissionId: string,
  specs: readonly { field: string; bits: number }[],
  row: { row_token: string; field_mask: number; payload: Uint8Array },
): EncodedRecord {
  const parts = openEncoding(keys, submissionId, row.row_token, new Uint8Array(row.payload));
  const record: EncodedRecord = { token: row.row_token, clk: Buffer.from(parts.clk).toString('base64') };
  if (parts.fields) {
    const fields: Record<string, string> = {};
    let at = 0;
    specs.forEach((spec, k) => {
      if (!(row.field_mask & (1 << k))) return;
      const n = spec.bits / 8;
      fields[spec.field] = Buffer.from(parts.fields!.subarray(at, at + n)).toString('base64');
      at += n;
    });
    record.fields = fields;
  }
  return record;
}

export async function loadReportSource(
  db: Kysely<Database>,
  keys: BrokerKeyring,
  submissionId: string,
  limit = REPORT_SAMPLE,
): Promise<ReportSource> {
  const sub = await db
    .selectFrom('submission')
    .select(['id', 'agency', 'record_count', 'header'])
    .where('id', '=', submissionId)
    .executeTakeFirst();
  if (!sub) throw new SubmissionGoneError(`submission ${submissionId} is no longer stored`);
  const header = sub.header as unknown as EncodedHeader | null;
  if (!header) throw new Error(`submission ${submissionId} was stored without its header`);
  const specs = header.fieldFilters ?? [];
  const records: EncodedRecord[] = [];
  const columns = ['row_token', 'field_mask', 'payload'] as const;
  if (sub.record_count <= limit) {
    // Every row, a page at a time in row-token order.
    let after = '';
    for (;;) {
      const page = await db
        .selectFrom('encoding')
        .select(columns)
        .where('submission_id', '=', submissionId)
        .where('row_token', '>', after)
        .orderBy('row_token')
        .limit(PAGE)
        .execute();
      for (const r of page) records.push(toRecord(keys, submissionId, specs, r));
      if (page.length < PAGE) break;
      after = page.at(-1)!.row_token;
      await breathe();
    }
  } else {
    const chosen = (
      await sql<{ row_token: string }>`select row_token from encoding where submission_id = ${submissionId}
        order by md5(row_token), row_token limit ${limit}`.execute(db)
    ).rows.map((r) => r.row_token);
    for (let i = 0; i < chosen.length; i += PAGE) {
      const page = await db
        .selectFrom('encoding')
        .select(columns)
        .where('submission_id', '=', submissionId)
        .where('row_token', 'in', chosen.slice(i, i + PAGE))
        .orderBy('row_token')
        .execute();
      for (const r of page) records.push(toRecord(keys, submissionId, specs, r));
      await breathe();
    }
  }
  // Code-unit order, whatever the database's collation: the same rows give the same report anywhere.
  records.sort((a, b) => (a.token < b.token ? -1 : a.token > b.token ? 1 : 0));
  return { source: { name: `${sub.agency} submission ${sub.id}`, header, records }, total: sub.record_count };
}
