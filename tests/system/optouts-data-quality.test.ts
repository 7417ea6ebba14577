/**
 * Issue 18 parts 1 and 4 end to end on real PostgreSQL, through the CLI over mutual TLS, against the
 * synthetic ground truth: the GP practice marks opted-out patients at encoding; every record linked to
 * them, from every source, is left out of council tax's releases, and the count says so (suppressed when
 * small); an opt-out the purpose does not list is refused. Data-quality feedback finds planted duplicates
 * and planted dates of birth that two other sources disagree with, and carries only council tax's tokens.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { Writable } from 'node:stream';
import { enrol, readTokenMap } from '@blindlink/agency-client';
import { addPerson, approvePolicy, createLogger, registerAgency, startBroker, storePolicy } from '@blindlink/broker';
import { parsePolicy } from '@blindlink/policies';
import { synthCommand } from '@blindlink/synth';
import { freshPostgres } from '../helpers/postgres.js';
import { AGENCY_BIN, run } from '../helpers/processes.js';
import { encodeIdentifiers, IDENTIFIERS, ignoredColumns, readCsv, writeCsv } from '../helpers/purposes.js';

const OPT_OUT = 'nhs-national-data-opt-out';
const AGENCIES = { 'nhs-gp': 'nhs_gp', 'council-tax': 'council_tax', police: 'police', dwp: 'dwp' } as const;

function policy(id: string, purpose: string, withOptOuts: boolean): string {
  const who = (a: string, ids: string) => `  - { agency: ${a}, dataset: ${a} extract, identifiers: [${ids}] }\n`;
  const person = 'given_name, surname, dob, sex, address, postcode';
  return (
    `id: ${id}\nversion: 1\npurpose: ${purpose}\ntitle: Rights test ${purpose}\n` +
    'controllers: [{ name: Example Borough Council, role: controller }]\n' +
    'lawfulBasis: { article6: UK GDPR Art. 6(1)(e) public task, specialCategory: DPA 2018 Sch. 1 para 6 }\n' +
    'involves: [health]\ndpia: { reference: DPIA-1, approvedOn: 2025-12-01 }\n' +
    'validFrom: 2026-01-01\nvalidUntil: 2027-12-31\nreviewDate: 2026-12-31\ncontributors:\n' +
    who('nhs-gp', `${person}, nhs_number`) +
    '  - agency: council-tax\n    dataset: liable persons\n' +
    '    identifiers: [given_name, surname, dob, address, postcode]\n' +
    '    attributes: [{ name: ward, type: enum, values: [Castle, Abbey, Riverside, Market, Highfield, ' +
    `"St Mary's", Brookside, Kingsmere North, Kingsmere South, Oakwood, Millfield, Eastgate] }]\n` +
    who('police', person) +
    who('dwp', person) +
    'recipients:\n  - agency: council-tax\n    releases:\n' +
    '      - { id: ct-known, form: membership, of: [nhs-gp, police] }\n' +
    '      - { id: ct-pseudonyms, form: pseudonym }\n' +
    '      - { id: ct-by-ward, form: aggregate, count: council-tax, groupBy: ["known_to:nhs-gp"] }\n' +
    '      - { id: ct-quality, form: data-quality }\n' +
    '  - agency: police\n    releases: [{ id: police-pseudonyms, form: pseudonym }]\n' +
    (withOptOuts ? `optOuts: [{ id: ${OPT_OUT}, heldBy: [nhs-gp], description: uses beyond individual care }]\n` : '') +
    'retention: { encodings: P90D, linkage: P90D, releases: P365D }\nlinkage: { threshold: 0.8 }\n'
  );
}

t.test('opt-outs and data-quality feedback through the CLI (PostgreSQL)', async (t) => {
  const dir = t.testdir({});
  const data = join(dir, 'synth');
  await synthCommand(
    { persons: 800, seed: 'optout', out: data, agencies: Object.values(AGENCIES) },
    { info: () => {} },
  );
  const truth = readCsv(join(data, 'truth/records.csv')).rows;
  const personOf = new Map(truth.map((r) => [r.record_id!, r.person_id!]));
  const holders = (agency: string) => {
    const m = new Map<string, string[]>();
    for (const r of truth.filter((x) => x.agency === agency))
      m.set(r.person_id!, [...(m.get(r.person_id!) ?? []), r.record_id!]);
    return m;
  };
  const gp = holders('nhs_gp');
  const ct = holders('council_tax');
  const police = holders('police');
  const dwp = holders('dwp');
  const clean = (p: string) => !truth.some((r) => r.person_id === p && r.variations);

  // Opted out at the GP practice: three people police also hold (so police's own count is small and
  // suppressed) and 27 more that council tax holds (so its count is shown).
  const inCtGp = [...ct.keys()].filter((p) => gp.has(p) && clean(p));
  const optedOut = new Set([
    ...inCtGp.filter((p) => police.has(p)).slice(0, 3),
    ...inCtGp.filter((p) => !police.has(p)).slice(0, 27),
  ]);
  t.ok(optedOut.size >= 25, `${optedOut.size} opted-out people held by both GP and council tax`);
  // Planted in council tax, among people nobody opted out: five duplicate rows, and five dates of
  // birth that the GP and at least one more source disagree with.
  const others = (p: string) => [gp, police, dwp].filter((m) => m.has(p)).length;
  const free = inCtGp.filter((p) => !optedOut.has(p) && ct.get(p)!.length === 1);
  const dobPlanted = free.filter((p) => others(p) >= 2).slice(0, 5);
  const dupPlanted = free.filter((p) => !dobPlanted.includes(p)).slice(0, 5);
  t.equal(dobPlanted.length, 5, 'five council tax people known to two other sources');

  const gpCsv = readCsv(join(data, 'nhs_gp.csv'));
  for (const r of gpCsv.rows) r.opt_out = optedOut.has(personOf.get(r.record_id!)!) ? OPT_OUT : '';
  writeCsv(join(dir, 'nhs_gp.csv'), [...gpCsv.header, 'opt_out'], gpCsv.rows);
  const ctCsv = readCsv(join(data, 'council_tax.csv'));
  const plantedDobRows = new Set<string>();
  const plantedPairs: string[][] = [];
  for (const r of [...ctCsv.rows]) {
    const p = personOf.get(r.record_id!)!;
    if (dobPlanted.includes(p) && r.dob) {
      // Another person's date: the other sources hold the true one.
      const [d, m, y] = r.dob.split('/').map(Number) as [number, number, number];
      const day = String(((d + 10) % 28) + 1).padStart(2, '0');
      r.dob = `${day}/${String(((m + 4) % 12) + 1).padStart(2, '0')}/${y - 13}`;
      plantedDobRows.add(r.record_id!);
    }
    if (dupPlanted.includes(p)) {
      const copy = { ...r, record_id: `${r.record_id}D`, given_name: r.given_name!.toUpperCase() };
      ctCsv.rows.push(copy);
      plantedPairs.push([r.record_id!, copy.record_id].sort());
    }
  }
  writeCsv(join(dir, 'council_tax.csv'), ctCsv.header, ctCsv.rows);
  for (const f of ['police', 'dwp']) writeFileSync(join(dir, `${f}.csv`), readFileSync(join(data, `${f}.csv`)));
  writeFileSync(join(dir, 'secret.key'), 'a shared linkage secret that only agencies hold\n', { mode: 0o600 });

  // The operator's side in process (the CLI's own tests cover it); the agencies' side through the CLI.
  const pg = await freshPostgres();
  const broker = await startBroker({
    dataDir: join(dir, 'broker-data'),
    databaseUrl: pg.url,
    logger: createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() })),
  });
  t.teardown(async () => {
    // The submissions' privacy reports, which this test does not read, are not waited for: closing the
    // broker hands a report under way back to the queue (tests/system/report-recovery.test.ts).
    await broker.close();
    await pg.drop();
  });
  await addPerson(broker.db, {
    username: 'iggy',
    role: 'ig-lead',
    password: 'correct horse battery 42',
    createdBy: 'test',
  });
  for (const [id, purpose, optOuts] of [
    ['rights-a', 'rights-a', true],
    ['rights-b', 'rights-b', false],
  ] as const) {
    await storePolicy(broker.db, parsePolicy(policy(id, purpose, optOuts)), 'admin:root');
    await approvePolicy(broker.db, id, 1, 'iggy');
  }
  const keys = (a: string) => join(dir, `${a}-keys`);
  for (const a of Object.keys(AGENCIES)) {
    const { enrolmentCode } = await registerAgency(broker.db, a, a);
    await enrol({ baseUrl: broker.url, keyDir: keys(a), agency: a, code: enrolmentCode, caPem: broker.caCertificate });
  }
  const agencyEnv = { env: { BLINDLINK_BROKER: broker.url } };
  const as = (a: string, purpose = 'rights-a') => ['--key-dir', keys(a), '--purpose', purpose];
  const cli = async (args: string[], what: string, code = 0) => {
    const r = await run(AGENCY_BIN, args, agencyEnv);
    t.equal(r.code, code, `${what}: ${r.stderr}`);
    return r;
  };

  // The GP practice marks its opted-out rows as it encodes, through the CLI.
  const gpHeader = readCsv(join(dir, 'nhs_gp.csv')).header;
  await cli(
    [
      'encode',
      '--input',
      join(dir, 'nhs_gp.csv'),
      '--secret-file',
      join(dir, 'secret.key'),
      '--out',
      join(dir, 'gp.enc'),
      '--on-invalid',
      'missing',
      '--ignore',
      ignoredColumns(gpHeader, IDENTIFIERS, ['opt_out']).join(','),
      '--attributes',
      'opt_out',
    ],
    'encode gp.enc',
  );
  const secret = readFileSync(join(dir, 'secret.key')).subarray(0, -1); // as the CLI reads it: no newline
  await encodeIdentifiers(join(dir, 'council_tax.csv'), join(dir, 'ct.enc'), secret, 'uk-person', ['ward']);
  await encodeIdentifiers(join(dir, 'police.csv'), join(dir, 'police.enc'), secret);
  await encodeIdentifiers(join(dir, 'dwp.csv'), join(dir, 'dwp.enc'), secret);

  // Purpose B lists no opt-out: the flagged file is refused, not silently stripped (an unflagged file
  // is accepted: tests/unit/rights.test.ts).
  const refusedB = await cli(['submit', ...as('nhs-gp', 'rights-b'), '--in', join(dir, 'gp.enc')], 'opt-out to B', 1);
  t.match(refusedB.stderr, /403 policy-refused.*lists no opt-out held by nhs-gp/);

  for (const [a, f] of <[string, string][]>[
    ['nhs-gp', 'gp'],
    ['council-tax', 'ct'],
    ['police', 'police'],
    ['dwp', 'dwp'],
  ])
    await cli(['submit', ...as(a), '--in', join(dir, `${f}.enc`)], `submit ${a}`);
  await cli(['run', ...as('council-tax')], 'run');

  const ctMap = readTokenMap(join(dir, 'ct.enc.tokens.csv'));
  const ctIds = [...ctMap.values()];
  const optedOutCt = ctIds.filter((id) => optedOut.has(personOf.get(id.replace(/D$/, ''))!));
  t.ok(optedOutCt.length > 7, `${optedOutCt.length} council tax rows of opted-out people`);

  const release = async (agency: string, form: string, tokens: string) => {
    const out = join(dir, `${agency}-${form}.json`);
    const r = await cli(
      ['release', ...as(agency), '--form', form, '--tokens', join(dir, tokens), '--out', out],
      `${agency} ${form}`,
    );
    return { json: JSON.parse(readFileSync(out, 'utf8')), stdout: r.stdout, stderr: r.stderr };
  };

  // Pseudonyms: no opted-out person's row, and the count of those left out is exact (above 7).
  const pseud = await release('council-tax', 'pseudonym', 'ct.enc.tokens.csv');
  const answered = new Set(pseud.json.answers.map((a: { token: { record_id: string } }) => a.token.record_id));
  t.same(
    optedOutCt.filter((id) => answered.has(id)),
    [],
    'no pseudonym for an opted-out person',
  );
  t.equal(pseud.json.optOuts.excluded, ctIds.length - answered.size, 'the count excluded is what was left out');
  t.ok(ctIds.length - answered.size >= optedOutCt.length, 'every opted-out row is among them');
  t.match(pseud.stderr, new RegExp(`opt-outs applied \\(${OPT_OUT}\\): \\d+ records left out`));

  // Police's own rows of opted-out people are few: the count is suppressed.
  const policeP = await release('police', 'pseudonym', 'police.enc.tokens.csv');
  const policeIds = [...readTokenMap(join(dir, 'police.enc.tokens.csv')).values()];
  const policeOut = policeIds.length - policeP.json.answers.length;
  t.ok(policeOut >= 1 && policeOut <= 7, `${policeOut} police rows left out`);
  t.same(policeP.json.optOuts, { applied: [OPT_OUT], excluded: null, suppressedAtOrBelow: 7 }, 'suppressed');

  // Membership (yes/no) and aggregates leave them out too.
  const memOut = join(dir, 'membership.csv');
  const mem = await cli(
    ['membership', ...as('council-tax'), '--of', 'nhs-gp', '--tokens', join(dir, 'ct.enc.tokens.csv'), '--out', memOut],
    'membership',
  );
  const memIds = readFileSync(memOut, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',')[0]!);
  t.same(
    optedOutCt.filter((id) => memIds.includes(id)),
    [],
    'no yes/no answer for an opted-out person',
  );
  t.match(mem.stderr, /of our records left out/);
  const agg = await release('council-tax', 'aggregate', 'ct.enc.tokens.csv');
  t.equal(agg.json.optOuts.excluded, ctIds.length - answered.size, 'the aggregate counts without them');

  // Audited: the exact count beside the rule, though the release suppressed it.
  const rows = await broker.db
    .selectFrom('audit_log')
    .select(['action', 'actor', 'counts'])
    .where('action', 'in', ['release.pseudonym', 'release.membership'])
    .where('decision', '=', 'allowed')
    .execute();
  const counts = (action: string, actor: string) =>
    (rows.find((r) => r.action === action && r.actor === actor)?.counts as { optOutExcluded?: number }) ?? {};
  t.equal(counts('release.pseudonym', 'agency:police').optOutExcluded, policeOut, 'the suppressed count, audited');
  t.equal(counts('release.membership', 'agency:council-tax').optOutExcluded, ctIds.length - answered.size);

  // Data-quality feedback: planted duplicates and dates of birth found, only council tax's tokens.
  const dq = await release('council-tax', 'data-quality', 'ct.enc.tokens.csv');
  const summary = JSON.parse(dq.stdout.trim().split('\n').at(-1)!);
  t.same(summary, dq.json.summary, 'the CLI prints the counts a console shows');
  t.equal(summary.dobCompared, true);
  t.equal(summary.sexCompared, false, 'uk-person carries no sex filter to compare');
  // The console's data-quality page reads these counts from the release's audit row: exactly the summary.
  const dqAudit = await broker.db
    .selectFrom('audit_log')
    .select('counts')
    .where('action', '=', 'release.data-quality')
    .where('actor', '=', 'agency:council-tax')
    .where('decision', '=', 'allowed')
    .executeTakeFirstOrThrow();
  t.same(
    dqAudit.counts,
    { ...summary, dobCompared: 1, sexCompared: 0, optOutExcluded: ctIds.length - answered.size },
    'the audit row records the counts the release gave',
  );
  const pairs = new Set(
    dq.json.duplicates.map((d: { tokens: { record_id: string }[] }) =>
      d.tokens
        .map((x) => x.record_id)
        .sort()
        .join(),
    ),
  );
  for (const p of plantedPairs) t.ok(pairs.has(p.join()), `planted duplicate ${p.join()} found`);
  const flagged = new Set<string>(
    dq.json.disagreements
      .filter((d: { fields: string[] }) => d.fields.includes('dob'))
      .map((d: { token: { record_id: string } }) => d.token.record_id),
  );
  const found = [...plantedDobRows].filter((id) => flagged.has(id));
  t.ok(found.length >= 4, `${found.length} of ${plantedDobRows.size} planted dates of birth flagged`);
  const wrong = [...flagged].filter((id) => !plantedDobRows.has(id) && clean(personOf.get(id.replace(/D$/, ''))!));
  t.ok(wrong.length <= 1, `${wrong.length} rows with a true date of birth flagged`);
  const text = readFileSync(join(dir, 'council-tax-data-quality.json'), 'utf8');
  const tokens = [...text.matchAll(/"token": "([A-Za-z0-9_-]{22})"/g)].map((m) => m[1]!);
  t.ok(tokens.length > 0 && tokens.every((x) => ctMap.has(x)), 'every token is council tax’s own');
  t.notMatch(text, /\d{4}-\d{2}-\d{2}|\d{2}\/\d{2}\/\d{4}/, 'no date of birth in the feedback');
  t.same(
    dq.json.unlinked.filter((u: { token: { record_id: string } }) => optedOutCt.includes(u.token.record_id)),
    [],
    'opted-out people are not in the feedback either',
  );
});
