import { checkAttributes } from '@blindlink/policies';
import {
  CorrectionBody,
  ProtocolError,
  type SubmissionEnvelope,
  type WithdrawalRequest,
  type WithdrawalResponse,
} from '@blindlink/protocol';
import { Compile } from 'typebox/compile';
import { judgeContribution, refusal } from '../governance/judge.js';
import { amendSubmission } from '../submissions/withdraw.js';
import { decodeRecords } from '../submissions/validate.js';
import { type AuditNote, noteDecision } from './audit-note.js';
import type { ServiceDeps } from './deps.js';
import { openSealedJson } from './submit-encodings.js';

const checkCorrection = Compile(CorrectionBody);

type Amended = Awaited<ReturnType<typeof amendSubmission>>;

function answer(purpose: string, r: Amended, audit: AuditNote): WithdrawalResponse {
  audit.counts = { withdrawn: r.withdrawn, added: r.added, records: r.recordCount };
  const what = r.added
    ? `${r.withdrawn} rows replaced by ${r.added} corrected rows in submission ${r.submissionId}`
    : `${r.withdrawn} rows withdrawn from submission ${r.submissionId}`;
  audit.reason = `${what}, ${r.recordCount} rows now`;
  return {
    purpose,
    ...r,
    message: `${what} (${r.recordCount} rows now); start a run: no release answers until one has linked the change`,
  };
}

/**
 * An agency withdraws rows of its current submission by its own row tokens (docs/rights.md): a
 * contributor under the policy in force, for its own submission only. Audited with the counts.
 */
export async function withdraw(
  { db, keys }: Pick<ServiceDeps, 'db' | 'keys'>,
  { purpose, agency, request }: { purpose: string; agency: string; request: WithdrawalRequest },
  audit: AuditNote,
): Promise<WithdrawalResponse> {
  const { decision } = await judgeContribution(db, purpose, agency, undefined);
  noteDecision(audit, decision);
  if (!decision.allow) throw refusal(decision);
  return answer(purpose, await amendSubmission(db, keys, { agency, purpose, tokens: request.tokens }), audit);
}

/**
 * Correction: rows replaced by corrected encodings, signed and sealed like a submission, checked as a
 * submission's rows are (the policy's identifiers and attributes, bit lengths) and against the
 * submission they go into (schema, secret, filter layout).
 */
export async function correct(
  { db, keys }: Pick<ServiceDeps, 'db' | 'keys'>,
  { purpose, agency, envelope }: { purpose: string; agency: string; envelope: SubmissionEnvelope },
  audit: AuditNote,
): Promise<WithdrawalResponse> {
  const { body } = await openSealedJson(db, keys, agency, envelope);
  if (!checkCorrection.Check(body)) {
    const e = [...checkCorrection.Errors(body)][0];
    throw new ProtocolError('invalid-body', `correction${e?.instancePath ?? ''} ${e?.message ?? 'is invalid'}`);
  }
  const { header, records, replace } = body;
  const { decision, policy } = await judgeContribution(
    db,
    purpose,
    agency,
    header.schema.fields,
    header.attributes ?? [],
  );
  noteDecision(audit, decision);
  if (!decision.allow) throw refusal(decision);
  const decoded = decodeRecords({ ...header, recordCount: records.length }, records, {
    checkAttributes: (attrs, row) => {
      const r = checkAttributes(policy.document, agency, attrs);
      if (!r.ok) throw new ProtocolError('invalid-body', `records[${row}]: ${r.problem}`, { row });
      return r.value;
    },
  });
  return answer(
    purpose,
    await amendSubmission(db, keys, { agency, purpose, tokens: replace, add: { header, decoded } }),
    audit,
  );
}
