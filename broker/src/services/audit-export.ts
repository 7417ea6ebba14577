import { exportChunks, planExport } from '../audit/export.js';
import type { AuditNote } from './audit-note.js';
import type { ServiceDeps } from './deps.js';

/**
 * The audit trail as JSON lines with signed checkpoints, to verify offline (blindlink-broker audit
 * verify --file): planned (and its head checkpointed) now, its text produced as the caller reads it.
 */
export async function exportAudit(
  { db, keys }: Pick<ServiceDeps, 'db' | 'keys'>,
  { from }: { from?: number | undefined },
  audit: AuditNote,
): Promise<{ filename: string; fromSeq: number; toSeq: number; brokerKeyId: string; chunks: AsyncGenerator<string> }> {
  const header = await planExport(db, keys, from !== undefined ? { from } : {});
  audit.counts = { rows: header.toSeq - header.fromSeq + 1 };
  audit.reason = `export of rows ${header.fromSeq}–${header.toSeq}`;
  return {
    filename: `blindlink-audit-${header.fromSeq}-${header.toSeq}.jsonl`,
    fromSeq: header.fromSeq,
    toSeq: header.toSeq,
    brokerKeyId: header.brokerKeyId,
    chunks: exportChunks(db, header),
  };
}
