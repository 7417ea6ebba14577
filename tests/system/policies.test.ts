import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { decide, decideContribution, parsePolicy, PolicyInvalidError } from '@blindlink/policies';
import { addPerson, approvePolicy, policyInForce, storePolicy } from '@blindlink/broker';
import { POLICY_YAML, submitAs, testBroker, upload } from '../helpers/in-process.js';
import { ROOT } from '../helpers/processes.js';

t.test('every example policy is valid', async (t) => {
  const dir = join(ROOT, 'policies/examples');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  t.ok(files.length > 0);
  for (const f of files) t.doesNotThrow(() => parsePolicy(readFileSync(join(dir, f), 'utf8'), f), f);
  // Populations as UK law and practice have them: council-tax liability starts at 18, school data
  // hold pupils; the electoral register also holds 16- and 17-year-old attainers, so it declares none.
  const declared = new Map<string, Set<string>>();
  for (const f of files) {
    for (const c of parsePolicy(readFileSync(join(dir, f), 'utf8'), f).document.contributors) {
      declared.set(c.agency, (declared.get(c.agency) ?? new Set()).add(c.population ?? 'anyone'));
    }
  }
  t.same([...declared.get('council-tax')!], ['adults'], 'every council-tax contributor is adults-only');
  t.same([...declared.get('schools')!], ['children'], 'every schools contributor is children-only');
  t.same([...declared.get('electoral-roll')!], ['anyone'], 'the electoral roll declares no population');
});

t.test('an invalid policy lists every problem with its path', async (t) => {
  const text = POLICY_YAML.replace('version: 1', 'version: 0')
    .replace('validUntil: 2099-12-31', 'validUntil: 2019-01-01')
    .replace('of: [beta]', 'of: [delta]')
    .replace('title: Test purpose', 'title: Test purpose\nsurprise: yes');
  const err = t.throws(() => parsePolicy(text, 'p.yaml')) as PolicyInvalidError;
  t.type(err, PolicyInvalidError);
  const paths = err.problems.map((p) => p.path);
  t.ok(paths.includes('/version') || paths.includes(''), `schema problems reported: ${paths.join(' ')}`);
  // Schema errors come first; fix them and the cross-reference problems are all listed together.
  const semantic = t.throws(() =>
    parsePolicy(text.replace('version: 0', 'version: 1').replace('\nsurprise: yes', ''), 'p.yaml'),
  ) as PolicyInvalidError;
  t.same(semantic.problems.map((p) => p.path).sort(), ['/recipients/0/releases/0/of/0', '/reviewDate', '/validUntil']);
  t.match(semantic.message, /delta is not a contributor/);
  t.throws(() => parsePolicy('id: a\nid: b\n'), /YAML/);
});

t.test('what each agreement must state is checked', async (t) => {
  const problems = (text: string) => {
    try {
      parsePolicy(text, 'p.yaml');
      return [];
    } catch (err) {
      return (err as PolicyInvalidError).problems.map((p) => `${p.path} ${p.message}`);
    }
  };
  t.match(problems(POLICY_YAML.replace('lawfulBasis:', 'involves: [health]\nlawfulBasis:')), [
    /\/lawfulBasis\/specialCategory required because the policy involves health/,
  ]);
  t.match(problems(POLICY_YAML.replace('approvedOn: 2019-12-01', 'approvedOn: 2020-02-01')), [
    /\/dpia\/approvedOn the DPIA must be approved before sharing starts/,
  ]);
  t.match(
    problems(POLICY_YAML.replace('validFrom: 2020-01-01', 'validFrom: 2020-02-30')),
    [/\/validFrom not a calendar date/, /approvedOn/].slice(0, 1),
  );
  const aggregate = POLICY_YAML.replace(
    '      - { id: alpha-asks-beta, form: membership, of: [beta] }',
    '      - { id: alpha-asks-beta, form: membership, of: [beta] }\n      - { id: counts, form: ' +
      'aggregate, count: beta, groupBy: [ward, "known_to:delta"] }',
  );
  t.match(problems(aggregate), [/groupBy\/0 beta declares no attribute ward/, /groupBy\/1 delta is not a contributor/]);
  const families = POLICY_YAML.replace(
    '      - { id: alpha-asks-beta, form: membership, of: [beta] }',
    '      - { id: fam, form: family-criteria, criteria: [health, crime_asb], atLeast: 3 }',
  );
  t.match(problems(families), [
    /criteria\/0 no contributor evidences criterion health/,
    /criteria\/1 no contributor evidences/,
    /atLeast 3 is more than the 2 criteria/,
  ]);
  const spd = POLICY_YAML.replace(
    '      - { id: alpha-asks-beta, form: membership, of: [beta] }',
    '      - { id: spd, form: discrepancy, check: single-person-discount, evidence: [beta, alpha] }',
  );
  t.match(problems(spd), [
    /evidence\/1 a recipient cannot be its own evidence/,
    /declare the attribute single_person_discount/,
    /must contribute the address identifier/,
  ]);
  // population: adults or children, or left out; anything else is refused at its path, naming the values.
  const population = (value: string) => POLICY_YAML.replace('dataset: B,', `dataset: B, population: ${value},`);
  t.same(problems(population('children')), [], 'population children is accepted');
  t.equal(
    parsePolicy(population('adults')).document.contributors[1]!.population,
    'adults',
    'and adults, kept in the document',
  );
  t.equal(parsePolicy(POLICY_YAML).document.contributors[1]!.population, undefined, 'left out: anyone');
  t.same(problems(population('grown-ups')), [
    '/contributors/1/population must be equal to one of the allowed values: adults, children',
  ]);
  t.same(
    problems(population('[adults, children]')),
    ['/contributors/1/population must be equal to one of the allowed values: adults, children'],
    'one population per dataset',
  );
});

