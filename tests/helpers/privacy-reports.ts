import type { Kysely } from 'kysely';
import { type Database, purposeReport } from '@blindlink/broker';
import { IDENTIFIERS } from './purposes.js';

/** A two-agency policy (alpha's GP, beta's council tax) for the privacy-report tests. */
export const reportPolicyYaml = (o: { id: string; purpose: string; version: number; dpia: string }) => `
id: ${o.id}
version: ${o.version}
purpose: ${o.purpose}
title: Privacy reports test
controllers: [{ name: Test Council, role: controller }]
lawfulBasis: { article6: UK GDPR Art. 6(1)(e) }
dpia: { reference: ${o.dpia}, approvedOn: 2019-12-01 }
validFrom: 2020-01-01
validUntil: 2099-12-31
reviewDate: 2099-01-01
contributors:
  - { agency: alpha, dataset: GP, identifiers: [${IDENTIFIERS.join(', ')}] }
  - { agency: beta, dataset: Council tax, identifiers: [${IDENTIFIERS.join(', ')}] }
recipients:
  - agency: alpha
    releases:
      - { id: alpha-asks-beta, form: membership, of: [beta] }
retention: { encodings: P30D, linkage: P30D, releases: P30D }
linkage: { threshold: 0.8 }
`;

/**
 * The digest of a purpose's privacy report once every current submission's report is settled (the
 * broker's worker computes them after each submission): what an IG lead approves with.
 */
export async function settledPrivacyDigest(db: Kysely<Database>, purpose: string, timeoutMs = 900_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await purposeReport(db, purpose);
    if (r.digest !== null) return r.digest;
    if (Date.now() > until)
      throw new Error(
        `the privacy report of ${purpose} is still pending: ${JSON.stringify(r.pending.map((p) => p.status))}`,
      );
    await new Promise((res) => setTimeout(res, 100));
  }
}
