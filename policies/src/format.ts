import Type, { type Static } from 'typebox';
import { Slug } from '@blindlink/protocol';

/**
 * A data-sharing policy, as written by an IG lead in YAML: what the ICO Data Sharing Code asks an
 * agreement to state, plus the machine-checkable parts (who contributes which identifiers and
 * attributes, who may ask for which release). One policy governs one purpose; it is identified by
 * (id, version) and its content hash. Anything not named here is refused.
 */

const IsoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' });
const Text = (max = 500) => Type.String({ minLength: 1, maxLength: max });

export const IdentifierField = Type.Union([
  Type.Literal('given_name'),
  Type.Literal('surname'),
  Type.Literal('dob'),
  Type.Literal('sex'),
  Type.Literal('address'),
  Type.Literal('postcode'),
  Type.Literal('nhs_number'),
]);
export type IdentifierField = Static<typeof IdentifierField>;

const AttributeName = Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' });

/** A non-identifying attribute an agency may attach to its rows: declared, so it can be checked. */
export const AttributeSpec = Type.Union([
  Type.Object(
    {
      name: AttributeName,
      type: Type.Literal('enum'),
      values: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
        minItems: 1,
        maxItems: 200,
        uniqueItems: true,
      }),
    },
    { additionalProperties: false },
  ),
  Type.Object({ name: AttributeName, type: Type.Literal('boolean') }, { additionalProperties: false }),
]);
export type AttributeSpec = Static<typeof AttributeSpec>;

export const Contributor = Type.Object(
  {
    agency: Slug,
    dataset: Text(200),
    /** Data minimisation: a submission whose schema encodes any other identifier is refused. */
    identifiers: Type.Array(IdentifierField, { minItems: 1, uniqueItems: true }),
    attributes: Type.Optional(Type.Array(AttributeSpec, { maxItems: 32 })),
    /** Family criteria this dataset evidences for every linked person (Troubled/Supporting Families). */
    criteria: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' }), { uniqueItems: true })),
    /** Whether the dataset holds at most one row per person (the engine then never merges two of its rows). */
    duplicateFree: Type.Optional(Type.Boolean()),
    /**
     * Who the dataset can hold: only people aged 18 or over, or only under-18s (absent: anyone). The
     * engine then never puts a row of an adults-only dataset and a row of a children-only one in one entity.
     */
    population: Type.Optional(
      Type.Enum(['adults', 'children'], {
        description: 'adults: only people aged 18 or over; children: only people under 18',
      }),
    ),
  },
  { additionalProperties: false },
);
export type Contributor = Static<typeof Contributor>;

const RuleBase = { id: Slug, description: Type.Optional(Text(300)) };

