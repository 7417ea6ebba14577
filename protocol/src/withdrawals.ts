import Type, { type Static } from 'typebox';
import { RowToken } from './encoded.js';

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

export const WithdrawalResponse = Type.Object(
  {
    purpose: Type.String(),
    submissionId: Type.String({ format: 'uuid' }),
    withdrawn: Type.Integer(),
    /** Rows the submission holds now. */
    recordCount: Type.Integer(),
    message: Type.String(),
  },
  { $id: 'WithdrawalResponse', additionalProperties: false },
);
export type WithdrawalResponse = Static<typeof WithdrawalResponse>;
