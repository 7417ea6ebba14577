/**
 * A release the agency fetched (family criteria, discrepancy, membership) → one row per record of
 * ours with what the release says about it. Pure: the caller reads the files. The release may hold
 * bare row tokens (then the token map puts our record ids back) or tokens already paired with record
 * ids (`release --tokens`, `membership --out x.json`).
 */
import Type, { type Static } from 'typebox';
import { Shape } from '../encode/shape-check.js';

/** A row token, bare or with our record id beside it (see withRecordIds). */
const Token = Type.Union([
  Type.String(),
  Type.Object({ token: Type.String(), record_id: Type.Union([Type.String(), Type.Null()]) }),
]);
type Token = Static<typeof Token>;
const Base = {
  purpose: Type.String(),
  runId: Type.String(),
  policy: Type.Object({ id: Type.String(), version: Type.Integer(), rule: Type.String() }),
};
const FamilyRelease = Type.Object({
  ...Base,
  families: Type.Array(
    Type.Object({
      tokens: Type.Array(Token),
      criteriaMet: Type.Integer(),
      criteria: Type.Optional(Type.Array(Type.String())),
    }),
  ),
});
const DiscrepancyRelease = Type.Object({
  ...Base,
  check: Type.String(),
  flagged: Type.Array(Type.Object({ token: Token, corroboratingSources: Type.Integer() })),
});
const MembershipRelease = Type.Object({
  ...Base,
  of: Type.String(),
  answers: Type.Array(Type.Object({ token: Token, known: Type.Boolean() })),
});

export class ReleaseFileError extends Error {}

/** One record of ours: its id, the release's cells for it, and the tags it can be filtered by. */
export interface ReportRow {
  recordId: string;
  cells: string[];
  tags: string[];
}

export interface ReleaseReport {
  form: 'family-criteria' | 'discrepancy' | 'membership';
  title: string;
  purpose: string;
  runId: string;
  policy: string;
  /** Headings of the release's cells, in row order. */
  columns: string[];
  rows: ReportRow[];
}

const fail = (path: string, msg: string): never => {
  throw new ReleaseFileError(`${path || 'the release'} ${msg}`);
};

/**
 * The release's rows with our record ids. Throws ReleaseFileError when the JSON is none of the three
 * forms, or a token is not in the token map (the map of another encoding).
 */
export function releaseRows(json: unknown, tokenMap: ReadonlyMap<string, string> | undefined): ReleaseReport {
  const form = formOf(json);
  let unmapped = 0;
  const idOf = (t: Token): string => {
    const id = typeof t === 'string' ? tokenMap?.get(t) : (t.record_id ?? tokenMap?.get(t.token));
    if (id === undefined) unmapped++;
    return id ?? '';
  };
  const rows: ReportRow[] = [];
  let report: Omit<ReleaseReport, 'rows' | 'purpose' | 'runId' | 'policy'>;
  if (form === 'family-criteria') {
    const r = new Shape(FamilyRelease).parse(json, '', fail);
    r.families.forEach((f, i) => {
      const criteria = f.criteria ?? [];
      for (const t of f.tokens)
        rows.push({
          recordId: idOf(t),
          cells: [String(i + 1), String(f.criteriaMet), criteria.join(', ')],
          tags: criteria,
        });
    });
    report = { form, title: 'Families meeting the criteria', columns: ['Family', 'Criteria met', 'Criteria'] };
  } else if (form === 'discrepancy') {
    const r = new Shape(DiscrepancyRelease).parse(json, '', fail);
    for (const f of r.flagged)
      rows.push({ recordId: idOf(f.token), cells: [r.check, String(f.corroboratingSources)], tags: [r.check] });
    report = { form, title: 'Records flagged for review', columns: ['Check', 'Corroborating sources'] };
  } else {
    const r = new Shape(MembershipRelease).parse(json, '', fail);
    for (const a of r.answers) {
      const known = a.known ? `known to ${r.of}` : `not known to ${r.of}`;
      rows.push({ recordId: idOf(a.token), cells: [a.known ? 'yes' : 'no'], tags: [known] });
    }
    report = { form, title: `Records known to ${r.of}`, columns: [`Known to ${r.of}`] };
  }
  if (unmapped > 0)
    throw new ReleaseFileError(
      tokenMap
        ? `${unmapped} row tokens of the release are not in the token map: is it the map of the submitted file?`
        : `the release holds bare row tokens: give --tokens <encoded>.tokens.csv to put our record ids back`,
    );
  const r = json as Static<typeof DiscrepancyRelease>;
  return {
    ...report,
    purpose: r.purpose,
    runId: r.runId,
    policy: `${r.policy.id} v${r.policy.version}, rule ${r.policy.rule}`,
    rows,
  };
}

function formOf(json: unknown): ReleaseReport['form'] {
  const o = (json ?? {}) as Record<string, unknown>;
  if (typeof o !== 'object') return fail('', 'is not a JSON object');
  if ('families' in o) return 'family-criteria';
  if ('flagged' in o) return 'discrepancy';
  if ('answers' in o && 'of' in o) return 'membership';
  return fail(
    '',
    'is not a family-criteria, discrepancy or membership release ' +
      '(aggregate and pseudonym releases hold no flags to list)',
  );
}
