/**
 * `npm run demo`: blindlink end to end on the embedded database with synthetic agencies — what an
 * operator, eight agencies' data officers, an analyst and an IG lead would do, through the same
 * library calls the CLIs use. Prints progress; everything it writes stays in .blindlink-demo/.
 */
import { readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import {
  BrokerClient,
  BrokerError,
  csvLine,
  enrol,
  encodeCsv,
  readEncodedFile,
  readTokenMap,
} from '@blindlink/agency-client';
import { mtlsAgent } from '@blindlink/agency-client/identity';
import { synthCommand } from '@blindlink/synth';
import {
  addPerson,
  approvePolicy,
  createLogger,
  generatePassword,
  registerAgency,
  startBroker,
  storePolicy,
  verifyAuditChain,
  type RunningBroker,
} from '@blindlink/broker';
import { parsePolicy, type PolicyDocument } from '@blindlink/policies';
import type {
  AggregateResponse,
  AuditPage,
  DiscrepancyResponse,
  FamilyCriteriaResponse,
  PseudonymResponse,
  TokenResponse,
  ErrorBody,
  PurposePrivacyReport,
} from '@blindlink/protocol';
import type { Static, TSchema } from 'typebox';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const WORK = resolve(process.env.BLINDLINK_DEMO_DIR ?? join(ROOT, '.blindlink-demo'));
const PERSONS = Number(process.env.BLINDLINK_DEMO_PERSONS ?? 3000);
/** `npm run demo -- --serve`: leave the broker running afterwards, for a person to open the console. */
const SERVE = process.argv.includes('--serve');
const PORT = Number(process.env.BLINDLINK_DEMO_PORT ?? 8443);
/** Where --serve writes the console's address and the demo accounts (for `npm run screenshots`). */
export const CONSOLE_FILE = join(WORK, 'console.json');

const t0 = Date.now();
const step = (msg: string) => process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${msg}\n`);
const detail = (msg: string) => process.stdout.write(`          ${msg}\n`);

type Row = Record<string, string>;
function readCsv(path: string): { header: string[]; rows: Row[] } {
  const text = readFileSync(path, 'utf8');
  return { header: (text.split('\n')[0] ?? '').split(','), rows: parse(text, { columns: true, bom: true }) as Row[] };
}
function writeCsv(path: string, header: string[], rows: Row[]): void {
  writeFileSync(path, csvLine(header) + rows.map((r) => csvLine(header.map((h) => r[h] ?? ''))).join(''));
}

/** One HTTPS call as a person (analyst, IG lead): password login, then a bearer token. */
async function asPerson<T>(
  b: RunningBroker,
  method: string,
  path: string,
  body: unknown,
  token?: string,
): Promise<{ status: number; json: T }> {
  const agent = mtlsAgent({ caPem: b.caCertificate });
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  try {
    return await new Promise((resolveCall, reject) => {
      const req = httpsRequest(
        new URL(path, b.url),
        {
          method,
          agent,
          headers: {
            ...(payload ? { 'content-type': 'application/json' } : {}),
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolveCall({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  } finally {
    agent.destroy();
  }
}

/** The agencies' synthetic extracts and ground truth. */
const DATA = join(WORK, 'agencies');
/** An agency's full extract. */
const extract = (agency: string) => join(DATA, `${agency.replace(/-/g, '_')}.csv`);

type Policies = Record<string, PolicyDocument>;
type Inputs = Record<string, Record<string, { path: string; attributes: string[] }>>;
interface People {
  adminPassword: string;
  igPassword: string;
  analystPassword: string;
}

async function main(): Promise<void> {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });

  step(`generating a synthetic population of ${PERSONS} in households, with eight agencies' extracts and ground truth`);
  await synthCommand({ persons: PERSONS, seed: 'blindlink-demo', out: DATA }, { info: () => {} });

  step('starting the broker on the embedded database (PGlite), mutual TLS with its own CA');
  const b = await startBroker({
    dataDir: join(WORK, 'broker'),
    logger: createLogger('warn'),
    ...(SERVE ? { port: PORT } : {}),
  });
  const clients: BrokerClient[] = [];
  try {
    const people = await addPeople(b);
    const docs = await loadPolicies(b);
    const keyDirs = await enrolAgencies(b, docs);
    const client = (a: string) => {
      const c = new BrokerClient(b.url, keyDirs[a]!);
      clients.push(c);
      return c;
    };
    const { inputs, applications } = prepareInputs();
    const tokens = await encodeAndLink(docs, inputs, client);

    // The releases, each under its rule.
    const ct = client('council-tax');
    await membershipRelease(ct, tokens);
    await aggregateRelease(b, people);
    await householdReleases(ct, client, applications);
    await refusedRelease(client);
    await checkAudit(b, people);
    step(`done. Files are in ${WORK}`);
    if (SERVE) {
      for (const c of clients) c.close();
      clients.length = 0;
      await serveConsole(b, people);
    }
  } finally {
    for (const c of clients) c.close();
    await b.close();
  }
}

