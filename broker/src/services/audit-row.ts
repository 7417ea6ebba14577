import type { Kysely } from 'kysely';
import { appendAudit, type AuditInput } from '../audit/log.js';
import { isConnectionLost } from '../db/connection-errors.js';
import type { Database } from '../db/schema.js';
import type { AuditNote } from './audit-note.js';
import { storeReleaseSubjects } from '../releases/subject-ledger.js';

/**
 * The one writer of a use case's audit row, for an API request (http/audit-hook.ts) and an operator
 * command (cli/shared.ts) alike: what the service noted, over what its caller declared, with defaults
 * for what neither said.
 */
export interface AuditOutcome {
  /** actorOf(caller), or 'anonymous' for a request that named no one. */
  actor: string;
  /** The declared action, when the note has none. */
  action: string;
  /** The HTTP status; 0 for an operator command (not an HTTP request). */
  status: number;
  /** Whether the use case answered (allowed) rather than threw (failed, unless the note says refused). */
  ok: boolean;
}

function auditRow(note: AuditNote, outcome: AuditOutcome): AuditInput {
  const { actor, action, status, ok } = outcome;
  return {
    actor,
    action: note.action ?? action,
    purpose: note.purpose ?? null,
    policyId: note.policyId ?? null,
    policyVersion: note.policyVersion ?? null,
    policyRule: note.policyRule ?? null,
    decision: note.decision ?? (ok ? 'allowed' : 'failed'),
    status,
    reason: note.reason ?? (ok ? 'ok' : status ? `HTTP ${status}` : 'failed'),
    counts: note.counts ?? {},
    releaseDigest: note.releaseDigest ?? null,
  };
}

/**
 * Attempts at one append. A lost connection is tried again on another: after a failover or a
 * terminated backend the pool may still hold connections the server has already ended (each is
 * dropped once it fails), and one retry was seen to meet a second dead one.
 */
export const AUDIT_APPEND_ATTEMPTS = 3;

/**
 * Append the row: the answer is released only once this has returned. The append is one
 * transaction, so a failed attempt left nothing behind (unless the commit landed and only its answer
 * was lost: then the entry is recorded twice, never missing).
 */
export async function appendAuditRow(db: Kysely<Database>, note: AuditNote, outcome: AuditOutcome) {
  const row = auditRow(note, outcome);
  for (let attempt = 1; ; attempt++) {
    try {
      const subjects = note.subjects;
      return await appendAudit(
        db,
        row,
        subjects && row.decision === 'allowed'
          ? (trx, entry) => storeReleaseSubjects(trx, entry.seq, subjects.runId, subjects.subjects)
          : undefined,
      );
    } catch (err) {
      if (!isConnectionLost(err) || attempt >= AUDIT_APPEND_ATTEMPTS) throw err;
    }
  }
}
