import type { Kysely } from 'kysely';
import { ProtocolError } from '@blindlink/protocol';
import type { Database } from '../db/schema.js';
import { judgeContribution, refusal } from '../governance/judge.js';
import { analystPurposes } from '../people/accounts.js';
import { type AuditNote, noteDecision } from './audit-note.js';
import type { Caller } from './caller.js';

/** An analyst acts on a purpose only when assigned to it. */
export async function requireAssignedAnalyst(db: Kysely<Database>, caller: Caller, purpose: string): Promise<void> {
  if (!(await analystPurposes(db, caller.sub)).includes(purpose)) {
    throw new ProtocolError('forbidden', `analyst ${caller.sub} is not assigned to purpose ${purpose}`);
  }
}

/** Who may start and follow a purpose's runs: an analyst assigned to it, or an agency that contributes to it. */
export async function authoriseRuns(
  db: Kysely<Database>,
  caller: Caller,
  purpose: string,
  audit: AuditNote,
): Promise<void> {
  if (caller.role === 'analyst') return requireAssignedAnalyst(db, caller, purpose);
  // An agency may start or follow a run only for a purpose it contributes to.
  const { decision } = await judgeContribution(db, purpose, caller.sub, undefined);
  noteDecision(audit, decision);
  if (!decision.allow) throw refusal(decision);
}

/** The purposes an analyst is assigned to (what their console lists). */
export async function assignedPurposes(db: Kysely<Database>, caller: Caller): Promise<string[]> {
  return caller.role === 'analyst' ? (await analystPurposes(db, caller.sub)).sort() : [];
}