/** --serve: print the console's address and the demo accounts, and keep the broker up until Ctrl-C. */
async function serveConsole(b: RunningBroker, people: People): Promise<void> {
  const accounts = [
    { username: 'ada', role: 'admin', password: people.adminPassword },
    { username: 'iona', role: 'ig-lead', password: people.igPassword },
    {
      username: 'andy',
      role: 'analyst (community-safety, school-admissions-residency)',
      password: people.analystPassword,
    },
  ];
  // Owner-only, as the demo's other secrets: the passwords are the demo's, on this machine.
  writeFileSync(CONSOLE_FILE, JSON.stringify({ url: b.url, accounts }, null, 2), { mode: 0o600 });
  const ca = join(WORK, 'broker', 'keys', 'ca.cert.pem');
  process.stdout.write(
    `\nThe console: ${b.url}/  (public page: ${b.url}/transparency)\n` +
      `The broker's own CA signed its certificate (${ca}): your browser will warn; import that CA, or accept\n` +
      `the warning for this demo. No client certificate is needed: people sign in with a password.\n\n` +
      accounts.map((a) => `  ${a.role.padEnd(28)} ${a.username.padEnd(6)} ${a.password}`).join('\n') +
      `\n\n(also in ${CONSOLE_FILE}; \`npm run screenshots\` saves the main pages to docs/screenshots/)\n` +
      'Ctrl-C stops the broker.\n',
  );
  await new Promise<void>((resolveStop) => {
    process.once('SIGINT', () => resolveStop());
    process.once('SIGTERM', () => resolveStop());
  });
}

/** Operator: the people. The IG lead is not created by the admin who loads the policies. */
async function addPeople(b: RunningBroker): Promise<People> {
  const adminPassword = generatePassword();
  const igPassword = generatePassword();
  const analystPassword = generatePassword();
  await addPerson(b.db, { username: 'ada', role: 'admin', password: adminPassword, createdBy: 'operator:demo' });
  await addPerson(b.db, { username: 'iona', role: 'ig-lead', password: igPassword, createdBy: 'operator:demo' });
  await addPerson(b.db, {
    username: 'andy',
    role: 'analyst',
    password: analystPassword,
    createdBy: 'operator:demo',
    // Two purposes: community-safety's run scores by Dice, school-admissions-residency's fits a model.
    purposes: ['community-safety', 'school-admissions-residency'],
  });
  return { adminPassword, igPassword, analystPassword };
}

/** Admin loads the example policies, the IG lead approves them; keyed by purpose. */
async function loadPolicies(b: RunningBroker): Promise<Policies> {
  const docs: Policies = {};
  for (const f of ['community-safety', 'supporting-families', 'council-tax-spd', 'school-admissions']) {
    const p = parsePolicy(readFileSync(join(ROOT, `policies/examples/${f}.yaml`), 'utf8'), f);
    await storePolicy(b.db, p, 'admin:ada');
    await approvePolicy(b.db, p.document.id, p.document.version, 'iona');
    docs[p.document.purpose] = p.document;
  }
  step(`4 example policies loaded by admin ada and approved by IG lead iona: ${Object.keys(docs).join(', ')}`);
  return docs;
}

