import { userInfo } from 'node:os';
import { type Command, InvalidArgumentError } from 'commander';
import { type AuditInput, appendAudit } from '../audit/log.js';
import { type DatabaseHandle, openDatabase } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';

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

export const operator = () => `operator:${userInfo().username}`;

/** Operator actions go into the same audit chain as API requests (status 0: not an HTTP request). */
export function recordAction(
  db: DatabaseHandle['db'],
  action: string,
  reason: string,
  extra: Partial<AuditInput> = {},
) {
  return appendAudit(db, {
    actor: operator(),
    action,
    purpose: null,
    policyId: null,
    policyVersion: null,
    policyRule: null,
    decision: 'allowed',
    status: 0,
    reason,
    counts: {},
    releaseDigest: null,
    ...extra,
  });
}
