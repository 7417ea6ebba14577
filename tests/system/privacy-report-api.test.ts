// The privacy report per submission, over the API (docs/privacy-report.md): a job computes it when a
// submission commits (single body or chunked upload), an IG lead reads the purpose's report over
// HTTPS, and approving the purpose's policy names its digest — refused without it or with a stale one.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t from 'tap';
import { BrokerClient, readEncodedFile, uploadEncodedFile } from '@blindlink/agency-client';
import {
  addPerson,
  executePrivacyReport,
  loadReportSource,
  purposeDigest,
  startEmbeddedRunner,
  storePolicy,
  threadReport,
  type ReportRunner,
} from '@blindlink/broker';
import { parsePolicy } from '@blindlink/policies';
import { canonicalJson } from '@blindlink/protocol';
import { synthCommand } from '@blindlink/synth';
import {
  call,
  IG_PASSWORD,
  loginAs,
  submitAs,
  testBroker,
  tokenFor,
  upload,
  type TestBroker,
} from '../helpers/in-process.js';
import { reportPolicyYaml, settledPrivacyDigest } from '../helpers/privacy-reports.js';
import { encodeIdentifiers } from '../helpers/purposes.js';
import { BROKER_BIN, run } from '../helpers/processes.js';

const SECRET = Buffer.from('privacy report api test secret, agencies only');
const POLICY = (version: number) =>
  reportPolicyYaml({ id: 'report-policy', purpose: 'reports', version, dpia: 'DPIA-R-1' });
// Deterministic filters: identical names repeat, so the attacks have something to find.
const encode = (csv: string, out: string) => encodeIdentifiers(csv, out, SECRET, 'uk-person-unhardened');

const approve = (b: TestBroker, token: string, version: number, body?: unknown) =>
  call(b, 'POST', `/v1/policies/report-policy/versions/${version}/approval`, {
    token,
    ...(body === undefined ? {} : { body }),
  });

const lastApprovalAudit = (b: TestBroker) =>
  b.db
    .selectFrom('audit_log')
    .select(['actor', 'reason', 'policy_version', 'decision', 'status'])
    .where('action', '=', 'policy.approve')
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();