/** Every contributing agency registered and enrolled; returns each one's key folder. */
async function enrolAgencies(b: RunningBroker, docs: Policies): Promise<Record<string, string>> {
  const agencies = [...new Set(Object.values(docs).flatMap((d) => d.contributors.map((c) => c.agency)))];
  const keyDirs: Record<string, string> = {};
  for (const a of agencies) {
    const { enrolmentCode } = await registerAgency(b.db, a, a);
    keyDirs[a] = join(WORK, 'keys', a);
    await enrol({ baseUrl: b.url, keyDir: keyDirs[a], agency: a, code: enrolmentCode, caPem: b.caCertificate });
  }
  step(
    `${agencies.length} agencies enrolled with one-time codes: ` +
      'client certificates from the broker CA, Ed25519 signing keys registered',
  );
  return keyDirs;
}

/** What each dataset holds for each purpose: the extract, or the rows the policy describes. */
function prepareInputs(): { inputs: Inputs; applications: number } {
  const schools = readCsv(extract('schools'));
  writeCsv(
    join(WORK, 'schools_needs.csv'),
    schools.header,
    schools.rows.filter((r) => Number(r.attendance) < 90 || r.child_in_need === 'yes'),
  );
  const gp = readCsv(extract('nhs-gp'));
  writeCsv(
    join(WORK, 'nhs_gp_needs.csv'),
    gp.header,
    gp.rows.filter((r) => r.health_need === 'yes'),
  );
  const apps = schools.rows
    .filter((r) => r.application_address)
    .map((r) => ({ ...r, address: r.application_address!, postcode: r.application_postcode! }));
  writeCsv(
    join(WORK, 'applications.csv'),
    ['record_id', 'given_name', 'surname', 'dob', 'sex', 'address', 'postcode'],
    apps,
  );
  const inputs: Inputs = {
    'community-safety': { police: { path: extract('police'), attributes: ['ward', 'offence_category'] } },
    'supporting-families': {
      schools: { path: join(WORK, 'schools_needs.csv'), attributes: ['criterion'] },
      'nhs-gp': { path: join(WORK, 'nhs_gp_needs.csv'), attributes: ['criterion'] },
      police: { path: extract('police'), attributes: ['criterion'] },
      dwp: { path: extract('dwp'), attributes: ['criterion'] },
    },
    'council-tax-spd-review': {
      'council-tax': { path: extract('council-tax'), attributes: ['single_person_discount'] },
    },
    'school-admissions-residency': { schools: { path: join(WORK, 'applications.csv'), attributes: [] } },
  };
  return { inputs, applications: apps.length };
}

/**
 * Each purpose: every contributor encodes locally and submits, then a linkage run. Returns each
 * agency's token map (token → record id) by `purpose/agency`.
 */
async function encodeAndLink(
  docs: Policies,
  inputs: Inputs,
  client: (agency: string) => BrokerClient,
): Promise<Record<string, Map<string, string>>> {
  // The agencies' shared secret: agreed out of band, never given to the broker.
  const secret = Buffer.from('demo linkage secret, held by the agencies only');
  const tokens: Record<string, Map<string, string>> = {};
  for (const [purpose, doc] of Object.entries(docs)) {
    let rows = 0;
    for (const c of doc.contributors) {
      const input = inputs[purpose]?.[c.agency] ?? { path: extract(c.agency), attributes: [] };
      const { header } = readCsv(input.path);
      const keep = new Set(['record_id', ...c.identifiers, ...input.attributes]);
      const out = join(WORK, `${purpose}.${c.agency}.enc`);
      const s = await encodeCsv({
        input: input.path,
        out,
        secret,
        schema: 'uk-person',
        map: {},
        idColumn: 'record_id',
        ignore: header.filter((h) => !keep.has(h)),
        attributes: input.attributes,
        onInvalid: 'skip',
        threads: 1,
      });
      const { body, digest } = readEncodedFile(out);
      await client(c.agency).submit(purpose, body, `file-${digest.slice(0, 48)}`);
      tokens[`${purpose}/${c.agency}`] = readTokenMap(`${out}.tokens.csv`);
      rows += s.encoded;
    }
    const starter = doc.contributors[0]!.agency;
    const run = await client(starter).runAndWait(purpose);
    step(
      `${purpose}: ${doc.contributors.length} agencies encoded ${rows} rows locally, signed, sealed and submitted; ` +
        `linkage run ${run.status}${run.error ? ` (${run.error})` : ''}`,
    );
  }
  return tokens;
}

