import Type, { type Static } from 'typebox';
import { EncodedHeader, EncodedRecord, RowToken } from './encoded.js';

/**
 * Withdrawal: an agency takes rows out of its current submission for a purpose, by its own row tokens
 * (a record it should not have shared, or a resident's objection upheld). They leave the stored
 * submission and every run from the next on (docs/rights.md).
 */
export const WithdrawalRequest = Type.Object(
  { tokens: Type.Array(RowToken, { minItems: 1, maxItems: 30_000 }) },
  { $id: 'WithdrawalRequest', additionalProperties: false },
);
export type WithdrawalRequest = Static<typeof WithdrawalRequest>;

/**
 * Correction: rows of the current submission replaced by corrected encodings, in one step. Sent signed
 * and sealed like a submission (a SubmissionEnvelope around this JSON): the new rows are the agency's
 * data as much as the file it first sent.
 */
export const CorrectionBody = Type.Object(
  {
    /** Row tokens of the rows the corrected records replace. */
    replace: Type.Array(RowToken, { minItems: 1, maxItems: 30_000 }),
    /** The corrected records' header: the same schema, secret and field filters as the submission. */
    header: EncodedHeader,
    records: Type.Array(EncodedRecord, { minItems: 1, maxItems: 30_000 }),
  },
  { $id: 'CorrectionBody', additionalProperties: false },
);
export type CorrectionBody = Static<typeof CorrectionBody>;

export const WithdrawalResponse = Type.Object(
  {
    purpose: Type.String(),
    submissionId: Type.String({ format: 'uuid' }),
    withdrawn: Type.Integer(),
    /** Corrected rows added in their place (0 for a withdrawal). */
    added: Type.Integer(),
    /** Rows the submission holds now. */
    recordCount: Type.Integer(),
    message: Type.String(),
  },
  { $id: 'WithdrawalResponse', additionalProperties: false },
);
export type WithdrawalResponse = Static<typeof WithdrawalResponse>;
