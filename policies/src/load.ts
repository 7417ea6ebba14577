import { createHash } from 'node:crypto';
import { Compile } from 'typebox/compile';
import { parseDocument } from 'yaml';
import { PolicyDocument } from './format.js';

export interface PolicyProblem {
  /** JSON pointer into the document, '' for the whole document. */
  path: string;
  message: string;
}

export class PolicyInvalidError extends Error {
  readonly problems: PolicyProblem[];
  constructor(source: string, problems: PolicyProblem[]) {
    super(`${source}: invalid policy:\n` + problems.map((p) => `  ${p.path || '/'}: ${p.message}`).join('\n'));
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

/** Canonical JSON: object keys sorted, so the hash does not depend on YAML key order or layout. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']';
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return '{' + entries.map(([k, v]) => JSON.stringify(k) + ':' + canonicalJson(v)).join(',') + '}';
  }
  return JSON.stringify(value);
}

/** Rules the schema cannot state: cross-references and dates. */
function semanticProblems(doc: PolicyDocument): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const contributors = new Set(doc.contributors.map((c) => c.agency));
  const from = Date.parse(doc.validFrom + 'T00:00:00Z');
  const until = Date.parse(doc.validUntil + 'T00:00:00Z');
  if (Number.isNaN(from)) problems.push({ path: '/validFrom', message: `not a calendar date: ${doc.validFrom}` });
  if (Number.isNaN(until)) problems.push({ path: '/validUntil', message: `not a calendar date: ${doc.validUntil}` });
  if (!(until > from)) problems.push({ path: '/validUntil', message: `must be after validFrom (${doc.validFrom})` });
  doc.contributors.forEach((c, i) => {
    if (doc.contributors.findIndex((d) => d.agency === c.agency) !== i)
      problems.push({ path: `/contributors/${i}/agency`, message: `agency ${c.agency} is listed twice` });
  });
  const ruleIds = new Set<string>();
  doc.recipients.forEach((r, i) => {
    if (!contributors.has(r.agency))
      problems.push({ path: `/recipients/${i}/agency`, message: `recipient ${r.agency} is not a contributor: it has no rows to ask about` });
    r.releases.forEach((rule, j) => {
      if (ruleIds.has(rule.id)) problems.push({ path: `/recipients/${i}/releases/${j}/id`, message: `rule id ${rule.id} is used twice` });
      ruleIds.add(rule.id);
      rule.of.forEach((a, k) => {
        if (!contributors.has(a))
          problems.push({ path: `/recipients/${i}/releases/${j}/of/${k}`, message: `${a} is not a contributor of this policy` });
      });
    });
  });
  return problems;
}

/** Parse and validate a policy from YAML text; throws PolicyInvalidError listing every problem. */
export function parsePolicy(text: string, source = 'policy'): LoadedPolicy {
  const yamlDoc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (yamlDoc.errors.length > 0) {
    throw new PolicyInvalidError(source, yamlDoc.errors.map((e) => ({ path: '', message: `YAML: ${e.message.split('\n')[0]}` })));
  }
  const raw: unknown = yamlDoc.toJS({ maxAliasCount: 0 });
  if (!check.Check(raw)) {
    const problems = [...check.Errors(raw)].map((e) => ({ path: e.instancePath, message: e.message }));
    throw new PolicyInvalidError(source, problems.length > 0 ? problems : [{ path: '', message: 'does not match the policy format' }]);
  }
  const problems = semanticProblems(raw);
  if (problems.length > 0) throw new PolicyInvalidError(source, problems);
  return { document: raw, contentHash: 'sha256:' + createHash('sha256').update(canonicalJson(raw)).digest('hex') };
}
