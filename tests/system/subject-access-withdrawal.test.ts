import t from 'tap';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { approvePolicy, storePolicy } from '@blindlink/broker';
import { readEncodedFile, readTokenMap } from '@blindlink/agency-client';
import { parsePolicy } from '@blindlink/policies';
import { POLICY_YAML, call, runToEnd, submitAs, testBroker, tokenFor } from '../helpers/in-process.js';
import { csv, population, type Person } from '../helpers/people.js';
import { AGENCY_BIN, run } from '../helpers/processes.js';
import { encodeIdentifiers } from '../helpers/purposes.js';

/**
 * Subject access and withdrawal (issue 18, parts 2 and 3) on real PostgreSQL over mutual TLS, through the spawned CLI:
 * alpha holds persons 0..39, beta 25..59. The answer lists exactly the releases whose answer was about
 * the person (the truth: which releases covered rows of theirs), only for a person alpha itself holds;
 * a refused or over-limit request is a 4xx and audited.
 */

const SECRET = 'the linkage secret the agencies of this purpose share';

const POLICY_V2 = POLICY_YAML.replace('version: 1', 'version: 2')
  .replace(
    '  - { agency: beta, dataset: B, identifiers: [given_name, surname, dob, postcode] }',
    '  - { agency: beta, dataset: B, identifiers: [given_name, surname, dob] }',
  )
  .replace(
    '      - { id: alpha-asks-beta, form: membership, of: [beta] }',
    [
      '      - { id: alpha-asks-beta, form: membership, of: [beta] }',
      '      - { id: alpha-pseudonyms, form: pseudonym }',
      '      - { id: alpha-subject-access, form: subject-access, perDay: 3 }',
      // Every scored pair touching alpha's rows: an export about the people of all of them.
      '      - { id: alpha-review, form: clerical-review, pairs: 1000, band: { from: 0, to: 1 } }',
      '  - agency: beta',
      '    releases:',
      '      - { id: beta-pseudonyms, form: pseudonym }',
    ].join('\n'),
  );

