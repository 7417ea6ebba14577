import { type PurgeResult, purge, purgeUploads } from '../retention/purge.js';
import { actorOf, type Caller } from './caller.js';
import type { ServiceDeps } from './deps.js';

/**
 * Delete what retention no longer allows to be kept: each purpose's submissions and runs past its
 * policy's retention, and uploads abandoned before commit. Each deletion is audited where it happens
 * (retention/purge.ts), one row per purpose, in the caller's name; a dry run only counts.
 */
export async function purgePastRetention(
  { db }: Pick<ServiceDeps, 'db'>,
  caller: Caller,
  { dryRun }: { dryRun: boolean },
): Promise<{ purposes: PurgeResult[]; uploads: { uploads: number; stagedRecords: number } }> {
  const opts = dryRun ? { dryRun: true } : {};
  const purposes = await purge(db, actorOf(caller), opts);
  return { purposes, uploads: await purgeUploads(db, actorOf(caller), opts) };
}
