import Type, { type Static } from 'typebox';
import { RowToken } from './encoded.js';

/** Release requests name the rule when the recipient holds several of one form. */
export const ReleaseRequest = Type.Object(
  { rule: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' })) },
  { $id: 'ReleaseRequest', additionalProperties: false },
);
export type ReleaseRequest = Static<typeof ReleaseRequest>;

const PolicyRef = Type.Object(
  { id: Type.String(), version: Type.Integer(), rule: Type.String() },
  { additionalProperties: false },
);
/**
 * Present when the purpose's policy lists opt-outs: which applied, and how many of the records this
 * release would have described were left out (null: a number from 1 up to `suppressedAtOrBelow`).
 */
export const OptOutsApplied = Type.Object(
  {
    applied: Type.Array(Type.String()),
    excluded: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'null = suppressed' }),
    suppressedAtOrBelow: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type OptOutsApplied = Static<typeof OptOutsApplied>;

const ReleaseBase = {
  purpose: Type.String(),
  runId: Type.String({ format: 'uuid' }),
  policy: PolicyRef,
  optOuts: Type.Optional(OptOutsApplied),
};

export const PseudonymResponse = Type.Object(
  {
    ...ReleaseBase,
    answers: Type.Array(Type.Object({ token: RowToken, pseudonym: Type.String() }, { additionalProperties: false })),
  },
  { $id: 'PseudonymResponse', additionalProperties: false },
);

export const FamilyCriteriaResponse = Type.Object(
  {
    ...ReleaseBase,
    families: Type.Array(
      Type.Object(
        {
          /** The recipient's own rows in the household, never anyone else's. */
          tokens: Type.Array(RowToken),
          criteriaMet: Type.Integer(),
          criteria: Type.Optional(Type.Array(Type.String())),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { $id: 'FamilyCriteriaResponse', additionalProperties: false },
);

const Count = Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'null = suppressed' });
export const AggregateResponse = Type.Object(
  {
    ...ReleaseBase,
    dimensions: Type.Array(
      Type.Object({ name: Type.String(), values: Type.Array(Type.String()) }, { additionalProperties: false }),
    ),
    threshold: Type.Integer(),
    roundTo: Type.Union([Type.Integer(), Type.Null()]),
    cells: Type.Array(Type.Object({ key: Type.Array(Type.String()), count: Count }, { additionalProperties: false })),
    margins: Type.Object(
      {
        grandTotal: Count,
        subtotals: Type.Array(
          Type.Object(
            { key: Type.Array(Type.Union([Type.String(), Type.Null()])), count: Count },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
    suppressed: Type.Object({ primary: Type.Integer(), secondary: Type.Integer() }, { additionalProperties: false }),
    notes: Type.Array(Type.String()),
  },
  { $id: 'AggregateResponse', additionalProperties: false },
);

export const DiscrepancyResponse = Type.Object(
  {
    ...ReleaseBase,
    check: Type.String(),
    flagged: Type.Array(
      Type.Object({ token: RowToken, corroboratingSources: Type.Integer() }, { additionalProperties: false }),
    ),
  },
  { $id: 'DiscrepancyResponse', additionalProperties: false },
);

/**
 * Data-quality feedback to a contributor about its own rows only: row tokens and counts, never another
 * agency's token or value. `sexCompared`/`dobCompared` say whether the encodings allowed the check.
 */
export const DataQualityResponse = Type.Object(
  {
    ...ReleaseBase,
    summary: Type.Object(
      {
        records: Type.Integer(),
        duplicatePairs: Type.Integer(),
        dobDisagreements: Type.Integer(),
        sexDisagreements: Type.Integer(),
        unlinked: Type.Integer(),
        dobCompared: Type.Boolean(),
        sexCompared: Type.Boolean(),
      },
      { additionalProperties: false },
    ),
    /** Pairs of our own rows that linked into one person. */
    duplicates: Type.Array(
      Type.Object({ tokens: Type.Array(RowToken, { minItems: 2, maxItems: 2 }) }, { additionalProperties: false }),
    ),
    /** Our rows whose field the linked records of at least two other sources disagree with. */
    disagreements: Type.Array(
      Type.Object(
        { token: RowToken, fields: Type.Array(Type.Union([Type.Literal('dob'), Type.Literal('sex')])) },
        { additionalProperties: false },
      ),
    ),
    /** Our rows linked to no record of any other source (possibly stale). */
    unlinked: Type.Array(Type.Object({ token: RowToken }, { additionalProperties: false })),
  },
  { $id: 'DataQualityResponse', additionalProperties: false },
);
export type DataQualityResponse = Static<typeof DataQualityResponse>;
