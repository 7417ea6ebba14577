import { checkAttributes } from '@blindlink/policies';
import {
  ProtocolError,
  type SubmissionEnvelope,
  SubmissionRequest,
  type SubmissionResponse,
} from '@blindlink/protocol';
import { Compile } from 'typebox/compile';
import { agencySigningKey } from '../agencies/registry.js';
import { judgeContribution, refusal } from '../governance/judge.js';
import { requireKeyCheck } from '../submissions/key-check.js';
import { storeSubmission } from '../submissions/store.js';
import { decodeSubmission } from '../submissions/validate.js';
import { EnvelopeError, openSubmission } from '../trust/submission-envelope.js';
import { type AuditNote, noteDecision } from './audit-note.js';
import type { ServiceDeps } from './deps.js';

const checkBody = Compile(SubmissionRequest);

export interface SubmitEncodingsInput {
  purpose: string;
  agency: string;
  idempotencyKey: string;
  envelope: SubmissionEnvelope;
}

/** A signed, sealed JSON body opened: the agency's signature checked, the JSON parsed (not yet validated). */
export async function openSealedJson(
  db: ServiceDeps['db'],
  keys: ServiceDeps['keys'],
  agency: string,
  envelope: SubmissionEnvelope,
): Promise<{ opened: Awaited<ReturnType<typeof openSubmission>>; body: unknown }> {
  let opened: Awaited<ReturnType<typeof openSubmission>>;
  try {
    opened = await openSubmission(envelope, await agencySigningKey(db, agency), keys);
  } catch (err) {
    if (err instanceof EnvelopeError)
      throw new ProtocolError('invalid-encoding', `submission envelope refused: ${err.message}`);
    throw err;
  }
  try {
    return { opened, body: JSON.parse(Buffer.from(opened.body).toString('utf8')) };
  } catch {
    throw new ProtocolError('invalid-body', 'the sealed submission is not JSON');
  }
}

/**
 * An agency's encoded dataset for a purpose, signed with its Ed25519 key and sealed to the broker's
 * X25519 key: verified, judged by the policy in force and checked row by row before anything is
 * stored; safe to retry with the same idempotency key. Its privacy report is computed afterwards by a job.
 */
export async function submitEncodings(
  { db, keys, jobs }: Pick<ServiceDeps, 'db' | 'keys' | 'jobs'>,
  { purpose, agency, idempotencyKey, envelope }: SubmitEncodingsInput,
  audit: AuditNote,
): Promise<SubmissionResponse> {
  const { opened, body } = await openSealedJson(db, keys, agency, envelope);
  if (!checkBody.Check(body)) {
    const e = [...checkBody.Errors(body)][0];
    throw new ProtocolError('invalid-body', `submission${e?.instancePath ?? ''} ${e?.message ?? 'is invalid'}`);
  }
  requireKeyCheck(body.header);

  const { decision, policy } = await judgeContribution(
    db,
    purpose,
    agency,
    body.header.schema.fields,
    body.header.attributes ?? [],
  );
  noteDecision(audit, decision);
  if (!decision.allow) throw refusal(decision);

  const decoded = decodeSubmission(body, (attrs, row) => {
    const r = checkAttributes(policy.document, agency, attrs);
    if (!r.ok) throw new ProtocolError('invalid-body', `records[${row}]: ${r.problem}`, { row });
    return r.value;
  });
  audit.counts = { records: decoded.tokens.length };
  const stored = await storeSubmission(db, keys, {
    agency,
    purpose,
    idempotencyKey,
    header: body.header,
    decoded,
    signature: { digest: opened.digest, signature: opened.signature },
    contributors: policy.document.contributors.map((c) => c.agency),
    enqueueReport: jobs.enqueueReport,
  });
  // Its privacy report is queued with it (a worker computes it: privacy-reports/).
  jobs.queued(stored.id);
  const message = {
    stored: `submission ${stored.id} stored; it is ${agency}'s current submission for ${purpose}`,
    'made-current':
      `this upload is identical to submission ${stored.id}, stored earlier: it is ${agency}'s current ` +
      `submission for ${purpose} again (nothing new stored); start a run to link it`,
    'already-current':
      `this upload is identical to submission ${stored.id}, which is already ${agency}'s current submission ` +
      `for ${purpose}; nothing changed`,
  }[stored.outcome];
  audit.reason = {
    stored: `submission ${stored.id} stored, signature verified`,
    'made-current': `submission ${stored.id} made current again by an identical re-submission, signature verified`,
    'already-current': `submission ${stored.id} re-submitted identically, already current, signature verified`,
  }[stored.outcome];
  return {
    submissionId: stored.id,
    purpose,
    agency,
    recordCount: stored.recordCount,
    digest: stored.digest,
    reused: stored.outcome !== 'stored',
    message,
  };
}