t.test('decisions name the rule and the policy version', async (t) => {
  const { document: doc } = parsePolicy(POLICY_YAML);
  const at = new Date('2026-06-01T12:00:00Z');
  t.match(decide(doc, { requester: 'alpha', form: 'membership', of: 'beta', at }), {
    allow: true,
    rule: 'alpha-asks-beta',
    policyVersion: 1,
  });
  t.match(decide(doc, { requester: 'beta', form: 'membership', of: 'alpha', at }), {
    allow: false,
    rule: 'recipients',
    reason: /test-policy v1: lists no recipient beta/,
  });
  t.match(decide(doc, { requester: 'alpha', form: 'membership', of: 'alpha', at }), {
    allow: false,
    rule: 'alpha-asks-beta',
    reason: /does not cover membership of alpha/,
  });
  t.match(decide(doc, { requester: 'alpha', form: 'membership', of: 'beta', at: new Date('2100-01-01T00:00:00Z') }), {
    allow: false,
    rule: 'validity',
  });
  t.match(decideContribution(doc, 'gamma', at), { allow: false, rule: 'contributors' });
  t.match(decideContribution(doc, 'beta', at), { allow: true, rule: 'contributors/1' });
  t.match(decideContribution(doc, 'alpha', at, ['given_name', 'nhs_number']), {
    allow: false,
    rule: 'contributors/0/identifiers',
    reason: /alpha may encode only given_name, surname, dob; the submission also encodes nhs_number/,
  });
  // validUntil is inclusive: the whole last day is in force.
  t.match(decide(doc, { requester: 'alpha', form: 'membership', of: 'beta', at: new Date('2099-12-31T23:59:59Z') }), {
    allow: true,
  });
});

t.test('versions: immutable, and a request is judged by the version in force', async (t) => {
  const b = await testBroker(t, 'postgres');
  const v1 = parsePolicy(POLICY_YAML);
  t.equal(await storePolicy(b.db, v1), 'unchanged', 'loading the same version again is a no-op');
  await t.rejects(
    storePolicy(b.db, parsePolicy(POLICY_YAML.replace('threshold: 0.8', 'threshold: 0.9'))),
    /already loaded with different content/,
  );
  const future = parsePolicy(
    POLICY_YAML.replace('version: 1', 'version: 2').replace('validFrom: 2020-01-01', 'validFrom: 2098-01-01'),
  );
  t.equal(await storePolicy(b.db, future), 'stored');
  await approvePolicy(b.db, 'test-policy', 2, 'iggy');
  t.equal((await policyInForce(b.db, 'testing', new Date('2026-06-01'))).document.version, 1, 'v2 is not yet in force');
  t.equal((await policyInForce(b.db, 'testing', new Date('2098-06-01'))).document.version, 2, 'v2 once its date comes');
  await t.rejects(
    storePolicy(b.db, parsePolicy(POLICY_YAML.replace('id: test-policy', 'id: other-policy'))),
    /already governed by policy test-policy/,
  );
  await t.rejects(policyInForce(b.db, 'nothing', new Date()), { code: 'unknown-purpose' });
});

t.test('a policy is in force only once approved by an IG lead who did not load it', async (t) => {
  const b = await testBroker(t, 'pglite', { approve: false });
  const r = await submitAs(b, 'alpha', upload(2), 'approval-0001');
  t.equal(r.status, 403);
  t.match(r.json.error, {
    code: 'policy-refused',
    message: /test-policy v1: not approved by an IG lead/,
    details: { rule: 'approval', version: 1 },
  });
  await addPerson(b.db, {
    username: 'root',
    role: 'ig-lead',
    password: 'another long passphrase 7',
    createdBy: 'test',
  });
  await addPerson(b.db, { username: 'anna', role: 'analyst', password: 'analyst passphrase 12345', createdBy: 'test' });
  await t.rejects(
    approvePolicy(b.db, 'test-policy', 1, 'root'),
    /root loaded policy test-policy v1; another person must approve it/,
  );
  await t.rejects(approvePolicy(b.db, 'test-policy', 1, 'anna'), /anna is not an IG lead/);
  await t.rejects(approvePolicy(b.db, 'test-policy', 9, 'iggy'), /no policy test-policy v9/);
  await addPerson(b.db, {
    username: 'puppet',
    role: 'ig-lead',
    password: 'a long passphrase 12345',
    createdBy: 'admin:root',
  });
  await t.rejects(
    approvePolicy(b.db, 'test-policy', 1, 'puppet'),
    /account was created by admin:root, who loaded policy test-policy v1/,
    'an admin cannot approve through an IG lead he created',
  );
  await approvePolicy(b.db, 'test-policy', 1, 'iggy');
  const ok = await submitAs(b, 'alpha', upload(2), 'approval-0001');
  t.equal(ok.status, 201, ok.text);
  const refused = await b.db.selectFrom('audit_log').selectAll().where('policy_rule', '=', 'approval').execute();
  t.equal(refused.length, 1, 'the refusal for want of approval is audited');
});