/** GET the purpose's report until it is no longer pending (each answer either 200 or 409 pending). */
async function readReport(b: TestBroker, token: string) {
  // A deadline against a hang, not a timing check: on a loaded shared machine a report takes minutes.
  for (const until = Date.now() + 900_000; Date.now() < until; ) {
    const r = await call(b, 'GET', '/v1/purposes/reports/privacy-report', { token });
    if (r.status === 200) return r.json;
    if (r.json?.error?.code !== 'privacy-report-pending') throw new Error(`not pending: ${r.text.slice(0, 200)}`);
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error('the report stayed pending for 15 minutes');
}

t.test('privacy reports over HTTPS with mutual TLS, on PostgreSQL', async (t) => {
  const b = await testBroker(t, 'postgres');
  await storePolicy(b.db, parsePolicy(POLICY(1)), 'admin:root');
  await addPerson(b.db, {
    username: 'anna',
    role: 'analyst',
    password: IG_PASSWORD,
    createdBy: 'test',
    purposes: ['reports'],
  });
  const ig = await loginAs(b, 'iggy', IG_PASSWORD);

  // No submission yet: no report, and the approval records that none existed.
  const none = await call(b, 'GET', '/v1/purposes/reports/privacy-report', { token: ig });
  t.equal(none.status, 404);
  t.equal(none.json.error.code, 'no-privacy-report');
  const v1 = await approve(b, ig, 1);
  t.equal(v1.status, 200, v1.text);
  t.equal(v1.json.privacyReportDigest, null, 'v1 approved before any submission: no report named');
  t.match((await lastApprovalAudit(b)).reason, /no privacy report existed/);

  // A few thousand synthetic rows from two agencies: one single-body submission, one chunked upload.
  const dir = dirname(b.keyDirs.alpha!);
  await synthCommand(
    { persons: 2500, seed: 'privacy-report-api', out: join(dir, 'synth'), agencies: ['nhs_gp', 'council_tax'] },
    { info: () => {} },
  );
  const gp = await encode(join(dir, 'synth/nhs_gp.csv'), join(dir, 'gp.enc'));
  const ct = await encode(join(dir, 'synth/council_tax.csv'), join(dir, 'ct.enc'));
  const gpBody = readEncodedFile(gp).body;
  const single = await submitAs(b, 'alpha', gpBody, 'report-gp-1', { purpose: 'reports' });
  t.equal(single.status, 201, single.text.slice(0, 200));
  const chunked = await uploadEncodedFile(new BrokerClient(b.url, b.keyDirs.beta!), {
    purpose: 'reports',
    path: ct,
    maxChunkRecords: 1000,
  });
  t.ok(chunked.chunks > 1, `the upload came in ${chunked.chunks} chunks`);
  const queued = await b.db.selectFrom('privacy_report').select(['submission_id']).execute();
  t.same(
    queued.map((q) => q.submission_id).sort(),
    [single.json.submissionId, chunked.submissionId].sort(),
    'each commit queued its report',
  );

  // Analysts and agencies never read reports; the IG lead does.
  const analyst = await loginAs(b, 'anna', IG_PASSWORD);
  for (const token of [analyst, await tokenFor(b, 'alpha')]) {
    const r = await call(b, 'GET', '/v1/purposes/reports/privacy-report', { token, as: 'alpha' });
    t.equal(r.status, 403, 'refused');
  }
  const report = await readReport(b, ig);
  t.equal(report.purpose, 'reports');
  t.equal(report.submissions.length, 2);
  t.same(
    report.submissions.map((s: { agency: string }) => s.agency),
    ['alpha', 'beta'],
  );
  for (const s of report.submissions) {
    t.equal(s.status, 'completed', `${s.agency}'s report completed`);
    t.match(s.digest, /^sha256:[0-9a-f]{64}$/);
    const { digest, ...body } = s.report;
    t.equal(digest, s.digest, 'the report carries its digest');
    t.equal(
      'sha256:' + createHash('sha256').update(canonicalJson(body)).digest('hex'),
      s.digest,
      'which is the SHA-256 of its canonical JSON, as served',
    );
    t.equal(s.report.inputs[0].records, s.recordCount, 'every record read (below the sample size)');
    t.equal(s.report.truth, null, 'no truth: estimates and attacker confidence only');
    const given = s.report.fields.find((f: { field: string }) => f.field === 'given_name');
    t.ok(given.attacks.frequency.estimated && given.attacks.mining && given.attacks.graph, 'every attack ran');
    t.ok(
      given.attacks['denoise-frequency'] && given.attacks['denoise-mining'] && given.attacks['clk-mining'],
      'with cluster-then-denoise and CLK mining',
    );
    const dob = s.report.fields.find((f: { field: string }) => f.field === 'dob');
    t.ok(dob.attacks.mining?.attackerConfident && !dob.attacks['mining-known-dates'], 'dates attacked, no known dates');
    t.ok(given.floor.expected > 0 && !given.floor.measured, 'the floor expected from the background, not measured');
    t.ok(given.groups.repeatedShare > 0.3, `deterministic filters repeat (${given.groups.repeatedShare})`);
  }
  t.equal(report.digest, purposeDigest('reports', report.submissions), 'the purpose digest covers them all');
  const stored = await b.db.selectFrom('privacy_report').selectAll().execute();
  t.ok(
    stored.every((r) => r.status === 'completed' && r.attempts === 1 && r.error === null),
    'stored: completed at the first attempt',
  );
  for (const r of stored)
    t.comment(
      `report of ${r.submission_id}: ${(r.finished_at!.getTime() - r.created_at.getTime()) / 1000} s queued to stored`,
    );

  // Approving v2: the digest is required, and must be the current one.
  await storePolicy(b.db, parsePolicy(POLICY(2)), 'admin:root');
  const missing = await approve(b, ig, 2);
  t.equal(missing.status, 400);
  t.equal(missing.json.error.code, 'privacy-report-required');
  const wrong = await approve(b, ig, 2, { privacyReportDigest: `sha256:${'0'.repeat(64)}` });
  t.equal(wrong.status, 409);
  t.equal(wrong.json.error.code, 'privacy-report-changed');
  t.equal(wrong.json.error.details.current, report.digest);
  const refused = await lastApprovalAudit(b);
  t.match(refused, { status: 409, policy_version: 2, reason: /privacy report/ }, 'a refused approval is audited');
  const ok = await approve(b, ig, 2, { privacyReportDigest: report.digest });
  t.equal(ok.status, 200, ok.text);
  t.equal(ok.json.privacyReportDigest, report.digest);
  t.match(await lastApprovalAudit(b), {
    actor: 'ig-lead:iggy',
    decision: 'allowed',
    policy_version: 2,
    reason: `policy report-policy v2 approved having read privacy report ${report.digest}`,
  });
  const row = await b.db
    .selectFrom('policy_approval')
    .select('privacy_report_digest')
    .where('version', '=', 2)
    .where('policy_id', '=', 'report-policy')
    .executeTakeFirstOrThrow();
  t.equal(row.privacy_report_digest, report.digest, 'the approval row names it');

  // A new submission makes the report stale: v3 needs the new digest. The operator's CLI this time.
  await storePolicy(b.db, parsePolicy(POLICY(3)), 'admin:root');
  const ctBody = readEncodedFile(ct).body;
  const half = ctBody.records.slice(0, 1000);
  const again = await submitAs(
    b,
    'beta',
    { header: { ...ctBody.header, recordCount: half.length }, records: half },
    'report-ct-2',
    { purpose: 'reports' },
  );
  t.equal(again.status, 201);
  const early = await approve(b, ig, 3, { privacyReportDigest: report.digest });
  t.equal(early.status, 409);
  t.match(early.json.error.code, /^privacy-report-(pending|changed)$/);
  await settledPrivacyDigest(b.db, 'reports');
  const env = { DATABASE_URL: b.databaseUrl };
  const cli = (...args: string[]) => run(BROKER_BIN, [...args, '--data-dir', join(dir, 'cli-data')], { env });
  const printed = await cli('privacy-report', '--purpose', 'reports');
  t.equal(printed.code, 0, printed.stderr);
  const fresh = /purpose privacy report digest: (sha256:[0-9a-f]{64})/.exec(printed.stdout)?.[1];
  t.ok(fresh && fresh !== report.digest, `the CLI prints the new digest (${fresh})`);
  t.match(printed.stdout, /== beta: submission .*, 1000 records: completed/);
  t.match(printed.stdout, /given_name/);
  const asJson = await cli('privacy-report', '--purpose', 'reports', '--json');
  t.equal(JSON.parse(asJson.stdout).digest, fresh, '--json: the same report');
  writeFileSync(join(dir, 'iggy.password'), `${IG_PASSWORD}\n`);
  const approveCli = (digest?: string) =>
    cli(
      'policy',
      'approve',
      'report-policy',
      '3',
      '--as',
      'iggy',
      '--password-file',
      join(dir, 'iggy.password'),
      ...(digest ? ['--privacy-report', digest] : []),
    );
  const cliMissing = await approveCli();
  t.equal(cliMissing.code, 1);
  t.match(cliMissing.stderr, /blindlink-broker: error: .*has submissions: read its privacy report/);
  const cliStale = await approveCli(report.digest);
  t.equal(cliStale.code, 1);
  t.match(cliStale.stderr, /changed since/);
  const cliOk = await approveCli(fresh);
  t.equal(cliOk.code, 0, cliOk.stderr);
  t.match(cliOk.stdout, `policy report-policy v3 approved by iggy, having read privacy report ${fresh}`);
  t.match(await lastApprovalAudit(b), { actor: 'ig-lead:iggy', reason: new RegExp(fresh!) });

  // Above the sample size, a seeded sample in bounded memory, and the report says so.
  const gpId = single.json.submissionId as string;
  const a = await loadReportSource(b.db, b.keys, gpId, 500);
  const a2 = await loadReportSource(b.db, b.keys, gpId, 500);
  t.equal(a.source.records.length, 500);
  t.equal(a.total, gpBody.records.length);
  t.same(
    a.source.records.map((r) => r.token),
    a2.source.records.map((r) => r.token),
    'the same sample each time',
  );
  const original = new Map(gpBody.records.map((r) => [r.token, r]));
  t.ok(
    a.source.records.every((r) => JSON.stringify(r.fields) === JSON.stringify(original.get(r.token)?.fields)),
    'each sampled record decrypts to the filters the agency sent',
  );
  const before = await b.db
    .selectFrom('privacy_report')
    .selectAll()
    .where('submission_id', '=', gpId)
    .executeTakeFirstOrThrow();
  const sampled = await executePrivacyReport(b.db, b.keys, gpId, {
    attempt: 1,
    maxAttempts: 5,
    compute: threadReport,
    sample: 500,
  });
  t.equal(sampled.status, 'completed');
  const after = await b.db
    .selectFrom('privacy_report')
    .selectAll()
    .where('submission_id', '=', gpId)
    .executeTakeFirstOrThrow();
  t.match((after.report as { notes: string[] }).notes[0], /^sampled: 500 of the submission's \d+ records/);
  t.not(after.digest, before.digest, 'a sampled report is another report');
});

t.test('a failed report is recorded with its reason and retried by the queue (embedded database)', async (t) => {
  const b = await testBroker(t, 'pglite');
  // This broker's own runner is replaced by one whose first report attempt fails.
  await b.jobs.embedded!.stop();
  let calls = 0;
  const flaky: ReportRunner = async (input) => {
    if (++calls === 1) throw new Error('simulated failure: the report thread ran out of memory');
    return threadReport(input);
  };
  const runner = startEmbeddedRunner({ db: b.db, keys: b.keys, logger: b.app.log, report: flaky, pollMs: 200 });
  t.teardown(() => runner.stop());
  const ig = await loginAs(b, 'iggy', IG_PASSWORD);
  const sent = await submitAs(b, 'alpha', upload(200, 3), 'flaky-report-1');
  t.equal(sent.status, 201, sent.text.slice(0, 200));

  let sawFailure = false;
  for (const until = Date.now() + 60_000; ; ) {
    if (Date.now() > until) throw new Error('the report never completed');
    const r = await call(b, 'GET', '/v1/purposes/testing/privacy-report', { token: ig });
    if (r.status === 200) {
      t.equal(r.json.submissions[0].status, 'completed');
      t.equal(r.json.submissions[0].attempts, 2, 'completed at the second attempt');
      break;
    }
    if (r.json?.error?.code !== 'privacy-report-pending') throw new Error(`not pending: ${r.text.slice(0, 200)}`);
    if (!sawFailure && /simulated failure/.test(r.json.error.message)) {
      sawFailure = true;
      t.match(
        r.json.error.details.pending,
        [{ agency: 'alpha', status: 'failed', attempts: 1, error: /simulated failure/ }],
        'recorded as failed with the reason, and pending: the queue tries again',
      );
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  t.ok(sawFailure, 'the IG lead saw the failed attempt while it waited for the retry');
  t.equal(calls, 2);
});
