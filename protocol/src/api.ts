import Type, { type Static } from 'typebox';
import { EncodedHeader, EncodedRecord, RowToken } from './encoded.js';
import { OptOutsApplied } from './releases.js';

/** Names of agencies and purposes: lower-case slugs, so they are safe in URLs, logs and file names. */
export const Slug = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'Lower-case slug' });

const Pem = (what: string) =>
  Type.String({ minLength: 64, maxLength: 16384, pattern: '^-----BEGIN ', description: what });

export const EnrolRequest = Type.Object(
  {
    agency: Slug,
    code: Type.String({ minLength: 16, maxLength: 64, description: 'One-time enrolment code from the broker admin' }),
    csr: Pem("PKCS#10 certificate signing request (PEM) for the agency's TLS key"),
    signingPublicKey: Type.String({
      pattern: '^[A-Za-z0-9+/]{43}=$',
      description: 'Ed25519 public key (base64) that will sign submissions',
    }),
  },
  { $id: 'EnrolRequest', additionalProperties: false },
);
export type EnrolRequest = Static<typeof EnrolRequest>;

export const CertificateResponse = Type.Object(
  {
    certificate: Type.String({ description: "The agency's client certificate (PEM), issued by the broker CA" }),
    caCertificate: Type.String({ description: 'The broker CA certificate (PEM)' }),
    notAfter: Type.String({ format: 'date-time' }),
    brokerSigningPublicKey: Type.String({ description: 'Ed25519 key that signs audit checkpoints (base64)' }),
    brokerSealingPublicKey: Type.String({ description: 'X25519 key submissions are sealed to (base64)' }),
  },
  { $id: 'CertificateResponse', additionalProperties: false },
);
export type CertificateResponse = Static<typeof CertificateResponse>;

export const RenewRequest = Type.Object(
  { csr: Pem('CSR for the new TLS key') },
  { $id: 'RenewRequest', additionalProperties: false },
);
export type RenewRequest = Static<typeof RenewRequest>;

