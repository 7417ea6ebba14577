import { createHash } from 'node:crypto';
import { Compile } from 'typebox/compile';
import { parseDocument } from 'yaml';
import { canonicalJson } from '@blindlink/protocol';
import {
  AggregateRule,
  DataQualityRule,
  ClericalReviewRule,
  DiscrepancyRule,
  FamilyCriteriaRule,
  MembershipRule,
  OPT_OUT_ATTRIBUTE,
  PolicyDocument,
  PseudonymRule,
  SubjectAccessRule,
  RELEASE_FORMS,
  type ReleaseForm,
} from './format.js';

export interface PolicyProblem {
  /** JSON pointer into the document, '' for the whole document. */
  path: string;
  message: string;
}

export class PolicyInvalidError extends Error {
  readonly problems: PolicyProblem[];
  constructor(source: string, problems: PolicyProblem[]) {
    // One problem is one line; several are listed one to a line under the file's name.
    super(
      problems.length === 1
        ? `${source}: invalid policy: ${problems[0]!.path || '/'}: ${problems[0]!.message}`
        : `${source}: invalid policy:\n` + problems.map((p) => `  ${p.path || '/'}: ${p.message}`).join('\n'),
    );
    this.name = 'PolicyInvalidError';
    this.problems = problems;
  }
}

export interface LoadedPolicy {
  document: PolicyDocument;
  /** sha256 of the canonical JSON of the document: two loads of the same text agree. */
  contentHash: string;
}

const check = Compile(PolicyDocument);

/** Each release form's own schema: a rule is checked against the form it names, not the whole union. */
const RULE_CHECKS: Record<ReleaseForm, ReturnType<typeof Compile>> = {
  membership: Compile(MembershipRule),
  pseudonym: Compile(PseudonymRule),
  'family-criteria': Compile(FamilyCriteriaRule),
  aggregate: Compile(AggregateRule),
  discrepancy: Compile(DiscrepancyRule),
  'data-quality': Compile(DataQualityRule),
  'clerical-review': Compile(ClericalReviewRule),
  'subject-access': Compile(SubjectAccessRule),
};

type SchemaError = { instancePath: string; message: string; params: unknown };

/** An enumeration's error names the values it allows, so the fix is in the message. */
function describeSchemaError(e: SchemaError, prefix = ''): PolicyProblem {
  const allowed = (e.params as { allowedValues?: unknown[] } | undefined)?.allowedValues;
  // additionalProperties: false reports the extra key as "schema is false": say what that means.
  const message = e.message === 'schema is false' ? 'not a field of this object (a typing mistake?)' : e.message;
  return { path: prefix + e.instancePath, message: allowed ? `${message}: ${allowed.join(', ')}` : message };
}

/**
 * Schema problems, each once. A release rule is a union of forms, and the union's errors (every
 * form's complaints at once) never say the one thing that matters: so each rule is checked against
 * the form it names, and a form that is no form is one line listing the forms.
 */
function schemaProblems(raw: unknown): PolicyProblem[] {
  const ruleProblems: PolicyProblem[] = [];
  const rulePaths: string[] = [];
  const recipients = (raw as { recipients?: unknown } | null)?.recipients;
  (Array.isArray(recipients) ? recipients : []).forEach((r, i) => {
    const releases = (r as { releases?: unknown } | null)?.releases;
    (Array.isArray(releases) ? releases : []).forEach((rule: unknown, j) => {
      if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) return;
      const at = `/recipients/${i}/releases/${j}`;
      rulePaths.push(at);
      const form = (rule as { form?: unknown }).form;
      const ruleCheck = typeof form === 'string' ? RULE_CHECKS[form as ReleaseForm] : undefined;
      if (!ruleCheck) {
        const what = form === undefined ? 'missing' : `unknown release form ${JSON.stringify(form)}`;
        ruleProblems.push({ path: `${at}/form`, message: `${what}: the forms are ${RELEASE_FORMS.join(', ')}` });
        return;
      }
      for (const e of ruleCheck.Errors(rule)) ruleProblems.push(describeSchemaError(e as SchemaError, at));
    });
  });
  const inRule = (path: string) => rulePaths.some((at) => path === at || path.startsWith(`${at}/`));
  const problems = [
    ...[...check.Errors(raw)].filter((e) => !inRule(e.instancePath)).map((e) => describeSchemaError(e as SchemaError)),
    ...ruleProblems,
  ];
  const seen = new Set<string>();
  const named = (path: string) =>
    problems.some((p) => p.path.startsWith(`${path}/`) && p.message.startsWith('not a field'));
  return problems.filter((p) => {
    const key = `${p.path} ${p.message}`;
    // The object's own "additional properties" complaint says less than the line naming the field.
    if (seen.has(key) || (p.message === 'must not have additional properties' && named(p.path))) return false;
    seen.add(key);
    return true;
  });
}