/** Council tax asks "known to police?"; the answers are scored against the ground truth. */
async function membershipRelease(ct: BrokerClient, tokens: Record<string, Map<string, string>>): Promise<void> {
  const known = await ct.membership('community-safety', 'police');
  const truth = parse(readFileSync(join(DATA, 'truth/records.csv')), { columns: true }) as Row[];
  const personOf = new Map(truth.map((r) => [`${r.agency}:${r.record_id}`, r.person_id!]));
  const policePersons = new Set(truth.filter((r) => r.agency === 'police').map((r) => r.person_id));
  const ctTokens = tokens['community-safety/council-tax']!;
  let tp = 0,
    fp = 0,
    fn = 0;
  for (const a of known.answers) {
    const isKnown = policePersons.has(personOf.get(`council_tax:${ctTokens.get(a.token)}`) ?? '');
    if (a.known && isKnown) tp++;
    else if (a.known) fp++;
    else if (isKnown) fn++;
  }
  step(
    `membership — council tax asks "known to police?" (rule ${known.policy.rule}): ` +
      `${known.answers.filter((a) => a.known).length} of ${known.answers.length} yes`,
  );
  detail(
    `against the ground truth: precision ${(tp / Math.max(tp + fp, 1)).toFixed(3)}, ` +
      `recall ${(tp / Math.max(tp + fn, 1)).toFixed(3)}`,
  );
}

/** The analyst logs in and asks for the community-safety table. */
async function aggregateRelease(b: RunningBroker, people: People): Promise<void> {
  const login = await asPerson<TokenResponse>(b, 'POST', '/v1/login', {
    username: 'andy',
    password: people.analystPassword,
  });
  const agg = await asPerson<Static<typeof AggregateResponse>>(
    b,
    'POST',
    '/v1/purposes/community-safety/releases/aggregate',
    {},
    login.json.accessToken,
  );
  if (agg.status !== 200) throw new Error(`aggregate: ${JSON.stringify(agg.json)}`);
  const shown = agg.json.cells.filter((c) => c.count !== null && c.count > 0);
  step(
    `aggregate — analyst andy, police incidents by ${agg.json.dimensions.map((d) => d.name).join(' × ')}: ` +
      `grand total ${agg.json.margins.grandTotal}, ${agg.json.suppressed.primary} small counts and ` +
      `${agg.json.suppressed.secondary} complements suppressed, rounded to ${agg.json.roundTo}`,
  );
  for (const c of shown.slice(0, 3)) detail(`${c.key.join(' / ')}: ${c.count}`);
}