t.test('withdrawn rows leave every later run; subject access lists exactly the releases about a person', async (t) => {
  const b = await testBroker(t, 'postgres');
  await storePolicy(b.db, parsePolicy(POLICY_V2), 'admin:root');
  await approvePolicy(b.db, 'test-policy', 2, 'iggy');

  const dir = mkdtempSync(join(tmpdir(), 'blindlink-subject-access-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const secretFile = join(dir, 'secret.key');
  writeFileSync(secretFile, `${SECRET}\n`); // as an officer saves it: the client drops the newline
  chmodSync(secretFile, 0o600);
  const people = population(60);
  const header = ['record_id', 'given_name', 'surname', 'dob'];
  const extract = async (name: string, from: number, to: number) => {
    const rows = people.slice(from, to).map((p, i) => [`${name}${from + i}`, p.given, p.surname, p.dob]);
    // alpha's row of person 33 is wrong at first (a mix-up with another resident): corrected below.
    if (name === 'alpha') rows[33] = ['alpha33', 'Zebedee', 'Quixote', '1901-01-01'];
    writeFileSync(join(dir, `${name}.csv`), csv(header, rows));
    return readEncodedFile(
      await encodeIdentifiers(join(dir, `${name}.csv`), join(dir, `${name}.enc`), Buffer.from(SECRET)),
    ).body;
  };
  t.equal((await submitAs(b, 'alpha', await extract('alpha', 0, 40), 'alpha-sar-0001')).status, 201);
  t.equal((await submitAs(b, 'beta', await extract('beta', 25, 60), 'beta-sar-00001')).status, 201);

  const alpha = { as: 'alpha', token: await tokenFor(b, 'alpha') };
  const beta = { as: 'beta', token: await tokenFor(b, 'beta') };
  const first = await runToEnd(b, 'testing', alpha);
  t.equal(first.json.status, 'completed', 'the first run');

  const release = async (who: typeof alpha, path: string, body: unknown = {}) => {
    const r = await call(b, 'POST', `/v1/purposes/testing/releases/${path}`, { ...who, body });
    t.equal(r.status, 200, r.status === 200 ? `${who.as} ${path}` : r.text);
    const row = await b.db
      .selectFrom('audit_log')
      .select('seq')
      .where('actor', '=', `agency:${who.as}`)
      .where('action', '=', `release.${path}`)
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow();
    return { seq: row.seq, json: r.json };
  };
  // Three releases on the first run: alpha's and beta's pseudonyms (each about its own rows), and
  // alpha's membership of beta (about alpha's rows).
  const { seq: r1, json: alphaBefore } = await release(alpha, 'pseudonym');
  const { seq: r2, json: betaBefore } = await release(beta, 'pseudonym');
  const { seq: r3 } = await release(alpha, 'membership', { of: 'beta' });
  // A clerical-review export (issue 18): a release about both people of each pair it holds.
  const { seq: rv, json: review } = await release(alpha, 'clerical-review');
  const alphaIds = readTokenMap(join(dir, 'alpha.enc.tokens.csv'));
  const reviewed = new Set(
    (review.pairs as { yours: string[] }[]).flatMap((p) => p.yours.map((token) => alphaIds.get(token))),
  );
  t.ok(reviewed.has('alpha30'), "the export holds a pair of alpha's row of person 30 (their match with beta's)");

  // Withdrawal (issue 18, part 3): beta withdraws its rows of persons 30 and 55 by their row tokens.
  const betaTokens = readTokenMap(join(dir, 'beta.enc.tokens.csv'));
  const tokenOf = (id: string) => [...betaTokens].find(([, record]) => record === id)![0];
  const gone = [tokenOf('beta30'), tokenOf('beta55')];
  const withdraw = (agency: string, lines: string[]) => {
    const file = join(dir, `${agency}-withdraw.csv`);
    writeFileSync(file, ['row_token', ...lines].join('\n') + '\n');
    return run(AGENCY_BIN, ['withdraw', '--key-dir', b.keyDirs[agency]!, '--purpose', 'testing', '--tokens', file], {
      env: { BLINDLINK_BROKER: b.url },
    });
  };
  const betaRows = async () =>
    (
      await b.db
        .selectFrom('encoding')
        .innerJoin('submission', 'submission.id', 'encoding.submission_id')
        .select('encoding.row_token')
        .where('submission.agency', '=', 'beta')
        .execute()
    ).map((r) => r.row_token);
  const nobody = 'AAAAAAAAAAAAAAAAAAAAAA';
  const auditOf = (action: string) =>
    b.db
      .selectFrom('audit_log')
      .select(['actor', 'decision', 'status', 'counts'])
      .where('action', '=', action)
      .orderBy('seq')
      .execute();
  const bad = await withdraw('beta', [gone[0]!, nobody]);
  t.equal(bad.code, 1);
  t.match(bad.stderr, new RegExp(`broker refused \\(400 unknown-row-token\\): .*${nobody}.*nothing was changed`));
  t.equal((await betaRows()).length, 35, 'a request naming an unknown token withdraws nothing');
  const done = await withdraw('beta', gone);
  t.equal(done.code, 0, done.stderr);
  t.match(JSON.parse(done.stdout), { withdrawn: 2, recordCount: 33 });
  t.notOk(
    (await betaRows()).some((r) => gone.includes(r)),
    'removed from the stored submission',
  );
  const stale = await call(b, 'POST', '/v1/purposes/testing/releases/pseudonym', { ...beta, body: {} });
  t.equal(stale.status, 409, 'no release for beta from a run that still holds the withdrawn rows');
  // Correction: alpha replaces its wrong row of person 33 with the right one, matched by record id.
  const alphaMap = join(dir, 'alpha.enc.tokens.csv');
  const wrongToken = [...readTokenMap(alphaMap)].find(([, id]) => id === 'alpha33')![0];
  writeFileSync(
    join(dir, 'corrected.csv'),
    csv(header, [['alpha33', people[33]!.given, people[33]!.surname, people[33]!.dob]]),
  );
  const otherSecret = join(dir, 'other.key');
  writeFileSync(otherSecret, 'a secret of some other purpose entirely\n');
  chmodSync(otherSecret, 0o600);
  const correct = (secret: string) =>
    run(
      AGENCY_BIN,
      ['correct', '--key-dir', b.keyDirs.alpha!, '--purpose', 'testing', '--input', join(dir, 'corrected.csv')].concat([
        '--secret-file',
        secret,
        '--token-map',
        alphaMap,
      ]),
      { env: { BLINDLINK_BROKER: b.url } },
    );
  const mapBefore = readFileSync(alphaMap, 'utf8');
  const mismatched = await correct(otherSecret);
  t.equal(mismatched.code, 1);
  t.match(mismatched.stderr, /broker refused \(409 linkage-secret-mismatch\)/);
  t.equal(readFileSync(alphaMap, 'utf8'), mapBefore, 'a refused correction leaves the token map as it was');
  const corrected = await correct(secretFile);
  t.equal(corrected.code, 0, corrected.stderr);
  t.match(JSON.parse(corrected.stdout), { withdrawn: 1, added: 1, recordCount: 40 });
  const rightToken = [...readTokenMap(alphaMap)].find(([, id]) => id === 'alpha33')![0];
  t.not(rightToken, wrongToken, 'the token map names the corrected row');
  t.equal(readTokenMap(alphaMap).size, 40);

  const notContributor = await withdraw('gamma', [nobody]);
  t.match(notContributor.stderr, /broker refused \(403 policy-refused\)/);

  const second = await runToEnd(b, 'testing', alpha);
  t.equal(second.json.status, 'completed', 'a run after the withdrawal');
  t.equal(second.json.mode, 'incremental', 'continuing the previous run');
  const held = await b.db
    .selectFrom('run_record')
    .select('row_token')
    .where('run_id', '=', second.json.runId)
    .execute();
  t.equal(held.length, 73);
  t.notOk(
    held.some((r) => r.row_token === wrongToken),
    'the corrected row is in no later run',
  );
  t.notOk(
    held.some((r) => gone.includes(r.row_token)),
    'the withdrawn rows are in no later run',
  );
  const pseudonymsOf = (answers: { token: string; pseudonym: string }[]) =>
    Object.fromEntries(answers.map((a) => [a.token, a.pseudonym]));
  const { seq: r4, json: alphaAfter } = await release(alpha, 'pseudonym');
  const alphaExpected = pseudonymsOf(alphaBefore.answers);
  delete alphaExpected[wrongToken];
  const { [rightToken]: rightPseudonym, ...alphaRest } = pseudonymsOf(alphaAfter.answers);
  t.same(alphaRest, alphaExpected, "alpha's other pseudonyms unchanged");
  const { seq: r5, json: betaAfter } = await release(beta, 'pseudonym');
  t.equal(
    rightPseudonym,
    pseudonymsOf(betaAfter.answers)[tokenOf('beta33')],
    "the corrected row now links to beta's record of the person, under beta's person's pseudonym",
  );
  const betaExpected = pseudonymsOf(betaBefore.answers);
  for (const g of gone) delete betaExpected[g];
  t.same(pseudonymsOf(betaAfter.answers), betaExpected, "beta's other pseudonyms unchanged, the withdrawn gone");

  const withdrawals = await auditOf('submission.withdraw');
  t.same(
    withdrawals.map((a) => `${a.actor} ${a.decision} ${a.status}`),
    ['agency:beta failed 400', 'agency:beta allowed 200', 'agency:gamma refused 403'],
    'each withdrawal audited, allowed or not',
  );
  t.same(withdrawals[1]!.counts, { withdrawn: 2, added: 0, records: 33 });
  t.same(
    (await auditOf('submission.correct')).map((a) => `${a.actor} ${a.decision} ${a.status}`),
    ['agency:alpha failed 409', 'agency:alpha allowed 200'],
    'each correction audited',
  );

  // Subject access (issue 18, part 2), through the CLI: the truth is which releases covered whose rows.
  const ask = (agency: string, p: Person) =>
    run(
      AGENCY_BIN,
      [
        'subject-access',
        '--key-dir',
        b.keyDirs[agency]!,
        '--purpose',
        'testing',
        '--secret-file',
        secretFile,
        '--given-name',
        p.given,
        '--surname',
        p.surname,
        '--dob',
        p.dob,
      ],
      { env: { BLINDLINK_BROKER: b.url } },
    );
  const seqs = (r: { stdout: string }) =>
    (JSON.parse(r.stdout) as { releases: { auditSeq: number }[] }).releases.map((x) => x.auditSeq);

  // Person 30: held by both until beta withdrew its row. Every release of the first run was about
  // them; of the second, alpha's, not beta's.
  const both = await ask('alpha', people[30]!);
  t.equal(both.code, 0, both.stderr);
  const bothAnswer = JSON.parse(both.stdout);
  t.equal(bothAnswer.matched, true, 'a resident alpha holds is matched');
  t.same(seqs(both), [r1, r2, r3, rv, r4], `exactly the releases about them, oldest first (not ${r5})`);
  t.same(
    bothAnswer.runs.map((r: { runId: string }) => r.runId),
    [first.json.runId, second.json.runId],
    'both runs included them',
  );
  t.same(
    bothAnswer.releases.map((r: { requester: string; form: string }) => `${r.requester} ${r.form}`),
    [
      'agency:alpha pseudonym',
      'agency:beta pseudonym',
      'agency:alpha membership',
      'agency:alpha clerical-review',
      'agency:alpha pseudonym',
    ],
    'who asked, for which form',
  );
  // The ledger began with migrations 017/018: the answer says from when its list is complete.
  const { since } = await b.db
    .selectFrom('release_subject_coverage')
    .select((eb) => eb.fn.max('recorded_since').as('since'))
    .executeTakeFirstOrThrow();
  t.equal(bothAnswer.releasesCompleteSince, new Date(since!).toISOString(), 'the ledger start, as a field');
  t.ok(Date.parse(bothAnswer.releasesCompleteSince) <= Date.parse(bothAnswer.releases[0].at), 'before every release');
  t.match(
    both.stderr,
    `releases are listed from ${bothAnswer.releasesCompleteSince} on; earlier releases are not covered`,
    'and printed by the CLI',
  );
  t.match(bothAnswer.releases[2].policy, { id: 'test-policy', version: 2, rule: 'alpha-asks-beta' });
  t.notMatch(
    both.stdout + both.stderr,
    new RegExp(`${people[30]!.given}|${people[30]!.surname}`),
    'no identifier echoed',
  );

  // Person 5: alpha only; beta's releases were about beta's rows, not them.
  const alphaOnly = await ask('alpha', people[5]!);
  t.equal(alphaOnly.code, 0, alphaOnly.stderr);
  t.same(
    seqs(alphaOnly),
    reviewed.has('alpha5') ? [r1, r3, rv, r4] : [r1, r3, r4],
    "not beta's releases; the review export only if it held a pair of theirs",
  );

  // Person 50: beta holds them, alpha does not: no match, and nothing about beta's record.
  const notOurs = await ask('alpha', people[50]!);
  t.equal(notOurs.code, 0, notOurs.stderr);
  const notOursAnswer = JSON.parse(notOurs.stdout);
  t.same(
    { matched: notOursAnswer.matched, runs: notOursAnswer.runs, releases: notOursAnswer.releases },
    { matched: false, runs: [], releases: [] },
    "a person only another agency holds is not matched: the request cannot probe beta's records",
  );
  t.notOk('token' in notOursAnswer);

  // Refused: beta holds no subject-access rule; gamma is no recipient. Both 403 and audited.
  const refused = await ask('beta', people[30]!);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /broker refused \(403 policy-refused\)/);
  const encoded = readEncodedFile(join(dir, 'alpha.enc')).body;
  const gamma = await call(b, 'POST', '/v1/purposes/testing/subject-access', {
    as: 'gamma',
    token: await tokenFor(b, 'gamma'),
    body: { header: encoded.header, record: encoded.records[0] },
  });
  t.equal(gamma.status, 403, gamma.text);

  // The fourth request in a day passes alpha's limit of three: 429, audited, nothing answered.
  const limited = await ask('alpha', people[31]!);
  t.equal(limited.code, 1);
  t.match(limited.stderr, /broker refused \(429 rate-limited\)/);

  const audit = await auditOf('subject-access');
  t.same(
    audit.map((a) => `${a.actor} ${a.decision} ${a.status}`),
    [
      'agency:alpha allowed 200',
      'agency:alpha allowed 200',
      'agency:alpha allowed 200',
      'agency:beta refused 403',
      'agency:gamma refused 403',
      'agency:alpha failed 429',
    ],
    'every request audited, allowed or not',
  );
  t.same(audit[0]!.counts, { matched: 1, runs: 2, releases: 5 });

  const ledger = await b.db.selectFrom('release_subject').select('subject').execute();
  t.notOk(
    ledger.some((r) => !/^[A-Za-z0-9_-]{22}$/.test(r.subject)),
    'the ledger holds keyed pseudonyms only',
  );
});
