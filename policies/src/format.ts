import Type, { type Static } from 'typebox';
import { Slug } from '@blindlink/protocol';

/**
 * A data-sharing policy, as written by an IG lead in YAML. One policy governs one purpose; it is
 * identified by (id, version) and its content hash. Only releases named here flow back.
 */

export const ReleaseForm = Type.Union([Type.Literal('membership')], { description: 'Kind of answer a recipient may ask for' });
export type ReleaseForm = Static<typeof ReleaseForm>;

export const ReleaseRule = Type.Object(
  {
    id: Slug,
    form: ReleaseForm,
    of: Type.Array(Slug, { minItems: 1, uniqueItems: true, description: 'Contributing agencies the answer may be about' }),
  },
  { additionalProperties: false },
);
export type ReleaseRule = Static<typeof ReleaseRule>;

export const Recipient = Type.Object(
  {
    agency: Slug,
    releases: Type.Array(ReleaseRule, { minItems: 1 }),
  },
  { additionalProperties: false },
);
export type Recipient = Static<typeof Recipient>;

export const Contributor = Type.Object(
  {
    agency: Slug,
    dataset: Type.String({ minLength: 1, maxLength: 200, description: 'What the agency contributes, in words' }),
  },
  { additionalProperties: false },
);
export type Contributor = Static<typeof Contributor>;

const IsoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' });

export const PolicyDocument = Type.Object(
  {
    id: Slug,
    version: Type.Integer({ minimum: 1 }),
    purpose: Slug,
    title: Type.String({ minLength: 1, maxLength: 200 }),
    lawfulBasis: Type.String({ minLength: 1, maxLength: 500 }),
    validFrom: IsoDate,
    validUntil: IsoDate,
    contributors: Type.Array(Contributor, { minItems: 1 }),
    recipients: Type.Array(Recipient, { minItems: 1 }),
    linkage: Type.Object(
      { threshold: Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'Dice similarity at or above which two records link' }) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type PolicyDocument = Static<typeof PolicyDocument>;
