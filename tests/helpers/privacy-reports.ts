import type { Kysely } from 'kysely';
import { type Database, purposeReport } from '@blindlink/broker';

/**
 * The digest of a purpose's privacy report once every current submission's report is settled (the
 * broker's worker computes them after each submission): what an IG lead approves with.
 */
export async function settledPrivacyDigest(db: Kysely<Database>, purpose: string, timeoutMs = 900_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await purposeReport(db, purpose);
    if (r.digest !== null) return r.digest;
    if (Date.now() > until)
      throw new Error(
        `the privacy report of ${purpose} is still pending: ${JSON.stringify(r.pending.map((p) => p.status))}`,
      );
    await new Promise((res) => setTimeout(res, 100));
  }
}
