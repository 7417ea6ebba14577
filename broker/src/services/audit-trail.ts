import {
  AUDIT_PAGE_LIMIT_MAX,
  type AuditCheckpointList,
  type AuditCheckpointQuery,
  type AuditPage,
  type AuditQuery,
  ProtocolError,
} from '@blindlink/protocol';
import { enableAutoCheckpoints, listCheckpoints } from '../audit/checkpoints.js';
import { type AuditFilter, queryAudit } from '../audit/query.js';
import type { AuditNote } from './audit-note.js';
import type { ServiceDeps } from './deps.js';

/**
 * Reading the audit trail (IG leads only; the routes say who): a filtered page of rows, and the signed
 * checkpoints. Reading is itself audited. Rows hold no person's identifiers.
 */

const DEFAULT_LIMIT = 100;

function pageLimit(text: string | undefined): number {
  if (text === undefined) return DEFAULT_LIMIT;
  const n = Number(text);
  if (n < 1 || n > AUDIT_PAGE_LIMIT_MAX)
    throw new ProtocolError('bad-request', `limit must be 1 to ${AUDIT_PAGE_LIMIT_MAX}`);
  return n;
}

function instant(name: string, text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new ProtocolError('bad-request', `${name} is not a valid date-time`);
  return d;
}

/** From now on the broker's database signs a checkpoint every CHECKPOINT_EVERY appended rows. */
export function startAutoCheckpoints({ db, keys }: Pick<ServiceDeps, 'db' | 'keys'>): void {
  enableAutoCheckpoints(db, keys);
}

/** The audit trail, oldest first; page with afterSeq = nextAfterSeq. */
export async function queryAuditTrail(
  { db }: Pick<ServiceDeps, 'db'>,
  q: AuditQuery,
  audit: AuditNote,
): Promise<AuditPage> {
  const from = instant('from', q.from);
  const to = instant('to', q.to);
  if (from && to && from >= to) throw new ProtocolError('bad-request', 'from must be before to');
  if (q.agency !== undefined && q.actor !== undefined && q.actor !== `agency:${q.agency}`) {
    throw new ProtocolError('bad-request', 'agency and actor name different callers; give one');
  }
  const filter: AuditFilter = {
    limit: pageLimit(q.limit),
    ...(q.purpose !== undefined ? { purpose: q.purpose } : {}),
    ...(q.agency !== undefined ? { actor: `agency:${q.agency}` } : q.actor !== undefined ? { actor: q.actor } : {}),
    ...(q.action !== undefined ? { action: q.action } : {}),
    ...(q.decision !== undefined ? { decision: q.decision } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(q.afterSeq !== undefined ? { afterSeq: Number(q.afterSeq) } : {}),
  };
  if (q.purpose !== undefined) audit.purpose = q.purpose;
  const page = await queryAudit(db, filter);
  audit.counts = { rows: page.entries.length };
  audit.reason = `audit query: ${Object.keys(q).sort().join(', ') || 'no filters'}`;
  return page;
}

/** Signed audit checkpoints, oldest first, with the key to check them. */
export async function listAuditCheckpoints(
  { db, keys }: Pick<ServiceDeps, 'db' | 'keys'>,
  q: AuditCheckpointQuery,
  audit: AuditNote,
): Promise<AuditCheckpointList> {
  const limit = pageLimit(q.limit);
  const checkpoints = await listCheckpoints(db, { afterSeq: Number(q.afterSeq ?? 0), limit });
  audit.counts = { checkpoints: checkpoints.length };
  return {
    signingPublicKey: keys.signingPublicKeyBase64,
    brokerKeyId: keys.keyId,
    checkpoints,
    nextAfterSeq: checkpoints.length === limit ? checkpoints[checkpoints.length - 1]!.seq : null,
  };
}
