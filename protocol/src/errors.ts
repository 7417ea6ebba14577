import Type, { type Static } from 'typebox';

/**
 * Every error the broker returns has one of these codes, so clients can branch on the code and show
 * the message. The HTTP status travels with the code: callers never need to guess it.
 */
export const ErrorCodes = {
  'bad-request': 400,
  'invalid-body': 400,
  'invalid-schedule': 400,
  'invalid-encoding': 400,
  'wrong-bit-length': 400,
  'duplicate-row-token': 400,
  'unknown-row-token': 400,
  'chunk-digest-mismatch': 400,
  'key-check-missing': 400,
  'privacy-report-required': 400,
  unauthenticated: 401,
  'token-expired': 401,
  'token-invalid': 401,
  'bad-credentials': 401,
  forbidden: 403,
  'policy-refused': 403,
  'not-found': 404,
  'unknown-purpose': 404,
  'unknown-agency': 404,
  'unknown-upload': 404,
  'no-privacy-report': 404,
  'no-submission': 409,
  'no-linkage-run': 409,
  'run-outdated': 409,
  'submission-already-stored': 409,
  'idempotency-key-reused': 409,
  'linkage-secret-mismatch': 409,
  'agency-exists': 409,
  'policy-version-conflict': 409,
  'upload-incomplete': 409,
  'chunk-conflict': 409,
  'upload-committed': 409,
  'privacy-report-pending': 409,
  'privacy-report-changed': 409,
  'upload-expired': 410,
  'body-too-large': 413,
  'unsupported-media-type': 415,
  'rate-limited': 429,
  internal: 500,
  'database-unavailable': 503,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export const ErrorBody = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String({ description: 'Stable machine-readable code, one of the protocol ErrorCodes' }),
        message: Type.String({ description: 'What was wrong, for a person' }),
        details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      },
      { additionalProperties: false },
    ),
  },
  { $id: 'ErrorBody', additionalProperties: false },
);
export type ErrorBody = Static<typeof ErrorBody>;

/** An error that knows its protocol code; the broker's error handler turns it into an ErrorBody. */
export class ProtocolError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
    this.statusCode = ErrorCodes[code];
    this.details = details;
  }
  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}
