import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ProtocolError } from '@blindlink/protocol';
import type { Database } from '../db/schema.js';
import { policyInForce } from '../policies/store.js';
import { refusal } from '../policies/judge.js';
import { latestSubmissions } from '../submissions/store.js';
import { matchAllPairs } from './brute-force.js';
import type { BrokerKeyring } from '../trust/keys.js';
import { openEncoding } from '../submissions/payload.js';

export interface RunResult {
  runId: string;
  status: 'completed' | 'failed';
  sources: number;
  matchedPairs: number;
  error?: string;
}

async function loadEncodings(db: Kysely<Database>, keys: BrokerKeyring, submissionId: string) {
  const rows = await db.selectFrom('encoding').select(['row_token', 'payload']).where('submission_id', '=', submissionId).orderBy('row_token').execute();
  return { tokens: rows.map((r) => r.row_token), clks: rows.map((r) => openEncoding(keys, submissionId, r.row_token, new Uint8Array(r.payload)).clk) };
}

/**
 * Link the latest submission of every contributing agency for a purpose, pairwise, at the policy's
 * threshold. The run row is written first as 'running' so a crash leaves a visible, rerunnable run.
 */
export async function runLinkage(db: Kysely<Database>, keys: BrokerKeyring, purpose: string, at = new Date()): Promise<RunResult> {
  const policy = await policyInForce(db, purpose, at);
  if (!policy.approval) throw refusal({ policyId: policy.document.id, policyVersion: policy.document.version, rule: 'approval', reason: `policy ${policy.document.id} v${policy.document.version}: not approved by an IG lead, so not in force` });
  const contributors = new Set(policy.document.contributors.map((c) => c.agency));
  const subs = (await latestSubmissions(db, purpose)).filter((s) => contributors.has(s.agency));
  if (subs.length < 2) {
    throw new ProtocolError('no-submission', `purpose ${purpose} needs submissions from at least two contributing agencies to link; it has ${subs.length}`);
  }
  const runId = randomUUID();
  const threshold = policy.document.linkage.threshold;
  await db
    .insertInto('run')
    .values({
      id: runId,
      purpose,
      status: 'running',
      policy_id: policy.document.id,
      policy_version: policy.document.version,
      threshold,
      submission_ids: JSON.stringify(subs.map((s) => s.id)),
      started_at: new Date(),
      matched_pairs: 0,
      finished_at: null,
      error: null,
    })
    .execute();

  try {
    const fingerprints = new Set(subs.map((s) => s.schema_fingerprint));
    if (fingerprints.size > 1) {
      throw new Error(`submissions use ${fingerprints.size} different encoding schemas; every agency must encode with the same schema and secret`);
    }
    const data = await Promise.all(subs.map((s) => loadEncodings(db, keys, s.id)));
    let matched = 0;
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < subs.length; i++) {
        for (let j = i + 1; j < subs.length; j++) {
          const matches = matchAllPairs(data[i]!.clks, data[j]!.clks, threshold);
          matched += matches.length;
          for (let k = 0; k < matches.length; k += 2000) {
            await trx
              .insertInto('run_match')
              .values(
                matches.slice(k, k + 2000).map((m) => ({
                  run_id: runId,
                  left_submission: subs[i]!.id,
                  left_token: data[i]!.tokens[m.left]!,
                  right_submission: subs[j]!.id,
                  right_token: data[j]!.tokens[m.right]!,
                  score: m.score,
                })),
              )
              .execute();
          }
        }
      }
      await trx.updateTable('run').set({ status: 'completed', matched_pairs: matched, finished_at: new Date() }).where('id', '=', runId).execute();
    });
    return { runId, status: 'completed', sources: subs.length, matchedPairs: matched };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    await db.updateTable('run').set({ status: 'failed', error, finished_at: new Date() }).where('id', '=', runId).execute();
    return { runId, status: 'failed', sources: subs.length, matchedPairs: 0, error };
  }
}

/** The newest completed run for a purpose, or a 409 naming what to do. */
export async function latestCompletedRun(db: Kysely<Database>, purpose: string) {
  const run = await db
    .selectFrom('run')
    .selectAll()
    .where('purpose', '=', purpose)
    .where('status', '=', 'completed')
    .orderBy('started_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!run) throw new ProtocolError('no-linkage-run', `purpose ${purpose} has no completed linkage run yet`);
  return run;
}
