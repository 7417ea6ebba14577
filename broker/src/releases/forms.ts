import type {
  AggregateRule,
  DiscrepancyRule,
  FamilyCriteriaRule,
  PolicyDocument,
  PseudonymRule,
} from '@blindlink/policies';
import { ProtocolError } from '@blindlink/protocol';
import { pseudonymiser } from '../linkage/pseudonyms.js';
import { aggregateRelease, type Dimension } from './aggregate/index.js';
import { samePlace, type RunRecord } from './run-records.js';

/**
 * The release forms: pure functions of the run's records. Each returns only the recipient's own row
 * tokens, booleans, pseudonyms, criteria codes or suppressed counts — never another agency's rows.
 */

function groupBy<T>(items: T[], key: (t: T) => string | null): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    if (k === null) continue;
    const list = out.get(k);
    if (list) list.push(it);
    else out.set(k, [it]);
  }
  return out;
}

/** Per row of the recipient: a keyed pseudonym of its entity (per purpose, optionally per recipient). */
export function pseudonyms(
  records: RunRecord[],
  requester: string,
  rule: PseudonymRule,
  purpose: string,
  masterKey: Uint8Array,
) {
  const p = pseudonymiser(masterKey, purpose, rule.perRecipient ? { recipient: requester } : {});
  return records.filter((r) => r.agency === requester).map((r) => ({ token: r.token, pseudonym: p(r.entityId) }));
}

const CHILD_CRITERIA = ['school_attendance', 'children_need_help'];

/**
 * Households of the lead agency meeting at least `atLeast` of the criteria, evidenced by any member in
 * any source: a row's `criterion` attribute names the one it evidences; a row without one evidences
 * its source's declared criteria. Dependent children (when required): a member with a dependent_child or
 * expectant attribute, or evidenced by a source whose criteria concern children.
 */
export function familyCriteria(records: RunRecord[], requester: string, rule: FamilyCriteriaRule, doc: PolicyDocument) {
  const declared = new Map(doc.contributors.map((c) => [c.agency, c.criteria ?? []]));
  const wanted = new Set(rule.criteria);
  const families = [];
  for (const members of groupBy(records, (r) => r.householdId).values()) {
    const mine = members.filter((r) => r.agency === requester);
    if (mine.length === 0) continue;
    const met = new Set<string>();
    let children = false;
    for (const r of members) {
      // A row that names its criterion evidences that one; otherwise the dataset's declared criteria apply.
      const attr = r.attributes?.criterion;
      if (typeof attr === 'string') {
        for (const c of attr.split(';')) if (wanted.has(c)) met.add(c);
      } else for (const c of declared.get(r.agency) ?? []) if (wanted.has(c)) met.add(c);
      if (r.attributes?.dependent_child === true || r.attributes?.expectant === true) children = true;
      if ((declared.get(r.agency) ?? []).some((c) => CHILD_CRITERIA.includes(c))) children = true;
    }
    if (met.size < rule.atLeast || (rule.requireDependentChildren && !children)) continue;
    families.push({
      tokens: mine.map((r) => r.token).sort(),
      criteriaMet: met.size,
      ...(rule.includeCriteria ? { criteria: [...met].sort() } : {}),
    });
  }
  return families;
}

/** Counts of the counted dataset's rows by declared attributes and "also known to" flags, suppressed. */
export function aggregate(records: RunRecord[], rule: AggregateRule, doc: PolicyDocument) {
  const counted = doc.contributors.find((c) => c.agency === rule.count)!;
  const entitiesOf = groupBy(records, (r) => r.agency);
  const knownTo = new Map<string, Set<string>>();
  for (const g of rule.groupBy) {
    if (g.startsWith('known_to:'))
      knownTo.set(g, new Set((entitiesOf.get(g.slice('known_to:'.length)) ?? []).map((r) => r.entityId)));
  }
  const dimensions: Dimension[] = rule.groupBy.map((g) => {
    if (g.startsWith('known_to:')) return { name: g, values: ['yes', 'no'] };
    const spec = counted.attributes!.find((a) => a.name === g)!;
    return { name: g, values: spec.type === 'enum' ? [...spec.values] : ['yes', 'no'] };
  });
  const rows = (entitiesOf.get(rule.count) ?? []).map((r) => {
    const row: Record<string, string> = {};
    for (const g of rule.groupBy) {
      if (g.startsWith('known_to:')) row[g] = knownTo.get(g)!.has(r.entityId) ? 'yes' : 'no';
      else {
        const v = r.attributes?.[g];
        const value = typeof v === 'boolean' ? (v ? 'yes' : 'no') : v;
        // A row without the attribute, or listing several values, cannot be placed in one cell.
        if (value === undefined || !dimensions.find((d) => d.name === g)!.values.includes(value)) return null;
        row[g] = value;
      }
    }
    return row;
  });
  const complete = rows.filter((r): r is Record<string, string> => r !== null);
  const opts = { threshold: rule.suppressBelowOrAt ?? 7, ...(rule.roundTo ? { roundTo: rule.roundTo } : {}) };
  const release = aggregateRelease(complete, dimensions, opts);
  const missing = rows.length - complete.length;
  return {
    ...release,
    notes: [...release.notes, ...(missing ? [`${missing} rows lacked a grouping attribute and are not counted`] : [])],
  };
}

/**
 * Discrepancies over linked households. single-person-discount: an account claiming the discount whose
 * household holds other people evidenced by the named sources. school-residency: an application whose
 * address no evidence source places the child or a household member at.
 */
export function discrepancies(records: RunRecord[], requester: string, rule: DiscrepancyRule) {
  const evidence = new Set(rule.evidence);
  const flagged: { token: string; corroboratingSources: number }[] = [];
  if (rule.check === 'single-person-discount') {
    const households = groupBy(records, (r) => r.householdId);
    for (const r of records) {
      if (r.agency !== requester || r.attributes?.single_person_discount !== true || !r.householdId) continue;
      const others = (households.get(r.householdId) ?? []).filter(
        (o) => o.entityId !== r.entityId && evidence.has(o.agency),
      );
      const sources = new Set(others.map((o) => o.agency));
      if (others.length > 0) flagged.push({ token: r.token, corroboratingSources: sources.size });
    }
    return flagged;
  }
  if (rule.check === 'school-residency') {
    const byEntity = groupBy(records, (r) => r.entityId);
    const byHousehold = groupBy(records, (r) => r.householdId);
    for (const app of records) {
      if (app.agency !== requester) continue;
      if (!app.address?.postcode)
        throw new ProtocolError(
          'invalid-body',
          'school-residency needs address and postcode field filters in the applications',
        );
      const candidates = [
        ...(byEntity.get(app.entityId) ?? []),
        ...(app.householdId ? (byHousehold.get(app.householdId) ?? []) : []),
      ];
      const sources = new Set(
        candidates.filter((c) => evidence.has(c.agency) && samePlace(c.address, app.address)).map((c) => c.agency),
      );
      if (sources.size === 0) flagged.push({ token: app.token, corroboratingSources: 0 });
    }
    return flagged;
  }
  return flagged;
}
