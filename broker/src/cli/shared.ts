import { userInfo } from 'node:os';
import { type Command, InvalidArgumentError } from 'commander';
import { ProtocolError } from '@blindlink/protocol';
import { type DatabaseHandle, openDatabase } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { type AuditNote, noteFailure } from '../services/audit-note.js';
import { appendAuditRow } from '../services/audit-row.js';
import { actorOf, type Caller } from '../services/caller.js';

/** A mistake the operator can fix: printed as one line, exit 1. */
export class CliError extends Error {}

export function intArg(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number`);
    return n;
  };
}

/** Comma-separated and repeatable: `--x a,b --x c` is [a, b, c]. */
export const list = (v: string, prev: string[] = []) => [...prev, ...v.split(',')];

export const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** --data-dir: where the embedded database and the broker keys live. */
export const dataDir = (c: Command) =>
  c.option('--data-dir <dir>', 'data directory (embedded database and broker keys)', './.blindlink');

export async function withDatabase<T>(dataDir: string, fn: (h: DatabaseHandle) => Promise<T>): Promise<T> {
  const h = await openDatabase({ url: process.env.DATABASE_URL, dataDir });
  try {
    await migrateToLatest(h.db);
    return await fn(h);
  } finally {
    await h.close();
  }
}

/** The local operator: whoever runs this command on the broker's host (services/caller.ts). */
export const localOperator = (): Caller => ({ sub: userInfo().username, role: 'operator' });

/**
 * One use case run from the command line, audited as an API request is: the command declares its
 * action as a route does, the service notes the rest, and the one writer (services/audit-row.ts)
 * appends the row (status 0: not an HTTP request) whatever the outcome, before anything is printed.
 */
export async function audited<T>(
  db: DatabaseHandle['db'],
  caller: Caller,
  action: string,
  work: (audit: AuditNote) => Promise<T>,
): Promise<T> {
  const audit: AuditNote = { action };
  const outcome = { actor: actorOf(caller), action, status: 0 };
  let result: T;
  try {
    result = await work(audit);
  } catch (err) {
    // Only a ProtocolError's message is meant for the trail; anything else may quote the data.
    noteFailure(
      audit,
      err instanceof ProtocolError
        ? err
        : new ProtocolError('internal', 'the command failed; the operator was told why'),
    );
    // The operator is told of the failure itself, even if it could not be audited either.
    await appendAuditRow(db, audit, { ...outcome, ok: false }).catch(() => {});
    throw err;
  }
  await appendAuditRow(db, audit, { ...outcome, ok: true });
  return result;
}
