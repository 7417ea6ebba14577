/**
 * The broker's release forms end to end against synthetic ground truth (issue 6): the four example
 * policies loaded and approved, the synthetic agencies encoded and submitted, linkage run, and each
 * release compared with what the generator knows to be true.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import type { Agent } from 'node:https';
import { BrokerClient, encodeCsv, enrol, readEncodedFile, readTokenMap } from '@blindlink/agency-client';
import { synthCommand } from '@blindlink/synth';
import { mtlsAgent, loadTlsIdentity } from '@blindlink/agency-client/identity';
import { addPerson, approvePolicy, createLogger, registerAgency, startBroker, storePolicy } from '@blindlink/broker';
import { parsePolicy, type PolicyDocument } from '@blindlink/policies';
import { recoverable, toMaskedTable } from '../../broker/dist/releases/aggregate/index.js';
import { call, loginAs, runToEnd, seal, tokenFor, type TestBroker } from '../helpers/in-process.js';
import { freshPostgres } from '../helpers/postgres.js';
import { AGENCY_BIN, run } from '../helpers/processes.js';
import { ignoredColumns, precisionRecall, readCsv, writeCsv } from '../helpers/purposes.js';

const ROOT = join(import.meta.dirname, '../..');
const PERSONS = 3000;
const SEED = 'a';
const IG = 'correct horse battery staple 42';
const AN = 'another correct horse battery 77';

const example = (f: string) => readFileSync(join(ROOT, 'policies/examples', f), 'utf8');

t.test('release forms against synthetic ground truth (PostgreSQL)', async (t) => {
  const dir = t.testdir({});
  const data = join(dir, 'synth');
  await synthCommand({ persons: PERSONS, seed: SEED, out: data }, { info: () => {} });

  const pg = await freshPostgres();
  const logs: string[] = [];
  const sink = new Writable({
    write(c, _e, cb) {
      logs.push(String(c));
      cb();
    },
  });
  const broker = await startBroker({
    dataDir: join(dir, 'broker'),
    databaseUrl: pg.url,
    logger: createLogger('warn', sink),
  });
  const agents = new Map<string, Agent>();
  const clients: BrokerClient[] = [];
  t.teardown(async () => {
    for (const c of clients) c.close();
    for (const a of agents.values()) a.destroy();
    await broker.close();
    await pg.drop();
  });
  const keyDirs: Record<string, string> = {};
  const b: TestBroker = Object.assign(broker, {
    logs,
    keyDirs,
    databaseUrl: pg.url,
    agent(agency?: string) {
      const k = agency ?? '';
      if (!agents.has(k))
        agents.set(k, mtlsAgent(agency ? loadTlsIdentity(keyDirs[agency]!) : { caPem: broker.caCertificate }));
      return agents.get(k)!;
    },
  });

  // Policies: the four examples. Two copies differ from the files, and the report says so:
  // community-safety's aggregate recipient csp-analysts → analysts (an analyst asks as "analysts"),
  // plus an unrounded twin of its aggregate rule;
  const texts = {
    'community-safety': example('community-safety.yaml')
      .replace('agency: csp-analysts', 'agency: analysts')
      // An unrounded twin of the aggregate rule, so the recovery check can run on a table that adds up.
      .replace(
        '        roundTo: 5\n',
        '        roundTo: 5\n      - { id: incidents-by-ward-exact, form: aggregate, count: police, ' +
          'groupBy: [ward, offence_category, "known_to:probation"], suppressBelowOrAt: 7 }\n',
      ),
    'supporting-families': example('supporting-families.yaml'),
    'council-tax-spd-review': example('council-tax-spd.yaml'),
    'school-admissions-residency': example('school-admissions.yaml'),
  };
  await addPerson(b.db, { username: 'iggy', role: 'ig-lead', password: IG, createdBy: 'test' });
  await addPerson(b.db, {
    username: 'anna',
    role: 'analyst',
    password: AN,
    createdBy: 'test',
    purposes: ['community-safety'],
  });
  const docs: Record<string, PolicyDocument> = {};
  for (const [purpose, text] of Object.entries(texts)) {
    const p = parsePolicy(text);
    t.equal(p.document.purpose, purpose);
    docs[purpose] = p.document;
    await storePolicy(b.db, p, 'admin:root');
    await approvePolicy(b.db, p.document.id, p.document.version, 'iggy');
  }

  const agencies = [...new Set(Object.values(docs).flatMap((d) => d.contributors.map((c) => c.agency)))];
  for (const a of agencies) {
    const { enrolmentCode } = await registerAgency(b.db, a, a);
    keyDirs[a] = join(dir, `${a}-keys`);
    await enrol({ baseUrl: b.url, keyDir: keyDirs[a], agency: a, code: enrolmentCode, caPem: b.caCertificate });
  }
  const client = (a: string) => {
    const c = new BrokerClient(b.url, keyDirs[a]!);
    clients.push(c);
    return c;
  };

  // Input files per purpose and agency: the extract as generated, or the rows the dataset describes.
  const file = (a: string) => join(data, `${a.replace(/-/g, '_')}.csv`);
  const schools = readCsv(file('schools'));
  writeCsv(
    join(dir, 'schools_sf.csv'),
    schools.header,
    schools.rows.filter((r) => Number(r.attendance) < 90 || r.child_in_need === 'yes'),
  );
  const gp = readCsv(file('nhs-gp'));
  writeCsv(
    join(dir, 'nhs_gp_sf.csv'),
    gp.header,
    gp.rows.filter((r) => r.health_need === 'yes'),
  );
  // An application is the child's identifiers at the address given on the application.
  const apps: Record<string, string>[] = schools.rows
    .filter((r) => r.application_address)
    .map((r) => ({ ...r, address: r.application_address!, postcode: r.application_postcode! }));
  writeCsv(
    join(dir, 'applications.csv'),
    ['record_id', 'given_name', 'surname', 'dob', 'sex', 'address', 'postcode'],
    apps,
  );
  const inputs: Record<string, Record<string, { path: string; attributes: string[] }>> = {
    'community-safety': {},
    // Rows name the criterion they evidence (the policy declares the attribute for these datasets).
    'supporting-families': {
      schools: { path: join(dir, 'schools_sf.csv'), attributes: ['criterion'] },
      'nhs-gp': { path: join(dir, 'nhs_gp_sf.csv'), attributes: ['criterion'] },
      police: { path: file('police'), attributes: ['criterion'] },
      dwp: { path: file('dwp'), attributes: ['criterion'] },
    },
    'council-tax-spd-review': { 'council-tax': { path: file('council-tax'), attributes: ['single_person_discount'] } },
    'school-admissions-residency': { schools: { path: join(dir, 'applications.csv'), attributes: [] } },
  };
  inputs['community-safety']!.police = { path: file('police'), attributes: ['ward', 'offence_category'] };

  const secret = Buffer.from('releases test secret shared by the agencies only');
  const tokenMaps: Record<string, Map<string, string>> = {}; // `${purpose}/${agency}` → token → record id
  const submitted: Record<string, number> = {};
  for (const [purpose, doc] of Object.entries(docs)) {
    for (const c of doc.contributors) {
      const input = inputs[purpose]![c.agency] ?? { path: file(c.agency), attributes: [] };
      const { header } = readCsv(input.path);
      const out = join(dir, `${purpose}.${c.agency}.enc`);
      const summary = await encodeCsv({
        input: input.path,
        out,
        secret,
        schema: 'uk-person',
        map: {},
        idColumn: 'record_id',
        ignore: ignoredColumns(header, c.identifiers, input.attributes),
        attributes: input.attributes,
        onInvalid: 'skip',
        threads: 1,
      });
      const { body } = readEncodedFile(out);
      const r = await client(c.agency).submit(purpose, body, `${purpose}-${c.agency}`);
      t.equal(
        r.recordCount,
        summary.encoded,
        `${purpose}: ${c.agency} submitted ${summary.encoded} of ${summary.rows} rows`,
      );
      tokenMaps[`${purpose}/${c.agency}`] = readTokenMap(summary.tokenMap);
      submitted[`${purpose}/${c.agency}`] = summary.encoded;
    }
  }

  // Runs: three started by a contributing agency; community safety by its assigned analyst. All four
  // are queued before any is awaited: the one job worker links them back to back, ahead of the
  // submissions' privacy reports (lower priority), rather than finishing a report between each two.
  const runs = (
    [
      ['supporting-families', 'council-tax'],
      ['council-tax-spd-review', 'council-tax'],
      ['school-admissions-residency', 'schools'],
    ] as const
  ).map(([purpose, by]) => ({ purpose, run: client(by).runAndWait(purpose, undefined, { intervalMs: 100 }) }));
  for (const { run } of runs) run.catch(() => {}); // awaited below, in order: a failure fails there
  const analyst = await loginAs(b, 'anna', AN);
  const csRun = await runToEnd(b, 'community-safety', { token: analyst });
  for (const { purpose, run } of runs) {
    const r = await run;
    t.equal(r.status, 'completed', `${purpose} run completed: ${r.error ?? ''}`);
  }
  t.equal(csRun.status, 202, `analyst queues the community-safety run: ${csRun.text.slice(0, 300)}`);
  t.equal(csRun.json?.status, 'completed', 'community-safety run completed');
  if (csRun.status !== 202) {
    const r = await client('police').runAndWait('community-safety');
    t.equal(r.status, 'completed', 'community-safety run completed (started by police)');
  }

  // Ground truth.
  const truthRecords = readCsv(join(data, 'truth/records.csv')).rows;
  const householdOf = new Map(truthRecords.map((r) => [`${r.agency}/${r.record_id}`, r.household_id!]));
  const personOf = new Map(truthRecords.map((r) => [`${r.agency}/${r.record_id}`, r.person_id!]));
  const households = readCsv(join(data, 'truth/households.csv')).rows;
  const ctHouseholds = new Set(truthRecords.filter((r) => r.agency === 'council_tax').map((r) => r.household_id!));
  const release = async (purpose: string, form: string, as: string, body: unknown = {}) =>
    call(b, 'POST', `/v1/purposes/${purpose}/releases/${form}`, { as, token: await tokenFor(b, as), body });
  const ctHousehold = (purpose: string, token: string) =>
    householdOf.get(`council_tax/${tokenMaps[`${purpose}/council-tax`]!.get(token)}`);

  t.test('family-criteria (supporting-families → council-tax)', async (t) => {
    const r = await release('supporting-families', 'family-criteria', 'council-tax');
    t.equal(r.status, 200, r.text.slice(0, 300));
    const families = (r.json?.families ?? []) as { tokens: string[]; criteriaMet: number; criteria?: string[] }[];
    t.ok(
      families.every((f) => f.criteriaMet >= 3 && f.criteria?.length === f.criteriaMet),
      'every family meets at least 3 criteria, codes included',
    );
    const predicted = new Set(families.flatMap((f) => f.tokens.map((tok) => ctHousehold('supporting-families', tok)!)));
    const truth = new Set(
      households
        .filter(
          (h) =>
            h.criteria!.split(';').filter(Boolean).length >= 3 &&
            (Number(h.dependent_children) > 0 || h.expectant_parent === 'yes') &&
            ctHouseholds.has(h.household_id!),
        )
        .map((h) => h.household_id!),
    );
    const spread = families.map((f) => new Set(f.tokens.map((tok) => ctHousehold('supporting-families', tok))).size);
    t.comment(
      `family-criteria: true households per released family: mean ` +
        `${(spread.reduce((a, x) => a + x, 0) / Math.max(spread.length, 1)).toFixed(1)}, max ` +
        `${Math.max(0, ...spread)}`,
    );
    const pr = precisionRecall(predicted, truth);
    t.comment(
      `family-criteria: ${families.length} families released; households precision ` +
        `${pr.precision.toFixed(3)} recall ${pr.recall.toFixed(3)} (tp ${pr.tp}, fp ${pr.fp}, fn ${pr.fn}, ` +
        `truth ${truth.size})`,
    );
    t.ok(truth.size > 0, 'the synthetic population holds qualifying families');
    // Regression floors just under the measured level (precision 1.00, recall 0.77 on this data):
    // the families missed are those whose members the linkage could not join (see docs/scoring.md).
    t.ok(pr.precision >= 0.85, 'precision ≥ 0.85 (regression floor)');
    t.ok(pr.recall >= 0.65, 'recall ≥ 0.65 (regression floor)');

    // The family support worker's page, made at the agency from this answer, its token map and its extract.
    writeFileSync(join(dir, 'families.json'), r.text);
    const page = join(dir, 'families.html');
    const made = await run(AGENCY_BIN, [
      'report',
      '--release',
      join(dir, 'families.json'),
      '--tokens',
      join(dir, 'supporting-families.council-tax.enc.tokens.csv'),
      '--records',
      file('council-tax'),
      '--columns',
      'given_name,surname',
      '--out',
      page,
    ]);
    t.equal(made.code, 0, made.stderr);
    const rows = [
      ...readFileSync(page, 'utf8').matchAll(/<tr class="govuk-table__row" data-tags="[^"]*"><th[^>]*>([^<]*)<\/th>/g),
    ];
    const released = families.flatMap((f) =>
      f.tokens.map((tok) => tokenMaps['supporting-families/council-tax']!.get(tok)),
    );
    t.same(
      rows.map((m) => m[1]),
      released,
      'the page lists exactly the released records, by our own record id',
    );
  });

  t.test('discrepancy single-person-discount (council-tax-spd-review)', async (t) => {
    const r = await release('council-tax-spd-review', 'discrepancy', 'council-tax');
    t.equal(r.status, 200, r.text.slice(0, 300));
    const flagged = (r.json?.flagged ?? []) as { token: string; corroboratingSources: number }[];
    t.ok(
      flagged.every((f) => f.corroboratingSources >= 1 && f.corroboratingSources <= 2),
      'corroboration counts 1..2 (two evidence sources)',
    );
    const predicted = new Set(flagged.map((f) => ctHousehold('council-tax-spd-review', f.token)!));
    const fraud = new Set(households.filter((h) => h.spd_fraud === 'yes').map((h) => h.household_id!));
    const ct = readCsv(file('council-tax')).rows;
    const truth = new Set(
      ct
        .filter((x) => x.single_person_discount === 'yes' && fraud.has(householdOf.get(`council_tax/${x.record_id}`)!))
        .map((x) => householdOf.get(`council_tax/${x.record_id}`)!),
    );
    const pr = precisionRecall(predicted, truth);
    t.comment(
      `spd: ${tokenMaps['council-tax-spd-review/council-tax']!.size} accounts submitted, ` +
        `${ct.filter((x) => x.single_person_discount === 'yes').length} claim the discount`,
    );
    t.comment(
      `spd: ${flagged.length} accounts flagged; households precision ${pr.precision.toFixed(3)} recall ` +
        `${pr.recall.toFixed(3)} (tp ${pr.tp}, fp ${pr.fp}, fn ${pr.fn}, truth ${truth.size})`,
    );
    t.ok(truth.size > 0, 'the synthetic population holds SPD fraud');
    // Regression floors just under the measured level (precision 0.79, recall 0.79; before the
    // residual pass 0.63 and 0.83: it links more of each household, so fewer lone claimants look false).
    t.ok(pr.precision >= 0.7, 'precision ≥ 0.7 (regression floor)');
    t.ok(pr.recall >= 0.75, 'recall ≥ 0.75 (regression floor)');
  });

  t.test('discrepancy school-residency (school-admissions-residency)', async (t) => {
    const r = await release('school-admissions-residency', 'discrepancy', 'schools');
    t.equal(r.status, 200, r.text.slice(0, 300));
    const flagged = (r.json?.flagged ?? []) as { token: string; corroboratingSources: number }[];
    const map = tokenMaps['school-admissions-residency/schools']!;
    const predicted = new Set(flagged.map((f) => map.get(f.token)!));
    const falseHh = new Set(households.filter((h) => h.false_school_application === 'yes').map((h) => h.household_id!));
    const truth = new Set(
      apps
        .filter(
          (a) => falseHh.has(householdOf.get(`schools/${a.record_id}`)!) && [...map.values()].includes(a.record_id!),
        )
        .map((a) => a.record_id!),
    );
    const pr = precisionRecall(predicted, truth);
    t.comment(
      `school-residency: ${flagged.length} of ${map.size} applications flagged; precision ` +
        `${pr.precision.toFixed(3)} recall ${pr.recall.toFixed(3)} (tp ${pr.tp}, fp ${pr.fp}, fn ${pr.fn}, ` +
        `truth ${truth.size})`,
    );
    t.ok(truth.size > 0, 'the synthetic population holds false applications');
    // Measured: precision 0.83, recall 1.00 (5 false applications in this population).
    t.ok(pr.precision >= 0.7, 'precision ≥ 0.7 (regression floor)');
    t.ok(pr.recall >= 0.8, 'recall ≥ 0.8 (regression floor)');
  });

  t.test('aggregate (community-safety, analyst)', async (t) => {
    const r = await call(b, 'POST', '/v1/purposes/community-safety/releases/aggregate', {
      token: analyst,
      body: { rule: 'incidents-by-ward' },
    });
    t.equal(r.status, 200, r.text.slice(0, 300));
    const rel = r.json;
    const rule = docs['community-safety']!.recipients.find((x) => x.agency === 'analysts')!.releases[0] as {
      suppressBelowOrAt?: number;
      roundTo?: number;
    };
    const threshold = rule.suppressBelowOrAt ?? 7;
    const counts: (number | null)[] = [
      ...rel.cells.map((c: { count: number | null }) => c.count),
      ...rel.margins.subtotals.map((m: { count: number | null }) => m.count),
      rel.margins.grandTotal,
    ];
    t.ok(counts.length > 1, `${counts.length} released entries`);
    t.same(
      counts.filter((c) => c !== null && c >= 1 && c <= threshold),
      [],
      `no released count in 1..${threshold}`,
    );
    const police = submitted['community-safety/police']!;
    const rounded = rule.roundTo ? Math.round(police / rule.roundTo) * rule.roundTo : police;
    t.comment(
      `aggregate: police rows submitted ${police}, grand total ${rel.margins.grandTotal}, suppressed ` +
        `${JSON.stringify(rel.suppressed)}`,
    );
    t.ok(
      rel.margins.grandTotal === null || rel.margins.grandTotal === rounded,
      `grand total ${rel.margins.grandTotal} = ${police} rounded to ${rule.roundTo ?? 1} (${rounded}) or suppressed`,
    );
    t.equal(rel.roundTo, rule.roundTo ?? null, 'the release says how it was rounded');
    // Rounded entries need not add up, so the recovery check runs on the unrounded twin rule's table.
    const exact = await call(b, 'POST', '/v1/purposes/community-safety/releases/aggregate', {
      token: analyst,
      body: { rule: 'incidents-by-ward-exact' },
    });
    t.equal(exact.status, 200, exact.text.slice(0, 300));
    t.equal(exact.json?.roundTo, null, 'unrounded');
    const exactCounts: (number | null)[] = [
      ...exact.json.cells.map((c: { count: number | null }) => c.count),
      ...exact.json.margins.subtotals.map((m: { count: number | null }) => m.count),
      exact.json.margins.grandTotal,
    ];
    t.same(
      exactCounts.filter((c) => c !== null && c >= 1 && c <= threshold),
      [],
      `unrounded: no released count in 1..${threshold}`,
    );
    t.ok(
      exact.json.margins.grandTotal === null || exact.json.margins.grandTotal === police,
      `unrounded grand total ${exact.json.margins.grandTotal} = ${police} police rows or suppressed`,
    );
    t.ok(
      exactCounts.some((c) => c === null),
      'some entries are suppressed (the check has something to check)',
    );
    const exposed = recoverable(toMaskedTable(exact.json), { threshold });
    t.same(exposed, [], 'no suppressed entry is recoverable from the released table');
  });

  t.test('pseudonym (supporting-families → council-tax), stable across runs', async (t) => {
    const first = await release('supporting-families', 'pseudonym', 'council-tax');
    t.equal(first.status, 200, first.text.slice(0, 300));
    const map = tokenMaps['supporting-families/council-tax']!;
    const answers = (first.json?.answers ?? []) as { token: string; pseudonym: string }[];
    t.equal(answers.length, map.size, 'every council-tax row submitted gets a pseudonym');
    t.same(new Set(answers.map((a) => a.token)), new Set(map.keys()));
    const byPerson = new Map<string, Set<string>>();
    for (const a of answers) {
      const p = personOf.get(`council_tax/${map.get(a.token)}`)!;
      if (!byPerson.has(p)) byPerson.set(p, new Set());
      byPerson.get(p)!.add(a.pseudonym);
    }
    const multi = [...byPerson.values()];
    const consistent = multi.filter((s) => s.size === 1).length;
    t.comment(
      `pseudonym: ${answers.length} rows, ${byPerson.size} persons, ${consistent} with one pseudonym, ` +
        `${new Set(answers.map((a) => a.pseudonym)).size} distinct pseudonyms`,
    );
    t.ok(consistent / byPerson.size >= 0.95, "the same person's rows share a pseudonym (≥ 95% of persons)");

    const rerun = await client('council-tax').runAndWait('supporting-families');
    t.equal(rerun.status, 'completed');
    const second = await release('supporting-families', 'pseudonym', 'council-tax');
    t.equal(second.status, 200);
    t.not(second.json.runId, first.json.runId, 'a new run');
    const sorted = (x: { token: string; pseudonym: string }[]) => [...x].sort((p, q) => p.token.localeCompare(q.token));
    t.same(
      sorted(second.json.answers),
      sorted(answers),
      'the same rows get identical pseudonyms after an unchanged rerun',
    );
  });

  t.test('refusals', async (t) => {
    // An unapproved policy for a new purpose, and an approved one whose validity has passed.
    const unapproved = parsePolicy(
      texts['supporting-families']
        .replace('id: supporting-families-2026', 'id: sf-unapproved')
        .replace('purpose: supporting-families', 'purpose: sf-unapproved'),
    );
    await storePolicy(b.db, unapproved, 'admin:root');
    // The same agreement for last year's admissions round: approved, but its dates have passed.
    const expired = parsePolicy(
      example('school-admissions.yaml')
        .replace('id: school-admissions-2027', 'id: adm-expired')
        .replace('purpose: school-admissions-residency', 'purpose: adm-expired')
        .replace('approvedOn: 2026-07-20', 'approvedOn: 2025-07-20')
        .replace(
          'validFrom: 2026-09-01\nvalidUntil: 2027-08-31\nreviewDate: 2027-06-30',
          'validFrom: 2025-09-01\nvalidUntil: 2026-08-31\nreviewDate: 2026-06-30',
        ),
    );
    await storePolicy(b.db, expired, 'admin:root');
    await approvePolicy(b.db, 'adm-expired', 1, 'iggy');
    await addPerson(b.db, {
      username: 'ella',
      role: 'analyst',
      password: AN,
      createdBy: 'test',
      purposes: ['adm-expired'],
    });

    const cases: {
      label: string;
      rule: RegExp | string;
      go: () => ReturnType<typeof call>;
      action: string;
    }[] = [
      {
        label: 'recipient not listed (police asks family-criteria)',
        rule: /^recipients/,
        action: 'release.family-criteria',
        go: () => release('supporting-families', 'family-criteria', 'police'),
      },
      {
        label: 'form not allowed (council-tax asks aggregate)',
        rule: /^recipients\/0/,
        action: 'release.aggregate',
        go: () => release('supporting-families', 'aggregate', 'council-tax'),
      },
      {
        label: 'attribute not declared at submission',
        rule: 'contributors/1/attributes',
        action: 'submission',
        go: async () => {
          const police = readCsv(file('police'));
          const c = docs['community-safety']!.contributors[1]!;
          const out = join(dir, 'police-extra.enc');
          await encodeCsv({
            input: file('police'),
            out,
            secret,
            schema: 'uk-person',
            map: {},
            idColumn: 'record_id',
            ignore: ignoredColumns(police.header, c.identifiers, ['ward', 'offence_category', 'role']),
            attributes: ['ward', 'offence_category', 'role'],
            onInvalid: 'skip',
            threads: 1,
          });
          return call(b, 'POST', '/v1/purposes/community-safety/submissions', {
            as: 'police',
            token: await tokenFor(b, 'police'),
            body: await seal(b, 'police', readEncodedFile(out).body),
            headers: { 'idempotency-key': 'police-extra-attribute' },
          });
        },
      },
      {
        label: 'unapproved version',
        rule: 'approval',
        action: 'release.family-criteria',
        go: () => release('sf-unapproved', 'family-criteria', 'council-tax'),
      },
      {
        label: 'expired policy',
        rule: 'validity',
        action: 'release.discrepancy',
        go: () => release('adm-expired', 'discrepancy', 'schools'),
      },
      // An assigned analyst may start runs, but not under an agreement whose dates have passed.
      {
        label: 'expired policy: a run',
        rule: 'validity',
        action: 'run.create',
        go: async () => call(b, 'POST', '/v1/purposes/adm-expired/runs', { token: await loginAs(b, 'ella', AN) }),
      },
    ];
    for (const c of cases) {
      const r = await c.go();
      t.equal(r.status, 403, `${c.label}: 403 (${r.text.slice(0, 200)})`);
      t.equal(r.json?.error?.code, 'policy-refused', `${c.label}: policy-refused`);
      t.match(r.json?.error?.details?.rule, c.rule, `${c.label}: rule ${r.json?.error?.details?.rule} in details`);
      const audit = await b.db
        .selectFrom('audit_log')
        .selectAll()
        .where('decision', '=', 'refused')
        .where('policy_rule', '=', r.json?.error?.details?.rule ?? '-')
        .orderBy('seq', 'desc')
        .executeTakeFirst();
      t.ok(audit, `${c.label}: refusal in the audit log`);
      if (audit) t.match(audit, { status: 403, action: c.action }, `${c.label}: audited as ${audit.action}`);
    }
  });
});
