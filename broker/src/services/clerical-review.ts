import type { Kysely } from 'kysely';
import { ProtocolError, type ReviewLabelsRequest } from '@blindlink/protocol';
import { releaseDigest } from '../audit/chain.js';
import type { Database } from '../db/schema.js';
import { judgeRelease, refusal } from '../governance/judge.js';
import {
  fieldEvidence,
  orderedKeys,
  otherRef,
  pairKey,
  type RecordFields,
  reviewId,
  reviewPair,
  type ReviewRecord,
  similaritiesByField,
  uncertainPairs,
} from '../releases/clerical-review.js';
import { fieldFilter, runRecordRows } from '../releases/run-records.js';
import { runForRequester } from '../releases/run-view.js';
import { reviewSubjects, subjectPseudonymiser } from '../releases/subjects.js';
import { combinedLabels, recordExport, storeVerdicts, unknownReviewIds } from '../review/store.js';
import { decodeModel, decodePairs } from '../runs/state.js';
import { openEncoding } from '../submissions/payload.js';
import type { BrokerKeyring } from '../trust/keys.js';
import { type AuditNote, noteDecision } from './audit-note.js';
import type { Caller } from './caller.js';
import type { ServiceDeps } from './deps.js';

/**
 * Clerical review (docs/clerical-review.md): an agency the policy grants the clerical-review form
 * fetches its most uncertain pairs of the latest run, and returns its data officer's verdicts, which
 * the next run applies. Both directions are judged by the policy version in force and audited.
 */

/** The latest run's uncertain pairs touching the caller's records. */
export async function exportReview(
  { db, keys, pseudonymKey }: Pick<ServiceDeps, 'db' | 'keys' | 'pseudonymKey'>,
  caller: Caller,
  { purpose, rule: ruleName }: { purpose: string; rule?: string | undefined },
  audit: AuditNote,
) {
  const requester = caller.sub;
  const { decision } = await judgeRelease(db, purpose, {
    requester,
    form: 'clerical-review',
    ...(ruleName ? { rule: ruleName } : {}),
  });
  noteDecision(audit, decision);
  if (!decision.allow) throw refusal(decision);
  if (decision.grant.form !== 'clerical-review') throw new ProtocolError('bad-request', 'not a clerical-review rule');
  const rule = decision.grant;
  const { run } = await runForRequester(db, purpose, requester);
  const state = await db
    .selectFrom('run_state')
    .select(['model', 'links'])
    .where('run_id', '=', run.id)
    .executeTakeFirst();
  if (!state) throw new ProtocolError('no-linkage-run', `run ${run.id} kept no scored pairs; start a run`);
  const model = decodeModel(state.model);
  const records = await runRecordsByIndex(db, run.id);
  const labelled = await db
    .selectFrom('review_pair')
    .select(['key_a', 'key_b'])
    .where('purpose', '=', purpose)
    .where('agency', '=', requester)
    .where('verdict', 'is not', null)
    .execute();
  const skip = new Set(labelled.map((l) => pairKey(l.key_a, l.key_b)));
  const chosen = uncertainPairs(decodePairs(state.links), records, requester, model, rule, skip);
  const fields = await recordFields(
    db,
    keys,
    run.id,
    chosen.flatMap((c) => [records[c.a]!, records[c.b]!]),
  );
  const sims: (Record<string, number | null> | null)[] = [];
  const pairs = chosen.map((c) => {
    const ra = records[c.a]!;
    const rb = records[c.b]!;
    const id = reviewId(pseudonymKey, purpose, requester, ra.recordKey, rb.recordKey);
    const [fa, fb] = [fields.get(ra.recordKey)!, fields.get(rb.recordKey)!];
    const evidence = fieldEvidence(model.fellegiSunter, fa, fb);
    sims.push(similaritiesByField(model.fellegiSunter, fa, fb));
    const other = (k: string) => otherRef(pseudonymKey, purpose, requester, k);
    return reviewPair(c, records, requester, { reviewId: id, other }, model.threshold, evidence);
  });
  await recordExport(
    db,
    purpose,
    requester,
    run.id,
    chosen.map((c, i) => {
      const [keyA, keyB] = orderedKeys(records[c.a]!.recordKey, records[c.b]!.recordKey);
      return { reviewId: pairs[i]!.reviewId, keyA, keyB, sims: sims[i]! };
    }),
  );
  const body = {
    purpose,
    runId: run.id,
    policy: { id: decision.policyId, version: decision.policyVersion, rule: decision.rule },
    pairs,
  };
  audit.counts = { pairs: pairs.length, linked: pairs.filter((p) => p.linked).length };
  // A release about the people of its pairs: in the subject ledger like every other form.
  audit.subjects = {
    runId: run.id,
    subjects: [...reviewSubjects(chosen, records)].map(subjectPseudonymiser(pseudonymKey, purpose)),
  };
  audit.releaseDigest = releaseDigest(body);
  audit.reason = decision.reason;
  return body;
}