export const LoginRequest = Type.Object(
  { username: Type.String({ minLength: 2, maxLength: 63 }), password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { $id: 'LoginRequest', additionalProperties: false },
);
export type LoginRequest = Static<typeof LoginRequest>;

export const BrokerInfo = Type.Object(
  {
    protocolVersion: Type.Integer(),
    caCertificate: Type.String(),
    signingPublicKey: Type.String(),
    sealingPublicKey: Type.String(),
    keyId: Type.String(),
  },
  { $id: 'BrokerInfo', additionalProperties: false },
);
export type BrokerInfo = Static<typeof BrokerInfo>;

export const NewAgencyRequest = Type.Object(
  { agency: Slug, name: Type.String({ minLength: 1, maxLength: 200 }) },
  { $id: 'NewAgencyRequest', additionalProperties: false },
);
export const EnrolmentCodeResponse = Type.Object(
  { agency: Slug, enrolmentCode: Type.String(), expiresAt: Type.String({ format: 'date-time' }) },
  { $id: 'EnrolmentCodeResponse', additionalProperties: false },
);
export const AgencyParams = Type.Object({ agency: Slug }, { additionalProperties: false });

export const PersonRole = Type.Union([Type.Literal('admin'), Type.Literal('analyst'), Type.Literal('ig-lead')]);
export const NewPersonRequest = Type.Object(
  {
    username: Type.String({ pattern: '^[a-z][a-z0-9._-]{1,62}$' }),
    role: PersonRole,
    purposes: Type.Optional(Type.Array(Slug, { uniqueItems: true, maxItems: 100 })),
  },
  { $id: 'NewPersonRequest', additionalProperties: false },
);
export const NewPersonResponse = Type.Object(
  { username: Type.String(), role: PersonRole, password: Type.String({ description: 'Generated; shown once' }) },
  { $id: 'NewPersonResponse', additionalProperties: false },
);
export const UsernameParams = Type.Object(
  { username: Type.String({ pattern: '^[a-z][a-z0-9._-]{1,62}$' }) },
  { additionalProperties: false },
);

/** A privacy report's digest: SHA-256 of its canonical JSON (docs/privacy-report.md). */
export const PrivacyDigest = Type.String({ pattern: '^sha256:[0-9a-f]{64}$' });

export const PolicySummary = Type.Object(
  {
    id: Type.String(),
    version: Type.Integer(),
    purpose: Type.String(),
    title: Type.String(),
    contentHash: Type.String(),
    validFrom: Type.String(),
    validUntil: Type.String(),
    loadedBy: Type.String(),
    approvedBy: Type.Union([Type.String(), Type.Null()]),
    approvedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    privacyReportDigest: Type.Union([PrivacyDigest, Type.Null()], {
      description:
        'The purpose privacy report the approver saw; null when the purpose had no submission, so no report ' +
        'existed (or for an approval made before reports), or when not approved',
    }),
  },
  { additionalProperties: false },
);
export const PolicyList = Type.Object(
  { policies: Type.Array(PolicySummary) },
  { $id: 'PolicyList', additionalProperties: false },
);
/**
 * What an IG lead approves with: the digest of the purpose's privacy report they read (GET
 * /v1/purposes/:purpose/privacy-report). Required once the purpose has a submission; the body may be
 * left out (or null) while it has none.
 */
export const PolicyApprovalRequest = Type.Object(
  { privacyReportDigest: PrivacyDigest },
  { $id: 'PolicyApprovalRequest', additionalProperties: false },
);
export type PolicyApprovalRequest = Static<typeof PolicyApprovalRequest>;

/** The privacy report of one current submission of a purpose. */
export const SubmissionPrivacyReport = Type.Object(
  {
    agency: Slug,
    submissionId: Type.String({ format: 'uuid' }),
    recordCount: Type.Integer({ minimum: 0 }),
    status: Type.Union([Type.Literal('completed'), Type.Literal('failed')], {
      description: 'failed: every attempt failed (error says why); the purpose digest covers it as such',
    }),
    digest: Type.Union([PrivacyDigest, Type.Null()], { description: "The report's own digest; null when failed" }),
    error: Type.Union([Type.String(), Type.Null()]),
    attempts: Type.Integer({ minimum: 0 }),
    queuedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    report: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], {
      description:
        'The report (format blindlink/privacy-report) exactly as stored: the SHA-256 of its canonical JSON ' +
        'without the digest key is its digest',
    }),
  },
  { additionalProperties: false },
);

/** A purpose's privacy report: one per agency's current submission, and a digest over them all. */
export const PurposePrivacyReport = Type.Object(
  {
    purpose: Slug,
    digest: PrivacyDigest,
    submissions: Type.Array(SubmissionPrivacyReport),
  },
  { $id: 'PurposePrivacyReport', additionalProperties: false },
);
export type PurposePrivacyReport = Static<typeof PurposePrivacyReport>;

/** Path parameters arrive as text (types are never coerced): the version is a digit string. */
export const PolicyVersionParams = Type.Object(
  { id: Slug, version: Type.String({ pattern: '^[1-9][0-9]{0,8}$' }) },
  { additionalProperties: false },
);

export const TokenResponse = Type.Object(
  {
    accessToken: Type.String(),
    tokenType: Type.Literal('Bearer'),
    expiresIn: Type.Integer({ description: 'Seconds until the token expires' }),
  },
  { $id: 'TokenResponse', additionalProperties: false },
);
export type TokenResponse = Static<typeof TokenResponse>;

/** The decrypted body of a sealed submission (see envelope.ts). */
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
    digest: Type.String({ description: "SHA-256 of the canonical submission, for the agency's own records" }),
    reused: Type.Optional(
      Type.Boolean({
        description:
          'true: this upload is identical to a submission stored earlier (submissionId), which is now the ' +
          "agency's current one again; nothing new was stored",
      }),
    ),
    message: Type.Optional(Type.String({ description: 'What happened, for a person' })),
  },
  { $id: 'SubmissionResponse', additionalProperties: false },
);
export type SubmissionResponse = Static<typeof SubmissionResponse>;

