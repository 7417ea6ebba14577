import Type, { type Static } from 'typebox';

/**
 * The audit API for IG leads, and the export format an IG lead can verify offline with only the
 * broker's public key. Audit rows hold no person's identifiers: who asked (agency, staff role and
 * username), what, under which policy, the decision, and counts.
 */

export const AUDIT_EXPORT_FORMAT = 'blindlink/audit-export';
export const AUDIT_EXPORT_VERSION = 1;
export const AUDIT_EXPORT_MEDIA_TYPE = 'application/x-ndjson';
export const AUDIT_PAGE_LIMIT_MAX = 1000;

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Hex64 = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256, lower-case hex' });
/** Query strings arrive as text (no type coercion): whole numbers are matched as digit strings. */
const DigitString = (description: string) => Type.String({ pattern: '^(0|[1-9][0-9]{0,14})$', description });

export const AuditDecision = Type.Union([Type.Literal('allowed'), Type.Literal('refused'), Type.Literal('failed')]);

/** One row of the trail, with exactly the fields its hash covers. */
export const AuditEntry = Type.Object(
  {
    seq: Type.Integer({ minimum: 1 }),
    at: Type.String({ description: 'ISO 8601 UTC with milliseconds' }),
    actor: Type.String({ description: 'agency:<slug>, <role>:<username>, operator:<unix user> or anonymous' }),
    action: Type.String(),
    purpose: Nullable(Type.String()),
    policyId: Nullable(Type.String()),
    policyVersion: Nullable(Type.Integer()),
    policyRule: Nullable(Type.String()),
    decision: AuditDecision,
    status: Type.Integer({ description: 'HTTP status; 0 for an operator command' }),
    reason: Type.String(),
    counts: Type.Record(Type.String(), Type.Number()),
    releaseDigest: Nullable(Type.String()),
    prevHash: Hex64,
    hash: Hex64,
  },
  { $id: 'AuditEntry', additionalProperties: false },
);
export type AuditEntry = Static<typeof AuditEntry>;

export const AuditQuery = Type.Object(
  {
    purpose: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' })),
    agency: Type.Optional(
      Type.String({
        pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
        description: 'Requests made by this agency (actor agency:<slug>)',
      }),
    ),
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Exact actor' })),
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    decision: Type.Optional(AuditDecision),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Rows at or after this time' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Rows strictly before this time' })),
    afterSeq: Type.Optional(DigitString("Paging cursor: rows after this seq (the previous page's nextAfterSeq)")),
    limit: Type.Optional(DigitString(`Rows per page, 1 to ${AUDIT_PAGE_LIMIT_MAX}; default 100`)),
  },
  { $id: 'AuditQuery', additionalProperties: false },
);
export type AuditQuery = Static<typeof AuditQuery>;

export const AuditPage = Type.Object(
  {
    entries: Type.Array(AuditEntry),
    nextAfterSeq: Nullable(
      Type.Integer({ description: 'Pass as afterSeq for the next page; null when this is the last' }),
    ),
  },
  { $id: 'AuditPage', additionalProperties: false },
);
export type AuditPage = Static<typeof AuditPage>;

export const AuditCheckpoint = Type.Object(
  {
    seq: Type.Integer({ minimum: 0 }),
    hash: Hex64,
    at: Type.String({ description: 'When it was signed' }),
    brokerKeyId: Type.String(),
    signature: Type.String({
      description:
        'Ed25519 over "blindlink/audit-checkpoint/v1\\n" + canonical JSON of seq, hash, at, brokerKeyId (base64)',
    }),
  },
  { $id: 'AuditCheckpoint', additionalProperties: false },
);
export type AuditCheckpoint = Static<typeof AuditCheckpoint>;

