/**
 * @blindlink/protocol — what crosses the wire, written once and used by both sides: the API's request
 * and response schemas (TypeBox, `api.ts`, `releases.ts`, `uploads.ts`, `schedules.ts`, `audit.ts`),
 * error codes (`errors.ts`), the encoded-file format (`encoded.ts`, `encoded-file.ts`), the bytes a
 * signature covers (`envelope.ts` for submissions and upload manifests, `audit-receipt.ts` for receipts
 * and checkpoints), and canonical JSON (RFC 8785 on the values we hash and sign, `canonical-json.ts`).
 * It imports no other workspace: the agency client and the broker both depend on it, never on each other.
 */
export * from './version.js';
export * from './errors.js';
export * from './encoded.js';
export * from './api.js';
export * from './envelope.js';
export * from './encoded-file.js';
export * from './audit.js';
export * from './releases.js';
export * from './schedules.js';
export * from './audit-receipt.js';
export * from './uploads.js';
export * from './canonical-json.js';
export * from './subject-access.js';
export * from './withdrawals.js';
