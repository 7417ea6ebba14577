import { ProtocolError } from '@blindlink/protocol';
import { checkpointHead } from '../audit/checkpoints.js';
import type { SignedCheckpoint } from '../trust/checkpoint.js';
import type { AuditNote } from './audit-note.js';
import type { ServiceDeps } from './deps.js';

/**
 * Sign a checkpoint on the head of the audit chain now, rather than waiting for the next automatic
 * one (the operator's `audit checkpoint`, before handing over an export, say).
 */
export async function signCheckpoint(
  { db, keys }: Pick<ServiceDeps, 'db' | 'keys'>,
  audit: AuditNote,
): Promise<SignedCheckpoint> {
  const cp = await checkpointHead(db, keys);
  if (!cp) throw new ProtocolError('not-found', 'the audit trail is empty: there is no head to sign');
  audit.reason = `checkpoint signed on demand on row ${cp.seq}`;
  return cp;
}
