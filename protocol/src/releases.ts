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

/**
 * Clerical review (docs/clerical-review.md): the recipient's most uncertain pairs. Per pair only the
 * recipient's own row tokens; the other side, when another agency's, is an opaque reference that means
 * nothing outside this export. Evidence is per-field comparison levels and weights, never values.
 */
const ReviewId = Type.String({ pattern: '^rv-[A-Za-z0-9_-]{22}$' });
export const ReviewPair = Type.Object(
  {
    reviewId: ReviewId,
    /** The recipient's own rows in the pair: one, or two when both are its own (a possible duplicate). */
    yours: Type.Array(RowToken, { minItems: 1, maxItems: 2 }),
    /** The other side when it is not the recipient's: opaque, per recipient. */
    other: Type.Union([Type.String(), Type.Null()]),
    /** Posterior match probability (Fellegi–Sunter), or null when the run scored by record-level Dice. */
    probability: Type.Union([Type.Number(), Type.Null()]),
    /** The pair's score (log2 odds, or Dice) and the run's threshold on the same scale. */
    score: Type.Number(),
    threshold: Type.Number(),
    /** Whether the run put the two records in one entity. */
    linked: Type.Boolean(),
    fields: Type.Array(
      Type.Object(
        { field: Type.String(), level: Type.String(), weight: Type.Union([Type.Number(), Type.Null()]) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ReviewPair = Static<typeof ReviewPair>;

export const ClericalReviewResponse = Type.Object(
  { ...ReleaseBase, pairs: Type.Array(ReviewPair) },
  { $id: 'ClericalReviewResponse', additionalProperties: false },
);
export type ClericalReviewResponse = Static<typeof ClericalReviewResponse>;

export const ReviewVerdict = Type.Union([Type.Literal('match'), Type.Literal('non-match'), Type.Literal('unsure')]);
export type ReviewVerdict = Static<typeof ReviewVerdict>;

/** A data officer's labels for pairs of an export: replaces the agency's earlier label of the same pair. */
export const ReviewLabelsRequest = Type.Object(
  {
    labels: Type.Array(Type.Object({ reviewId: ReviewId, verdict: ReviewVerdict }, { additionalProperties: false }), {
      minItems: 1,
      maxItems: 1000,
    }),
  },
  { $id: 'ReviewLabelsRequest', additionalProperties: false },
);
export type ReviewLabelsRequest = Static<typeof ReviewLabelsRequest>;

export const ReviewLabelsResponse = Type.Object(
  {
    purpose: Type.String(),
    policy: PolicyRef,
    stored: Type.Integer(),
    /** Pairs whose labels from the agencies involved disagree: the next run applies neither. */
    conflicts: Type.Integer(),
  },
  { $id: 'ReviewLabelsResponse', additionalProperties: false },
);
export type ReviewLabelsResponse = Static<typeof ReviewLabelsResponse>;
