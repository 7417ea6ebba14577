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
const ReleaseBase = { purpose: Type.String(), runId: Type.String({ format: 'uuid' }), policy: PolicyRef };

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
