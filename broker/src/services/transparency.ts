import { inForce, type PolicyDocument } from '@blindlink/policies';
import { monthlyReleaseDecisions } from '../audit/query.js';
import * as store from '../governance/policy-store.js';
import type { ServiceDeps } from './deps.js';

/**
 * The register of data sharing agreements in force: what the public transparency page shows and what
 * an IG lead exports for the Digital Economy Act register (ICO data sharing code, "transparency"). It
 * is built from approved policy versions only: their text is public by design and holds no personal data.
 */

export interface AgreementInForce {
  purpose: string;
  title: string;
  policyId: string;
  policyVersion: number;
  contentHash: string;
  controllers: { name: string; role: string }[];
  /** Every party that contributes data, and what it sends. */
  contributors: { agency: string; dataset: string; dataItems: string[] }[];
  /** Who receives what, by release form. */
  recipients: { agency: string; forms: string[] }[];
  lawfulBasis: string;
  specialCategory: string | null;
  legislation: string[];
  dpiaReference: string;
  validFrom: string;
  validUntil: string;
  reviewDate: string;
  retention: { encodings: string; linkage: string; releases: string };
  approvedBy: string;
  approvedAt: string;
}

export interface MonthlyCount {
  month: string;
  released: number;
  refused: number;
}

function agreement(p: store.StoredPolicy): AgreementInForce {
  const d: PolicyDocument = p.document;
  return {
    purpose: d.purpose,
    title: d.title,
    policyId: d.id,
    policyVersion: d.version,
    contentHash: p.contentHash,
    controllers: d.controllers.map((c) => ({ name: c.name, role: c.role })),
    contributors: d.contributors.map((c) => ({
      agency: c.agency,
      dataset: c.dataset,
      dataItems: [...c.identifiers, ...(c.attributes ?? []).map((a) => a.name)],
    })),
    recipients: d.recipients.map((r) => ({ agency: r.agency, forms: [...new Set(r.releases.map((x) => x.form))] })),
    lawfulBasis: d.lawfulBasis.article6,
    specialCategory: d.lawfulBasis.specialCategory ?? null,
    legislation: d.lawfulBasis.legislation ?? [],
    dpiaReference: d.dpia.reference,
    validFrom: d.validFrom,
    validUntil: d.validUntil,
    reviewDate: d.reviewDate,
    retention: { ...d.retention },
    approvedBy: p.approval!.by,
    approvedAt: p.approval!.at.toISOString(),
  };
}

/** The approved version in force today of each purpose (the one requests are judged by), newest first per purpose. */
export async function agreementsInForce({ db }: Pick<ServiceDeps, 'db'>, at = new Date()): Promise<AgreementInForce[]> {
  const byPurpose = new Map<string, store.StoredPolicy>();
  for (const p of await store.listPolicies(db)) {
    if (!p.approval || !inForce(p.document, at)) continue;
    const seen = byPurpose.get(p.document.purpose);
    if (!seen || seen.document.version < p.document.version) byPurpose.set(p.document.purpose, p);
  }
  return [...byPurpose.values()].map(agreement).sort((a, b) => a.purpose.localeCompare(b.purpose));
}

/** The public register: agreements in force with monthly counts of releases and refusals per purpose. */
export async function transparencyRegister(deps: Pick<ServiceDeps, 'db'>) {
  const agreements = await agreementsInForce(deps);
  const counts = await monthlyReleaseDecisions(deps.db);
  return agreements.map((a) => {
    const months = new Map<string, MonthlyCount>();
    for (const c of counts) {
      if (c.purpose !== a.purpose || c.decision === 'failed') continue;
      const m = months.get(c.month) ?? { month: c.month, released: 0, refused: 0 };
      if (c.decision === 'allowed') m.released += c.count;
      else m.refused += c.count;
      months.set(c.month, m);
    }
    return { ...a, months: [...months.values()].sort((x, y) => y.month.localeCompare(x.month)) };
  });
}

/** One CSV line per agreement, the register's columns; lists joined with "; ". */
export const REGISTER_COLUMNS = [
  'purpose',
  'title',
  'policy_id',
  'policy_version',
  'controllers',
  'contributors',
  'data_items',
  'recipients',
  'lawful_basis',
  'special_category',
  'legislation',
  'dpia_reference',
  'valid_from',
  'valid_until',
  'review_date',
  'retention_encodings',
  'retention_linkage',
  'retention_releases',
  'approved_by',
  'approved_at',
  'content_hash',
] as const;

export function registerRow(a: AgreementInForce): string[] {
  return [
    a.purpose,
    a.title,
    a.policyId,
    String(a.policyVersion),
    a.controllers.map((c) => `${c.name} (${c.role})`).join('; '),
    a.contributors.map((c) => `${c.agency}: ${c.dataset}`).join('; '),
    a.contributors.map((c) => `${c.agency}: ${c.dataItems.join(' ')}`).join('; '),
    a.recipients.map((r) => `${r.agency}: ${r.forms.join(' ')}`).join('; '),
    a.lawfulBasis,
    a.specialCategory ?? '',
    a.legislation.join('; '),
    a.dpiaReference,
    a.validFrom,
    a.validUntil,
    a.reviewDate,
    a.retention.encodings,
    a.retention.linkage,
    a.retention.releases,
    a.approvedBy,
    a.approvedAt,
    a.contentHash,
  ];
}