/** A data officer's verdicts on pairs the caller was sent; a pair labelled again takes the new verdict. */
export async function submitReviewLabels(
  { db }: Pick<ServiceDeps, 'db'>,
  caller: Caller,
  { purpose, labels }: { purpose: string; labels: ReviewLabelsRequest['labels'] },
  audit: AuditNote,
) {
  const requester = caller.sub;
  const { decision } = await judgeRelease(db, purpose, { requester, form: 'clerical-review' });
  noteDecision(audit, decision);
  if (!decision.allow) throw refusal(decision);
  const ids = labels.map((l) => l.reviewId);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice) throw new ProtocolError('invalid-body', `review id ${twice} is labelled twice in one request`);
  const unknown = await unknownReviewIds(db, purpose, requester, ids);
  if (unknown.length > 0)
    throw new ProtocolError(
      'invalid-body',
      `${unknown.length} review id(s) were never sent to ${requester} for ${purpose} (first: ${unknown[0]}); ` +
        'label only pairs from your own export',
    );
  await storeVerdicts(db, purpose, requester, labels);
  const { conflicts } = await combinedLabels(db, purpose);
  const count = (v: string) => labels.filter((l) => l.verdict === v).length;
  audit.counts = {
    labels: labels.length,
    match: count('match'),
    nonMatch: count('non-match'),
    unsure: count('unsure'),
  };
  audit.reason = decision.reason;
  return {
    purpose,
    policy: { id: decision.policyId, version: decision.policyVersion, rule: decision.rule },
    stored: labels.length,
    conflicts,
  };
}

/** The run's records by their global record number (run_record.record_index). */
async function runRecordsByIndex(db: Kysely<Database>, runId: string): Promise<ReviewRecord[]> {
  const rows = await db
    .selectFrom('run_record')
    .innerJoin('submission', 'submission.id', 'run_record.submission_id')
    .select([
      'submission.agency',
      'run_record.row_token',
      'run_record.record_key',
      'run_record.entity_id',
      'run_record.record_index',
    ])
    .where('run_record.run_id', '=', runId)
    .execute();
  const out: ReviewRecord[] = [];
  for (const r of rows)
    if (r.record_index !== null)
      out[r.record_index] = { agency: r.agency, token: r.row_token, recordKey: r.record_key, entityId: r.entity_id };
  return out;
}

/** The chosen records' field filters, decrypted only for them, by record key. */
async function recordFields(
  db: Kysely<Database>,
  keys: BrokerKeyring,
  runId: string,
  records: ReviewRecord[],
): Promise<Map<string, RecordFields>> {
  const out = new Map<string, RecordFields>();
  if (records.length === 0) return out;
  const rows = await runRecordRows(db, runId)
    .where(
      'run_record.row_token',
      'in',
      records.map((r) => r.token),
    )
    .execute();
  for (const r of rows) {
    const parts = openEncoding(keys, r.submission_id, r.row_token, new Uint8Array(r.payload));
    const specs =
      ((r.header ?? {}) as { fieldFilters?: { field: string; bits: number; flip?: number }[] }).fieldFilters ?? [];
    const fields: RecordFields = new Map();
    for (const s of specs) {
      const bits = fieldFilter(parts.fields, r.field_mask, specs, s.field);
      if (bits) fields.set(s.field, { bits, flip: s.flip ?? 0 });
    }
    out.set(r.record_key, fields);
  }
  for (const r of records) if (!out.has(r.recordKey)) out.set(r.recordKey, new Map());
  return out;
}