export const RunRequest = Type.Object(
  {
    mode: Type.Optional(
      Type.Union([Type.Literal('full'), Type.Literal('auto')], {
        description:
          "'full': relink everything and re-fit the model; 'auto' (the default): continue the previous " +
          'run when the policy version, encoding schema, threshold and sources are unchanged',
      }),
    ),
  },
  { $id: 'RunRequest', additionalProperties: false },
);
export type RunRequest = Static<typeof RunRequest>;

export const RunResponse = Type.Object(
  {
    runId: Type.String({ format: 'uuid' }),
    purpose: Slug,
    status: Type.Literal('queued', { description: 'The run is queued for a worker; follow it at statusUrl' }),
    sources: Type.Integer({
      description: 'Submissions it will link: the latest of each contributor when it was queued',
    }),
    statusUrl: Type.String({ description: "GET it for the run's status, stage and progress" }),
  },
  { $id: 'RunResponse', additionalProperties: false },
);
export type RunResponse = Static<typeof RunResponse>;

export const RunParams = Type.Object(
  { purpose: Slug, runId: Type.String({ format: 'uuid' }) },
  { $id: 'RunParams', additionalProperties: false },
);
export type RunParams = Static<typeof RunParams>;

const Count = Type.Integer({ minimum: 0 });

/** A run as it goes: queued, running (stage and counts so far), then completed or failed. */
export const RunStatus = Type.Object(
  {
    runId: Type.String({ format: 'uuid' }),
    purpose: Slug,
    status: Type.Union([
      Type.Literal('queued'),
      Type.Literal('running'),
      Type.Literal('completed'),
      Type.Literal('failed'),
    ]),
    stage: Type.Union([Type.String(), Type.Null()], {
      description: 'queued, loading, blocking, scoring, entities, households, storing, done or failed',
    }),
    progress: Type.Object(
      {
        recordsLoaded: Type.Optional(Count),
        partitions: Type.Optional(Count),
        partitionsDone: Type.Optional(Count),
        candidatePairs: Type.Optional(Count),
        pairsScored: Type.Optional(Count),
        entities: Type.Optional(Count),
      },
      { additionalProperties: false, description: 'Counts known so far; each appears once its stage is reached' },
    ),
    attempt: Type.Integer({
      minimum: 0,
      description: 'Job attempts so far: more than 1 when a worker died and another took the run over',
    }),
    sources: Count,
    matchedPairs: Count,
    mode: Type.Union([Type.Literal('full'), Type.Literal('incremental'), Type.Null()], {
      description: 'Null until a worker has planned the run',
    }),
    modeReason: Type.Union([Type.String(), Type.Null()]),
    queuedAt: Type.String({ format: 'date-time' }),
    finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    error: Type.Optional(Type.String({ description: 'Why a failed run failed' })),
    estimates: Type.Optional(
      Type.Object(
        {
          precision: Type.Number({ minimum: 0, maximum: 1 }),
          recall: Type.Number({ minimum: 0, maximum: 1 }),
          linkedPairs: Count,
        },
        {
          additionalProperties: false,
          description:
            "A completed full run's own estimate from its model (no labels), over pairs of records of different " +
            'sources placed in one entity; matches blocking never proposed are not counted (docs/scoring.md)',
        },
      ),
    ),
  },
  { $id: 'RunStatus', additionalProperties: false },
);
export type RunStatus = Static<typeof RunStatus>;

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
    policy: Type.Object(
      { id: Type.String(), version: Type.Integer(), rule: Type.String() },
      { additionalProperties: false },
    ),
    answers: Type.Array(Type.Object({ token: RowToken, known: Type.Boolean() }, { additionalProperties: false })),
    optOuts: Type.Optional(OptOutsApplied),
  },
  { $id: 'MembershipResponse', additionalProperties: false },
);
export type MembershipResponse = Static<typeof MembershipResponse>;

export const PurposeParams = Type.Object({ purpose: Slug }, { additionalProperties: false });
export type PurposeParams = Static<typeof PurposeParams>;

/** The idempotency-key header makes an upload safe to retry: the same key is stored once. */
export const IdempotencyHeaders = Type.Object(
  { 'idempotency-key': Type.String({ pattern: '^[A-Za-z0-9_.:-]{8,128}$' }) },
  { additionalProperties: true },
);
