import type { Kysely } from 'kysely';
import { AUDIT_EXPORT_FORMAT, AUDIT_EXPORT_VERSION, ProtocolError, type AuditExportHeader } from '@blindlink/protocol';
import type { Database } from '../db/schema.js';
import type { BrokerKeyring } from '../trust/keys.js';
import { checkpointAt, checkpointHead, rowToCheckpoint } from './checkpoints.js';
import { rowToEntry } from './log.js';

/**
 * Export of the audit trail as JSON lines, for an IG lead to verify away from the broker:
 *   line 1   the header (AuditExportHeader);
 *   then     {"type":"entry", …row exactly as hashed…} in seq order, each followed by
 *            {"type":"checkpoint", …signed checkpoint…} when one was signed at that row.
 * The head is checkpointed before the export is planned, so the last row is always signed.
 * An export from seq 1 proves the whole history; one from a later row must start at a row that
 * carries a checkpoint (its signed hash pins everything before it), and proves only rows from there.
 */

const PAGE = 2000;

/** Sign the head, fix the range and write the header. Later rows (even this request's own) are not in it. */
export async function planExport(
  db: Kysely<Database>,
  keys: BrokerKeyring,
  opts: { from?: number; now?: Date } = {},
): Promise<AuditExportHeader> {
  const head = await checkpointHead(db, keys, opts.now);
  if (!head) throw new ProtocolError('not-found', 'the audit trail is empty: nothing to export');
  const from = opts.from ?? 1;
  if (!Number.isInteger(from) || from < 1 || from > head.seq)
    throw new ProtocolError('bad-request', `from must be a row number from 1 to ${head.seq}`);
  if (from > 1 && !(await checkpointAt(db, from))) {
    throw new ProtocolError(
      'bad-request',
      `row ${from} carries no signed checkpoint: an export starts at row 1 or at a checkpointed row (see ` +
        `GET /v1/audit/checkpoints)`,
    );
  }
  return {
    format: AUDIT_EXPORT_FORMAT,
    version: AUDIT_EXPORT_VERSION,
    brokerKeyId: keys.keyId,
    signingPublicKey: keys.signingPublicKeyBase64,
    exportedAt: (opts.now ?? new Date()).toISOString(),
    fromSeq: from,
    toSeq: head.seq,
  };
}

/** The export's text, one page of rows per chunk. Rows are append-only, so paging needs no snapshot. */
export async function* exportChunks(db: Kysely<Database>, header: AuditExportHeader): AsyncGenerator<string> {
  yield JSON.stringify(header) + '\n';
  let after = header.fromSeq - 1;
  while (after < header.toSeq) {
    const rows = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>', after)
      .where('seq', '<=', header.toSeq)
      .orderBy('seq')
      .limit(PAGE)
      .execute();
    if (rows.length === 0) throw new Error(`audit rows ${after + 1}–${header.toSeq} disappeared during export`);
    const last = rows[rows.length - 1]!.seq;
    const cps = await db
      .selectFrom('audit_checkpoint')
      .selectAll()
      .where('seq', '>', after)
      .where('seq', '<=', last)
      .execute();
    const bySeq = new Map(cps.map((c) => [c.seq, rowToCheckpoint(c)]));
    let chunk = '';
    for (const r of rows) {
      chunk += JSON.stringify({ type: 'entry', ...rowToEntry(r) }) + '\n';
      const cp = bySeq.get(r.seq);
      if (cp) chunk += JSON.stringify({ type: 'checkpoint', ...cp }) + '\n';
    }
    yield chunk;
    after = last;
  }
}
