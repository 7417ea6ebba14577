import Type, { type Static } from 'typebox';
import { EncodedHeader, EncodedRecord } from './encoded.js';

/**
 * Subject access (UK GDPR art. 15): an agency encodes a resident's identifiers exactly as it encodes
 * its extract and asks what was done with that person's data under the purpose. The broker compares
 * the encoding with the asking agency's own records only, and answers for the entity the best of them
 * belongs to (docs/rights.md).
 */
export const SubjectAccessRequest = Type.Object(
  {
    /** The encoded file's header (schema, key check, field filters): must match the agency's submission. */
    header: EncodedHeader,
    /** The one encoded record of the resident; its row token is random and is never stored. */
    record: EncodedRecord,
  },
  { $id: 'SubjectAccessRequest', additionalProperties: false },
);
export type SubjectAccessRequest = Static<typeof SubjectAccessRequest>;

const PolicyRef = Type.Object(
  { id: Type.String(), version: Type.Integer(), rule: Type.String() },
  { additionalProperties: false },
);

export const SubjectAccessResponse = Type.Object(
  {
    purpose: Type.String(),
    /** The run the encoding was linked against: the latest completed one. */
    runId: Type.String({ format: 'uuid' }),
    /** The rule that let the agency ask. */
    policy: PolicyRef,
    /** Whether the encoding linked to one of the asking agency's own records (no score either way). */
    matched: Type.Boolean(),
    /** The asking agency's row token that matched: its own record, so it can tell which one. */
    token: Type.Optional(Type.String()),
    /** Linkage runs still held that included the person, oldest first. */
    runs: Type.Array(
      Type.Object(
        {
          runId: Type.String({ format: 'uuid' }),
          startedAt: Type.String({ format: 'date-time' }),
          finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
          mode: Type.Union([Type.String(), Type.Null()]),
        },
        { additionalProperties: false },
      ),
    ),
    /** Release requests whose answer was about the person: who asked, when, under which policy and rule. */
    releases: Type.Array(
      Type.Object(
        {
          /** The audit entry of the release (its sequence number in the chain). */
          auditSeq: Type.Integer(),
          at: Type.String({ format: 'date-time' }),
          /** Who asked: agency:<slug> or analyst:<username>. */
          requester: Type.String(),
          /** The release form, e.g. pseudonym. */
          form: Type.String(),
          runId: Type.String({ format: 'uuid' }),
          policy: PolicyRef,
        },
        { additionalProperties: false },
      ),
    ),
    /**
     * From when `releases` is complete: the broker began recording whom each release was about then
     * (docs/rights.md). Releases made before it are not listed, whether or not they were about the person.
     */
    releasesCompleteSince: Type.String({ format: 'date-time' }),
  },
  { $id: 'SubjectAccessResponse', additionalProperties: false },
);
export type SubjectAccessResponse = Static<typeof SubjectAccessResponse>;