/** Family criteria, pseudonyms and the two discrepancy checks. */
async function householdReleases(
  ct: BrokerClient,
  client: (agency: string) => BrokerClient,
  applications: number,
): Promise<void> {
  const families = await asAgency<typeof FamilyCriteriaResponse>(ct, 'supporting-families', 'family-criteria');
  step(`family criteria — council tax's households meeting ≥3 needs: ${families.families.length} families`);
  for (const f of families.families.slice(0, 3))
    detail(`${f.tokens.length} account(s) in the family; needs: ${(f.criteria ?? []).join(', ')}`);

  const pseudonyms = await asAgency<typeof PseudonymResponse>(ct, 'supporting-families', 'pseudonym');
  step(
    `pseudonyms — ${pseudonyms.answers.length} per-purpose, per-recipient pseudonyms for council tax's rows ` +
      `(e.g. ${pseudonyms.answers[0]?.pseudonym})`,
  );

  const spd = await asAgency<typeof DiscrepancyResponse>(ct, 'council-tax-spd-review', 'discrepancy');
  step(
    `discrepancy — single-person discount with other adults evidenced: ${spd.flagged.length} accounts to review ` +
      '(corroborating sources counted, not named)',
  );
  const adm = await asAgency<typeof DiscrepancyResponse>(
    client('schools'),
    'school-admissions-residency',
    'discrepancy',
  );
  step(
    'discrepancy — school applications with no residency evidence at the address given: ' +
      `${adm.flagged.length} of ${applications}`,
  );
}

/** A release the policy does not permit must be refused. */
async function refusedRelease(client: (agency: string) => BrokerClient): Promise<void> {
  try {
    await client('police').membership('community-safety', 'council-tax');
    throw new Error('the broker released something the policy does not permit');
  } catch (err) {
    if (!(err instanceof BrokerError)) throw err;
    step(`refused — police asks "known to council tax?": ${err.status} ${err.code}: ${err.message}`);
  }
}

/** The audit chain verifies, and the IG lead sees the refusal in the trail. */
async function checkAudit(b: RunningBroker, people: People): Promise<void> {
  const audit = await verifyAuditChain(b.db);
  if (audit.broken) throw new Error(`audit chain broken at row ${audit.broken.seq}`);
  const igLogin = await asPerson<TokenResponse>(b, 'POST', '/v1/login', {
    username: 'iona',
    password: people.igPassword,
  });
  const refusals = await asPerson<AuditPage>(
    b,
    'GET',
    '/v1/audit?decision=refused',
    undefined,
    igLogin.json.accessToken,
  );
  step(
    `audit — ${audit.rows} rows, hash chain intact; IG lead iona sees ${refusals.json.entries.length} ` +
      'refused request(s) in the trail',
  );
  await readPrivacyReport(b, igLogin.json.accessToken);
}

/**
 * The IG lead reads a purpose's privacy report (computed by the broker's worker after each submission),
 * as she would before approving its next policy version, which then names this digest.
 */
async function readPrivacyReport(b: RunningBroker, token: string): Promise<void> {
  const path = '/v1/purposes/community-safety/privacy-report';
  for (const until = Date.now() + 600_000; Date.now() < until; ) {
    const r = await asPerson<PurposePrivacyReport & ErrorBody>(b, 'GET', path, undefined, token);
    if (r.status === 200) {
      const given = r.json.submissions.map((s) => {
        const field = (
          s.report?.fields as { field: string; attacks: { mining?: { attackerConfident?: { rate: number } } } }[]
        )?.find((f) => f.field === 'given_name');
        const mined = field?.attacks.mining?.attackerConfident?.rate;
        return `${s.agency} ${mined === undefined ? s.status : `${(100 * mined).toFixed(1)}%`}`;
      });
      step(
        `privacy report of community-safety for IG lead iona — ${r.json.digest}; given names q-gram mining ` +
          `claims (attacker's own confidence): ${given.join(', ')}`,
      );
      return;
    }
    if (r.json.error?.code !== 'privacy-report-pending') throw new Error(`privacy report: ${JSON.stringify(r.json)}`);
    await new Promise((res) => setTimeout(res, 500));
  }
  throw new Error('the privacy report of community-safety was still pending after 10 minutes');
}

/** The agency client's release call for the forms beyond membership, typed by the form's response schema. */
function asAgency<S extends TSchema>(c: BrokerClient, purpose: string, form: string): Promise<Static<S>> {
  return c.release<Static<S>>(purpose, form);
}

main().catch((err) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