const day = (d: string) => Date.parse(d + 'T00:00:00Z');

/** Rules the schema cannot state: dates, cross-references, and what each release form needs. */
function semanticProblems(doc: PolicyDocument): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const problem = (path: string, message: string) => problems.push({ path, message });
  for (const [path, value] of [
    ['/validFrom', doc.validFrom],
    ['/validUntil', doc.validUntil],
    ['/reviewDate', doc.reviewDate],
    ['/dpia/approvedOn', doc.dpia.approvedOn],
  ] as const) {
    const t = day(value);
    if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== value)
      problem(path, `not a calendar date: ${value}`);
  }
  if (!(day(doc.validUntil) > day(doc.validFrom))) problem('/validUntil', `must be after validFrom (${doc.validFrom})`);
  if (day(doc.reviewDate) > day(doc.validUntil))
    problem('/reviewDate', `must be on or before validUntil (${doc.validUntil})`);
  if (day(doc.dpia.approvedOn) > day(doc.validFrom))
    problem('/dpia/approvedOn', `the DPIA must be approved before sharing starts (validFrom ${doc.validFrom})`);
  if ((doc.involves?.length ?? 0) > 0 && !doc.lawfulBasis.specialCategory) {
    problem(
      '/lawfulBasis/specialCategory',
      `required because the policy involves ${doc.involves!.join(' and ')} data (UK GDPR Art. 9/10, DPA 2018 Sch. 1)`,
    );
  }

  const contributors = new Map(doc.contributors.map((c) => [c.agency, c]));
  doc.contributors.forEach((c, i) => {
    if (doc.contributors.findIndex((d) => d.agency === c.agency) !== i)
      problem(`/contributors/${i}/agency`, `agency ${c.agency} is listed twice`);
    const names = (c.attributes ?? []).map((a) => a.name);
    names.forEach((n, k) => {
      if (names.indexOf(n) !== k)
        problem(`/contributors/${i}/attributes/${k}/name`, `attribute ${n} is declared twice`);
      if (n === OPT_OUT_ATTRIBUTE)
        problem(`/contributors/${i}/attributes/${k}/name`, `${n} is reserved for opt-outs: list them under optOuts`);
    });
  });
  (doc.optOuts ?? []).forEach((o, i) => {
    if (doc.optOuts!.findIndex((x) => x.id === o.id) !== i)
      problem(`/optOuts/${i}/id`, `opt-out ${o.id} is listed twice`);
    o.heldBy.forEach((a, k) => {
      if (!contributors.has(a)) problem(`/optOuts/${i}/heldBy/${k}`, `${a} is not a contributor of this policy`);
    });
  });
  const evidenced = new Set(doc.contributors.flatMap((c) => c.criteria ?? []));

  const ruleIds = new Set<string>();
  doc.recipients.forEach((r, i) => {
    const at = `/recipients/${i}`;
    if (doc.recipients.findIndex((o) => o.agency === r.agency) !== i)
      problem(`${at}/agency`, `recipient ${r.agency} is listed twice`);
    const own = contributors.get(r.agency);
    r.releases.forEach((rule, j) => {
      const rp = `${at}/releases/${j}`;
      if (ruleIds.has(rule.id)) problem(`${rp}/id`, `rule id ${rule.id} is used twice`);
      ruleIds.add(rule.id);
      if (rule.form !== 'aggregate' && !own) {
        problem(
          `${at}/agency`,
          `${rule.form} answers about the recipient's own rows, but ${r.agency} is not a contributor`,
        );
      }
      switch (rule.form) {
        case 'membership':
          rule.of.forEach((a, k) => {
            if (!contributors.has(a)) problem(`${rp}/of/${k}`, `${a} is not a contributor of this policy`);
          });
          break;
        case 'family-criteria':
          rule.criteria.forEach((c, k) => {
            if (!evidenced.has(c)) problem(`${rp}/criteria/${k}`, `no contributor evidences criterion ${c}`);
          });
          if (rule.atLeast > rule.criteria.length)
            problem(`${rp}/atLeast`, `${rule.atLeast} is more than the ${rule.criteria.length} criteria listed`);
          break;
        case 'aggregate': {
          const counted = contributors.get(rule.count);
          if (!counted) {
            problem(`${rp}/count`, `${rule.count} is not a contributor of this policy`);
            break;
          }
          rule.groupBy.forEach((g, k) => {
            if (g.startsWith('known_to:')) {
              const other = g.slice('known_to:'.length);
              if (!contributors.has(other))
                problem(`${rp}/groupBy/${k}`, `${other} is not a contributor of this policy`);
            } else if (!(counted.attributes ?? []).some((a) => a.name === g)) {
              problem(`${rp}/groupBy/${k}`, `${rule.count} declares no attribute ${g}`);
            }
          });
          break;
        }
        case 'discrepancy':
          rule.evidence.forEach((a, k) => {
            if (!contributors.has(a)) problem(`${rp}/evidence/${k}`, `${a} is not a contributor of this policy`);
            if (a === r.agency) problem(`${rp}/evidence/${k}`, 'a recipient cannot be its own evidence');
          });
          if (
            rule.check === 'single-person-discount' &&
            !(own?.attributes ?? []).some((a) => a.name === 'single_person_discount')
          ) {
            problem(
              `${rp}/check`,
              `single-person-discount needs ${r.agency} to declare the attribute single_person_discount`,
            );
          }
          if (rule.check === 'single-person-discount' && !own?.identifiers.includes('address')) {
            problem(
              `${rp}/check`,
              `single-person-discount compares households: ${r.agency} must contribute the address identifier`,
            );
          }
          break;
        case 'clerical-review':
          if (rule.band && !(rule.band.from < rule.band.to))
            problem(`${rp}/band`, `from (${rule.band.from}) must be below to (${rule.band.to})`);
          break;
        case 'pseudonym':
        case 'subject-access':
          break;
      }
    });
  });
  return problems;
}

/** Parse and validate a policy from YAML text; throws PolicyInvalidError listing every problem. */
export function parsePolicy(text: string, source = 'policy'): LoadedPolicy {
  const yamlDoc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (yamlDoc.errors.length > 0) {
    throw new PolicyInvalidError(
      source,
      yamlDoc.errors.map((e) => ({ path: '', message: `YAML: ${e.message.split('\n')[0]}` })),
    );
  }
  let raw: unknown;
  try {
    raw = yamlDoc.toJS({ maxAliasCount: 0 });
  } catch (err) {
    // Anchors and aliases are refused: a policy is read by people, and every value must stand where it applies.
    throw new PolicyInvalidError(source, [{ path: '', message: `YAML: ${(err as Error).message}` }]);
  }
  if (!check.Check(raw)) {
    const problems = schemaProblems(raw);
    throw new PolicyInvalidError(
      source,
      problems.length > 0 ? problems : [{ path: '', message: 'does not match the policy format' }],
    );
  }
  const problems = semanticProblems(raw);
  if (problems.length > 0) throw new PolicyInvalidError(source, problems);
  return { document: raw, contentHash: 'sha256:' + createHash('sha256').update(canonicalJson(raw)).digest('hex') };
}