export const MembershipRule = Type.Object(
  { ...RuleBase, form: Type.Literal('membership'), of: Type.Array(Slug, { minItems: 1, uniqueItems: true }) },
  { additionalProperties: false },
);
export const PseudonymRule = Type.Object(
  { ...RuleBase, form: Type.Literal('pseudonym'), perRecipient: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
export const FamilyCriteriaRule = Type.Object(
  {
    ...RuleBase,
    form: Type.Literal('family-criteria'),
    /** The criteria counted, and how many of them a household must meet. */
    criteria: Type.Array(Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' }), { minItems: 1, uniqueItems: true }),
    atLeast: Type.Integer({ minimum: 1 }),
    /** Release which criteria were met (never which agency evidenced them). */
    includeCriteria: Type.Optional(Type.Boolean()),
    /** Only households with dependent children or expectant parents (Supporting Families). */
    requireDependentChildren: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export const AggregateRule = Type.Object(
  {
    ...RuleBase,
    form: Type.Literal('aggregate'),
    /** The dataset whose rows are counted. */
    count: Slug,
    /** attribute names of that dataset, or known_to:<agency> for "also known to" flags. */
    groupBy: Type.Array(Type.String({ pattern: '^([a-z][a-z0-9_]{0,63}|known_to:[a-z0-9][a-z0-9-]{0,62})$' }), {
      minItems: 1,
      maxItems: 3,
      uniqueItems: true,
    }),
    suppressBelowOrAt: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, description: 'No released count from 1 up to this (default 7)' }),
    ),
    roundTo: Type.Optional(Type.Integer({ minimum: 2, maximum: 100 })),
  },
  { additionalProperties: false },
);
export const DiscrepancyRule = Type.Object(
  {
    ...RuleBase,
    form: Type.Literal('discrepancy'),
    check: Type.Union([Type.Literal('single-person-discount'), Type.Literal('school-residency')]),
    /** Contributing datasets counted as evidence of residence. */
    evidence: Type.Array(Slug, { minItems: 1, uniqueItems: true }),
  },
  { additionalProperties: false },
);

/**
 * Feedback to a contributor about its own records: likely duplicates, a date of birth or sex that the
 * linked records of other sources disagree with, records linked to nobody. Never another agency's value.
 */
export const DataQualityRule = Type.Object(
  {
    ...RuleBase,
    form: Type.Literal('data-quality'),
    /** Per-field Dice (corrected for flipping) below which two linked records disagree on a field (default 0.8). */
    disagreeBelow: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
  },
  { additionalProperties: false },
);

/**
 * Clerical review: the recipient's most uncertain pairs from the latest run (per-field comparison
 * levels and weights, never identifiers), for a data officer to label match or non-match; the same
 * rule lets the recipient return those labels, which the next run applies (docs/clerical-review.md).
 */
export const ClericalReviewRule = Type.Object(
  {
    ...RuleBase,
    form: Type.Literal('clerical-review'),
    /** The most pairs one export holds. */
    pairs: Type.Integer({ minimum: 1, maximum: 1000 }),
    /** Match probabilities the pairs are drawn from (default 0.05 to 0.95). */
    band: Type.Optional(
      Type.Object(
        { from: Type.Number({ minimum: 0, maximum: 1 }), to: Type.Number({ minimum: 0, maximum: 1 }) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/**
 * Subject access: the recipient may ask, for a resident it holds itself, which runs included them and
 * which releases were about them (docs/rights.md). At most `perDay` requests per agency in 24 hours.
 */
export const SubjectAccessRule = Type.Object(
  {
    ...RuleBase,
    form: Type.Literal('subject-access'),
    perDay: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Requests per 24 h (default 20)' })),
  },
  { additionalProperties: false },
);

export type MembershipRule = Static<typeof MembershipRule>;
export type PseudonymRule = Static<typeof PseudonymRule>;
export type FamilyCriteriaRule = Static<typeof FamilyCriteriaRule>;
export type AggregateRule = Static<typeof AggregateRule>;
export type DiscrepancyRule = Static<typeof DiscrepancyRule>;
export type DataQualityRule = Static<typeof DataQualityRule>;
export type ClericalReviewRule = Static<typeof ClericalReviewRule>;
export type SubjectAccessRule = Static<typeof SubjectAccessRule>;

export const ReleaseRule = Type.Union([
  MembershipRule,
  PseudonymRule,
  FamilyCriteriaRule,
  AggregateRule,
  DiscrepancyRule,
  DataQualityRule,
  ClericalReviewRule,
  SubjectAccessRule,
]);
export type ReleaseRule = Static<typeof ReleaseRule>;
export type ReleaseForm = ReleaseRule['form'];
export const RELEASE_FORMS: ReleaseForm[] = [
  'membership',
  'pseudonym',
  'family-criteria',
  'aggregate',
  'discrepancy',
  'data-quality',
  'clerical-review',
  'subject-access',
];

export const Recipient = Type.Object(
  { agency: Slug, releases: Type.Array(ReleaseRule, { minItems: 1 }) },
  { additionalProperties: false },
);
export type Recipient = Static<typeof Recipient>;

export const Controller = Type.Object(
  {
    name: Text(200),
    role: Type.Union([Type.Literal('controller'), Type.Literal('joint controller'), Type.Literal('processor')]),
  },
  { additionalProperties: false },
);

/**
 * The record attribute an opt-out holder marks opted-out rows with: the opt-out ids, ';'-separated.
 * Reserved: no contributor may declare an attribute of this name.
 */
export const OPT_OUT_ATTRIBUTE = 'opt_out';

/**
 * An opt-out that applies to the purpose (the NHS national data opt-out, a local objections register)
 * and the contributors that hold it and mark their opted-out rows at encoding.
 */
export const OptOut = Type.Object(
  { id: Slug, heldBy: Type.Array(Slug, { minItems: 1, uniqueItems: true }), description: Type.Optional(Text(300)) },
  { additionalProperties: false },
);
export type OptOut = Static<typeof OptOut>;

/** ISO 8601 durations in days only (P30D): retention is counted in whole days. */
const Days = Type.String({ pattern: '^P[1-9][0-9]{0,4}D$', description: 'ISO 8601 duration in days, e.g. P90D' });

export const PolicyDocument = Type.Object(
  {
    id: Slug,
    version: Type.Integer({ minimum: 1 }),
    purpose: Slug,
    title: Text(200),
    controllers: Type.Array(Controller, { minItems: 1 }),
    lawfulBasis: Type.Object(
      {
        article6: Text(300),
        /** Required when health or criminal-offence data is involved (Art. 9 / Art. 10, DPA 2018 Sch. 1). */
        specialCategory: Type.Optional(Text(500)),
        legislation: Type.Optional(Type.Array(Text(200))),
      },
      { additionalProperties: false },
    ),
    involves: Type.Optional(
      Type.Array(Type.Union([Type.Literal('health'), Type.Literal('criminal-offence')]), { uniqueItems: true }),
    ),
    dpia: Type.Object({ reference: Text(100), approvedOn: IsoDate }, { additionalProperties: false }),
    validFrom: IsoDate,
    validUntil: IsoDate,
    reviewDate: IsoDate,
    contributors: Type.Array(Contributor, { minItems: 1 }),
    recipients: Type.Array(Recipient, { minItems: 1 }),
    /** Opt-outs that apply: every record linked to an opted-out person is left out of every release. */
    optOuts: Type.Optional(Type.Array(OptOut, { maxItems: 16 })),
    retention: Type.Object(
      { encodings: Days, linkage: Days, releases: Days },
      { additionalProperties: false, description: 'How long each kind of data is kept before purge deletes it' },
    ),
    linkage: Type.Object(
      {
        threshold: Type.Number({
          exclusiveMinimum: 0,
          maximum: 1,
          description: 'Dice similarity at or above which two records link (record-level mode)',
        }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type PolicyDocument = Static<typeof PolicyDocument>;
