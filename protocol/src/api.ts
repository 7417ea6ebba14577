import Type, { type Static } from 'typebox';
import { EncodedHeader, EncodedRecord, RowToken } from './encoded.js';

/** Names of agencies and purposes: lower-case slugs, so they are safe in URLs, logs and file names. */
export const Slug = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'Lower-case slug' });

export const TokenRequest = Type.Object(
  {
    agency: Slug,
    secret: Type.String({ minLength: 16, maxLength: 256, description: 'Agency credential printed once at registration' }),
  },
  { $id: 'TokenRequest', additionalProperties: false },
);
export type TokenRequest = Static<typeof TokenRequest>;

export const TokenResponse = Type.Object(
  {
    accessToken: Type.String(),
    tokenType: Type.Literal('Bearer'),
    expiresIn: Type.Integer({ description: 'Seconds until the token expires' }),
  },
  { $id: 'TokenResponse', additionalProperties: false },
);
export type TokenResponse = Static<typeof TokenResponse>;

export const SubmissionRequest = Type.Object(
  {
    header: EncodedHeader,
    records: Type.Array(EncodedRecord, { minItems: 1, maxItems: 2_000_000 }),
  },
  { $id: 'SubmissionRequest', additionalProperties: false },
);
export type SubmissionRequest = Static<typeof SubmissionRequest>;

export const SubmissionResponse = Type.Object(
  {
    submissionId: Type.String({ format: 'uuid' }),
    purpose: Slug,
    agency: Slug,
    recordCount: Type.Integer(),
    digest: Type.String({ description: 'SHA-256 of the canonical submission, for the agency\'s own records' }),
  },
  { $id: 'SubmissionResponse', additionalProperties: false },
);
export type SubmissionResponse = Static<typeof SubmissionResponse>;

export const RunResponse = Type.Object(
  {
    runId: Type.String({ format: 'uuid' }),
    purpose: Slug,
    status: Type.Union([Type.Literal('completed'), Type.Literal('failed')]),
    sources: Type.Integer({ description: 'Submissions linked' }),
    matchedPairs: Type.Integer(),
    error: Type.Optional(Type.String({ description: 'Why a failed run failed' })),
  },
  { $id: 'RunResponse', additionalProperties: false },
);
export type RunResponse = Static<typeof RunResponse>;

export const MembershipRequest = Type.Object(
  {
    of: Slug,
  },
  { $id: 'MembershipRequest', additionalProperties: false },
);
export type MembershipRequest = Static<typeof MembershipRequest>;

export const MembershipResponse = Type.Object(
  {
    purpose: Slug,
    of: Slug,
    runId: Type.String({ format: 'uuid' }),
    policy: Type.Object({ id: Type.String(), version: Type.Integer(), rule: Type.String() }, { additionalProperties: false }),
    answers: Type.Array(Type.Object({ token: RowToken, known: Type.Boolean() }, { additionalProperties: false })),
  },
  { $id: 'MembershipResponse', additionalProperties: false },
);
export type MembershipResponse = Static<typeof MembershipResponse>;

export const PurposeParams = Type.Object({ purpose: Slug }, { additionalProperties: false });
export type PurposeParams = Static<typeof PurposeParams>;

/** Header that makes an upload safe to retry: the same key is stored once. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const IdempotencyHeaders = Type.Object(
  { 'idempotency-key': Type.String({ pattern: '^[A-Za-z0-9_.:-]{8,128}$' }) },
  { additionalProperties: true },
);