export const AuditCheckpointQuery = Type.Object(
  {
    afterSeq: Type.Optional(DigitString('Checkpoints after this seq')),
    limit: Type.Optional(DigitString(`1 to ${AUDIT_PAGE_LIMIT_MAX}; default 100`)),
  },
  { $id: 'AuditCheckpointQuery', additionalProperties: false },
);
export type AuditCheckpointQuery = Static<typeof AuditCheckpointQuery>;

export const AuditCheckpointList = Type.Object(
  {
    signingPublicKey: Type.String({
      description:
        "The broker's Ed25519 public key (base64), for reference only: verify with a copy obtained independently",
    }),
    brokerKeyId: Type.String(),
    checkpoints: Type.Array(AuditCheckpoint),
    nextAfterSeq: Nullable(Type.Integer()),
  },
  { $id: 'AuditCheckpointList', additionalProperties: false },
);
export type AuditCheckpointList = Static<typeof AuditCheckpointList>;

export const AuditExportQuery = Type.Object(
  { from: Type.Optional(DigitString('First row: 1 (default) or a row that carries a checkpoint')) },
  { $id: 'AuditExportQuery', additionalProperties: false },
);
export type AuditExportQuery = Static<typeof AuditExportQuery>;

/** First line of an export. Not signed: the verifier trusts nothing in it but checks it. */
export const AuditExportHeader = Type.Object(
  {
    format: Type.Literal(AUDIT_EXPORT_FORMAT),
    version: Type.Literal(AUDIT_EXPORT_VERSION),
    brokerKeyId: Type.String(),
    signingPublicKey: Type.String(),
    exportedAt: Type.String(),
    fromSeq: Type.Integer({ minimum: 1 }),
    toSeq: Type.Integer({ minimum: 1 }),
  },
  { $id: 'AuditExportHeader', additionalProperties: false },
);
export type AuditExportHeader = Static<typeof AuditExportHeader>;

export type AuditExportEntryLine = { type: 'entry' } & AuditEntry;
export type AuditExportCheckpointLine = { type: 'checkpoint' } & AuditCheckpoint;
export type AuditExportLine = AuditExportHeader | AuditExportEntryLine | AuditExportCheckpointLine;

// ── Audit receipts ────────────────────────────────────────────────────────────────────────────────

/**
 * An audit receipt: the broker's Ed25519 signature over the head of its audit chain just after it
 * appended the row of the request being answered. Every audited response carries one in the
 * AUDIT_HEAD_HEADER header; agencies keep them, and an IG lead checks that an export (or the live
 * database) still holds each receipted row with that exact hash: a trail cut back or rewritten after
 * a receipt was handed out then fails, even though its own checkpoints still verify.
 * What is signed: `blindlink/audit-receipt/v1\n` + canonical JSON (keys sorted, no whitespace) of
 * `{at, brokerKeyId, hash, seq}`. The context string differs from a checkpoint's so neither
 * signature can be passed off as the other.
 */
export const AUDIT_HEAD_HEADER = 'blindlink-audit-head';
export const AUDIT_RECEIPT_CONTEXT = 'blindlink/audit-receipt/v1';
/** A signed audit checkpoint (the broker signs its chain head periodically) is over this context instead. */
export const AUDIT_CHECKPOINT_CONTEXT = 'blindlink/audit-checkpoint/v1';

export const AuditReceipt = Type.Object(
  {
    seq: Type.Integer({
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
      description: 'The audit row of the request answered (the chain head once it was appended)',
    }),
    hash: Hex64,
    at: Type.String({
      pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$',
      description: 'When the broker signed it, ISO 8601 UTC with milliseconds',
    }),
    brokerKeyId: Type.String({ pattern: '^ed25519:[0-9a-f]{16}$' }),
    signature: Type.String({
      pattern: '^[A-Za-z0-9+/]{86}==$',
      description: 'Ed25519 (64 bytes, base64) over the receipt message',
    }),
  },
  { $id: 'AuditReceipt', additionalProperties: false },
);
export type AuditReceipt = Static<typeof AuditReceipt>;
