import { dirname, join } from 'node:path';
import { readEncodedFile } from '@blindlink/agency-client';
import { addPerson, approvePolicy, storePolicy } from '@blindlink/broker';
import { parsePolicy } from '@blindlink/policies';
import { synthCommand } from '@blindlink/synth';
import { call, POLICY_YAML, runToEnd, seal, submitAs, tokenFor, upload, type TestBroker } from './in-process.js';
import { encodeIdentifiers } from './purposes.js';

/**
 * What the console tests and screenshots need on a testBroker: an admin, an analyst of purpose
 * "console" (whose policy grants analysts an aggregate by band), a completed run of that purpose over
 * two submissions, and version 2 of the test policy loaded but not yet approved. The analyst also has
 * purpose "console-model", whose run (seedModelRun) fits a Fellegi–Sunter model: random encodings
 * only ever score by Dice, and the run page shows a model's match weights.
 */
export const CONSOLE_PEOPLE = {
  admin: { username: 'ada', password: 'purple elephants dance quietly 17' },
  analyst: { username: 'ann', password: 'seventeen green bottles 4 sale' },
  igLead: { username: 'iggy', password: 'correct horse battery staple 42' },
} as const;

export const CONSOLE_POLICY = `
id: console-policy
version: 1
purpose: console
title: Console test purpose
controllers: [{ name: Test Council, role: controller }, { name: Test Police, role: joint controller }]
lawfulBasis: { article6: UK GDPR Art. 6(1)(e), legislation: [Digital Economy Act 2017 s.35] }
dpia: { reference: DPIA-C-1, approvedOn: 2019-12-01 }
validFrom: 2020-01-01
validUntil: 2099-12-31
reviewDate: 2099-01-01
contributors:
  - agency: alpha
    dataset: Alpha list
    identifiers: [given_name, surname, dob]
    attributes: [{ name: band, type: enum, values: [A, B, C] }]
  - { agency: beta, dataset: Beta list, identifiers: [given_name, surname, dob] }
recipients:
  - agency: analysts
    releases:
      - { id: alpha-by-band, form: aggregate, count: alpha, groupBy: [band] }
retention: { encodings: P30D, linkage: P30D, releases: P30D }
linkage: { threshold: 0.8 }
`;

export const CONSOLE_MODEL_POLICY = `
id: console-model-policy
version: 1
purpose: console-model
title: Console model purpose
controllers: [{ name: Test Council, role: controller }]
lawfulBasis: { article6: UK GDPR Art. 6(1)(e) }
dpia: { reference: DPIA-C-2, approvedOn: 2019-12-01 }
validFrom: 2020-01-01
validUntil: 2099-12-31
reviewDate: 2099-01-01
contributors:
  - agency: alpha
    dataset: Council tax
    identifiers: [given_name, surname, dob, address, postcode]
    duplicateFree: true
  - agency: beta
    dataset: GP register
    identifiers: [given_name, surname, dob, sex, address, postcode, nhs_number]
    duplicateFree: true
recipients:
  - agency: alpha
    releases:
      - { id: alpha-pseudonyms, form: pseudonym }
      - { id: alpha-quality, form: data-quality }
  - agency: beta
    releases:
      - { id: beta-quality, form: data-quality }
  # A threshold of 50 makes the purpose's small-number suppression show on the data-quality page.
  - agency: analysts
    releases:
      - { id: alpha-known-to-beta, form: aggregate, count: alpha, groupBy: [known_to:beta], suppressBelowOrAt: 50 }
retention: { encodings: P30D, linkage: P30D, releases: P30D }
linkage: { threshold: 0.8 }
`;

export async function seedConsole(b: TestBroker): Promise<void> {
  const { admin, analyst } = CONSOLE_PEOPLE;
  await addPerson(b.db, { ...admin, role: 'admin', createdBy: 'test' });
  await addPerson(b.db, { ...analyst, role: 'analyst', createdBy: 'test', purposes: ['console', 'console-model'] });
  await storePolicy(b.db, parsePolicy(CONSOLE_POLICY), 'admin:root');
  await approvePolicy(b.db, 'console-policy', 1, 'iggy');
  await storePolicy(b.db, parsePolicy(CONSOLE_MODEL_POLICY), 'admin:root');
  await approvePolicy(b.db, 'console-model-policy', 1, 'iggy');
  // Version 2 of the test policy: a longer retention, for the IG lead to read the diff and approve.
  await storePolicy(
    b.db,
    parsePolicy(POLICY_YAML.replace('version: 1', 'version: 2').replace('encodings: P30D', 'encodings: P60D')),
    'admin:root',
  );
  // Bands of 40, 25 and 5 records: C is small, so suppressed, and another cell with it.
  const alpha = upload(70, 11);
  const header = { ...alpha.header, attributes: ['band'] };
  const bands = alpha.records.map((r, i) => ({ ...r, attributes: { band: i < 40 ? 'A' : i < 65 ? 'B' : 'C' } }));
  for (const [agency, body] of [
    ['alpha', { header, records: bands }],
    ['beta', upload(30, 12)],
  ] as const) {
    const r = await call(b, 'POST', '/v1/purposes/console/submissions', {
      as: agency,
      token: await tokenFor(b, agency),
      body: await seal(b, agency, body),
      headers: { 'idempotency-key': `console-${agency}` },
    });
    if (r.status !== 201) throw new Error(`submission ${agency}: ${r.text}`);
  }
  const run = await runToEnd(b, 'console', { as: 'alpha', token: await tokenFor(b, 'alpha') });
  if (run.json?.status !== 'completed') throw new Error(`run: ${JSON.stringify(run.json)}`);
}

/**
 * Purpose console-model (after seedConsole): two synthetic extracts encoded as the agencies would,
 * linked by a fitted model, and each agency's data-quality feedback from that run; returns the run's id.
 */
export async function seedModelRun(b: TestBroker): Promise<string> {
  const dir = join(dirname(b.keyDirs.alpha!), 'console-model'); // testBroker's own test directory
  await synthCommand(
    { persons: 800, seed: 'console-chart', out: dir, agencies: ['council_tax', 'nhs_gp'] },
    { info: () => {} },
  );
  for (const [agency, extract] of [
    ['alpha', 'council_tax'],
    ['beta', 'nhs_gp'],
  ] as const) {
    const out = await encodeIdentifiers(
      join(dir, `${extract}.csv`),
      join(dir, `${extract}.enc`),
      Buffer.from('console model secret, agencies only'),
    );
    const r = await submitAs(b, agency, readEncodedFile(out).body, `console-model-${agency}`, {
      purpose: 'console-model',
    });
    if (r.status !== 201) throw new Error(`console-model submission ${agency}: ${r.text}`);
  }
  const run = await runToEnd(b, 'console-model', { as: 'alpha', token: await tokenFor(b, 'alpha') });
  if (run.json?.status !== 'completed') throw new Error(`console-model run: ${JSON.stringify(run.json)}`);
  // Each agency's data-quality feedback, whose counts the analyst's data-quality page shows.
  for (const agency of ['alpha', 'beta']) {
    const r = await call(b, 'POST', '/v1/purposes/console-model/releases/data-quality', {
      as: agency,
      token: await tokenFor(b, agency),
      body: {},
    });
    if (r.status !== 200) throw new Error(`console-model data-quality ${agency}: ${r.text}`);
  }
  return run.json.runId as string;
}
