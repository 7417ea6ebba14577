/**
 * Clerical review end to end (issue 16, goal 5) on real PostgreSQL over mutual TLS, through the
 * agency CLI as a data officer runs it: a run; `review export` (the broker's most uncertain pairs of
 * our records, our own record ids put back locally); verdicts filled in; `review submit`; the next
 * run links what was labelled a match and separates what was labelled a non-match. Both agencies may
 * label one pair: when they disagree the conflict is recorded and neither verdict applies. Refused
 * requests (no clerical-review rule for the agency) get 403 and are audited; bad label files fail.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t from 'tap';
import { readEncodedFile } from '@blindlink/agency-client';
import { approvePolicy, createLogger, decodeModel, purge, startJobWorker, storePolicy } from '@blindlink/broker';
import { sql } from 'kysely';
import { parsePolicy } from '@blindlink/policies';
import { synthCommand } from '@blindlink/synth';
import { call, submitAs, testBroker, tokenFor } from '../helpers/in-process.js';
import { AGENCY_BIN, run } from '../helpers/processes.js';
import { encodeIdentifiers, readCsv, writeCsv } from '../helpers/purposes.js';

const SECRET = Buffer.from('clerical review test secret, agencies only');
const PURPOSE = 'review';

const POLICY = `
id: review-test
version: 1
purpose: ${PURPOSE}
title: Clerical review
controllers: [{ name: Test Council, role: controller }]
lawfulBasis: { article6: UK GDPR Art. 6(1)(e) }
dpia: { reference: DPIA-T-16, approvedOn: 2019-12-01 }
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
      - { id: alpha-review, form: clerical-review, pairs: 40, band: { from: 0.02, to: 0.98 } }
  - agency: beta
    releases:
      - { id: beta-review, form: clerical-review, pairs: 40, band: { from: 0.02, to: 0.98 } }
retention: { encodings: P30D, linkage: P30D, releases: P30D }
linkage: { threshold: 0.8 }
`;

t.test('clerical review: export, label, submit, and the next run applies it (PostgreSQL, CLI)', async (t) => {
  const started = performance.now();
  const lap = (what: string) => t.comment(`${what}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  // No worker while the agencies submit: each submission queues its privacy report, which this test
  // does not read and which would take most of its time (tests/system/privacy-report-api.test.ts
  // covers them), so those jobs are removed before a worker starts; runs are jobs as ever.
  const b = await testBroker(t, 'postgres', { worker: 'none' });
  await storePolicy(b.db, parsePolicy(POLICY), 'admin:root');
  await approvePolicy(b.db, 'review-test', 1, 'iggy');
  const dir = dirname(b.keyDirs.alpha!);
  const data = join(dir, 'synth');
  await synthCommand(
    { persons: 800, seed: 'clerical-review', out: data, agencies: ['council_tax', 'nhs_gp'] },
    { info: () => {} },
  );
  const tokens: Record<string, string> = {};
  for (const [agency, file] of [
    ['alpha', 'council_tax'],
    ['beta', 'nhs_gp'],
  ] as const) {
    const out = await encodeIdentifiers(join(data, `${file}.csv`), join(dir, `${agency}.enc`), SECRET);
    const r = await submitAs(b, agency, readEncodedFile(out).body, `review-${agency}`, { purpose: PURPOSE });
    t.equal(r.status, 201, `${agency} submitted`);
    tokens[agency] = `${out}.tokens.csv`;
  }
  const { rows: removed } = await sql`select graphile_worker.remove_job(key) from graphile_worker.jobs
    where task_identifier = 'blindlink_privacy_report'`.execute(b.db);
  t.equal(removed.length, 2, "the two submissions' privacy-report jobs removed");
  const worker = await startJobWorker({
    connectionString: b.databaseUrl!,
    db: b.db,
    keys: b.keys,
    logger: createLogger('warn'),
    pollInterval: 200,
  });
  t.teardown(() => worker.stop());
  lap('synthesised, encoded and submitted');
  const cli = (agency: string, args: string[]) =>
    run(AGENCY_BIN, [...args, '--key-dir', b.keyDirs[agency]!, '--purpose', PURPOSE], {
      env: { BLINDLINK_BROKER: b.url },
    });
  const linkRun = async () => {
    const r = await cli('alpha', ['run']);
    t.equal(r.code, 0, `run: ${r.stderr.slice(-300)}`);
    return JSON.parse(r.stdout) as { runId: string; status: string };
  };
  /** Entity per (agency, record id) in a run, through the token maps (as the test knows them). */
  const entities = async (runId: string) => {
    const byToken = new Map<string, string>();
    for (const agency of ['alpha', 'beta'])
      for (const r of readCsv(tokens[agency]!).rows) byToken.set(r.row_token!, `${agency}:${r.record_id}`);
    const rows = await b.db
      .selectFrom('run_record')
      .select(['row_token', 'entity_id'])
      .where('run_id', '=', runId)
      .execute();
    return new Map(rows.map((r) => [byToken.get(r.row_token)!, r.entity_id]));
  };

  const first = await linkRun();
  lap('first run');
  t.equal(first.status, 'completed');
  const before = await entities(first.runId);
  const { scoring } = (await b.db
    .selectFrom('run')
    .select('scoring')
    .where('id', '=', first.runId)
    .executeTakeFirstOrThrow()) as { scoring: { mode: string } };
  t.equal(scoring.mode, 'fellegi-sunter', 'the run scored with the Fellegi–Sunter model');

  // Export: our own record ids, opaque references for the other side, evidence per field, no values.
  const exported = await cli('alpha', ['review', 'export', '--tokens', tokens.alpha!, '--out', join(dir, 'a.csv')]);
  t.equal(exported.code, 0, `export: ${exported.stderr}`);
  lap('exported');
  const sheet = readCsv(join(dir, 'a.csv'));
  t.same(sheet.header, [
    'review_id',
    'your_record_ids',
    'other',
    'probability',
    'score',
    'threshold',
    'linked_now',
    'evidence',
    'verdict',
  ]);
  t.ok(sheet.rows.length > 2 && sheet.rows.length <= 40, `${sheet.rows.length} pairs, at most the policy's 40`);
  const ctIds = new Set(readCsv(join(data, 'council_tax.csv')).rows.map((r) => r.record_id));
  const gpTokens = new Set(readCsv(tokens.beta!).rows.map((r) => r.row_token));
  for (const row of sheet.rows) {
    t.ok(
      row.your_record_ids!.split(';').every((id) => ctIds.has(id)),
      'our side is our own record id',
    );
    t.notOk(gpTokens.has(row.other!), "the other side is never the other agency's row token");
    t.match(row.evidence, /given_name: .*\((\+|-)[0-9.]+\)/, 'per-field levels and weights');
    const p = Number(row.probability);
    t.ok(p >= 0.02 && p <= 0.98, `probability ${p} within the policy's band`);
  }
  const distance = (r: Record<string, string>) => Math.abs(Number(r.score) - Number(r.threshold));
  t.ok(
    sheet.rows.every((r, i) => i === 0 || distance(sheet.rows[i - 1]!) <= distance(r) + 1e-9),
    'nearest the threshold first',
  );

  // The officer's verdicts: a linked pair is two people; an unlinked one is one person.
  const cut = sheet.rows.find((r) => r.linked_now === 'yes');
  const join_ = sheet.rows.find((r) => r.linked_now === 'no');
  t.ok(cut && join_, 'the export holds a linked and an unlinked pair');
  cut!.verdict = 'non-match';
  join_!.verdict = 'match';
  const unsure = sheet.rows.find((r) => r !== cut && r !== join_)!;
  unsure.verdict = 'unsure';
  writeCsv(join(dir, 'a-labelled.csv'), sheet.header, sheet.rows);

  // Bad label files fail at the agency, with the line; a review id never sent is refused by the broker.
  const badVerdict = sheet.rows.map((r) => ({ ...r, verdict: r === cut ? 'probably' : (r.verdict ?? '') }));
  writeCsv(join(dir, 'bad.csv'), sheet.header, badVerdict);
  const bad = await cli('alpha', ['review', 'submit', join(dir, 'bad.csv')]);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /line \d+: verdict "probably" is not one of match, non-match, unsure/);
  writeFileSync(join(dir, 'forged.csv'), `review_id,verdict\nrv-${'A'.repeat(22)},match\n`);
  const forged = await cli('alpha', ['review', 'submit', join(dir, 'forged.csv')]);
  t.equal(forged.code, 1);
  t.match(forged.stderr, /broker refused \(400 invalid-body\): 1 review id\(s\) were never sent to alpha/);
  const garbage = await call(b, 'POST', `/v1/purposes/${PURPOSE}/review-labels`, {
    as: 'alpha',
    token: await tokenFor(b, 'alpha'),
    body: { labels: [{ reviewId: 'rv-x', verdict: 'yes' }] },
  });
  t.equal(garbage.status, 400, 'a malformed label is a 400');
  t.equal(
    (await b.db.selectFrom('review_pair').select('review_id').where('verdict', 'is not', null).execute()).length,
    0,
    'nothing stored from refused label files',
  );

  const sent = await cli('alpha', ['review', 'submit', join(dir, 'a-labelled.csv')]);
  t.equal(sent.code, 0, `submit: ${sent.stderr}`);
  t.match(JSON.parse(sent.stdout), { purpose: PURPOSE, stored: 3, conflicts: 0 });

  // Beta reviews too. Where beta's export holds the pair alpha labelled "unsure", beta says match and
  // alpha then says non-match: a conflict, applied neither way.
  const bExport = await cli('beta', ['review', 'export', '--tokens', tokens.beta!, '--out', join(dir, 'b.csv')]);
  t.equal(bExport.code, 0, `beta export: ${bExport.stderr}`);
  const shared = await b.db
    .selectFrom('review_pair as a')
    .innerJoin('review_pair as b', (j) =>
      j.onRef('a.key_a', '=', 'b.key_a').onRef('a.key_b', '=', 'b.key_b').onRef('a.purpose', '=', 'b.purpose'),
    )
    .select(['a.review_id as alphaId', 'b.review_id as betaId'])
    .where('a.agency', '=', 'alpha')
    .where('b.agency', '=', 'beta')
    .where('a.verdict', 'is', null)
    .execute();
  t.ok(shared.length > 0, 'the two exports share pairs, under different review ids');
  t.ok(
    shared.every((s) => s.alphaId !== s.betaId),
    'review ids are per agency',
  );
  const conflictPair = shared[0]!;
  writeFileSync(join(dir, 'b-labelled.csv'), `review_id,verdict\n${conflictPair.betaId},match\n`);
  t.equal((await cli('beta', ['review', 'submit', join(dir, 'b-labelled.csv')])).code, 0);
  writeFileSync(join(dir, 'a-conflict.csv'), `review_id,verdict\n${conflictPair.alphaId},non-match\n`);
  const conflicted = await cli('alpha', ['review', 'submit', join(dir, 'a-conflict.csv')]);
  t.equal(conflicted.code, 0);
  t.match(JSON.parse(conflicted.stdout), { conflicts: 1 }, 'the disagreement is recorded as a conflict');
  t.match(conflicted.stderr, /1 pair\(s\) of review have verdicts that disagree: neither applies/);

  // The next run applies the labels.
  lap('labelled');
  const second = await linkRun();
  lap('second run');
  t.equal(second.status, 'completed');
  const after = await entities(second.runId);
  // The pairs' two records, as the test knows them (the broker's stable keys → row tokens → record ids).
  const recordOf = new Map<string, string>();
  for (const agency of ['alpha', 'beta'])
    for (const r of readCsv(tokens[agency]!).rows) recordOf.set(r.row_token!, `${agency}:${r.record_id}`);
  const keyToRecord = new Map(
    (
      await b.db
        .selectFrom('run_record')
        .select(['record_key', 'row_token'])
        .where('run_id', '=', first.runId)
        .execute()
    ).map((r) => [r.record_key, recordOf.get(r.row_token)!]),
  );
  const records = async (reviewId: string) => {
    const p = await b.db
      .selectFrom('review_pair')
      .select(['key_a', 'key_b'])
      .where('agency', '=', 'alpha')
      .where('review_id', '=', reviewId)
      .executeTakeFirstOrThrow();
    return [keyToRecord.get(p.key_a)!, keyToRecord.get(p.key_b)!] as const;
  };
  const [c1, c2] = await records(cut!.review_id!);
  t.equal(before.get(c1), before.get(c2), 'the pair labelled a non-match was one entity before');
  t.not(after.get(c1), after.get(c2), 'and is two after the label');
  const [j1, j2] = await records(join_!.review_id!);
  t.not(before.get(j1), before.get(j2), 'the pair labelled a match was two entities before');
  t.equal(after.get(j1), after.get(j2), 'and is one after the label');
  const [x1, x2] = await records(conflictPair.alphaId);
  t.equal(
    after.get(x1) === after.get(x2),
    before.get(x1) === before.get(x2),
    'the pair in conflict is left as the model decides',
  );
  const reasoning = (await b.db
    .selectFrom('run')
    .select('scoring')
    .where('id', '=', second.runId)
    .executeTakeFirstOrThrow()) as { scoring: { reasoning: string[] } };
  t.match(reasoning.scoring.reasoning.at(-1), /^Clerical review: 1 pair\(s\) .* a match .* 1 labelled a non-match/);

  // A full relink (the model re-fitted, its pairs from the partitions) applies them alike.
  const third = await cli('alpha', ['run', '--full']);
  t.equal(third.code, 0, `full run: ${third.stderr.slice(-300)}`);
  const full = await entities((JSON.parse(third.stdout) as { runId: string }).runId);
  lap('full run');
  t.not(full.get(c1), full.get(c2), 'full run: the non-match stays apart');
  t.equal(full.get(j1), full.get(j2), 'full run: the match stays one entity');

  // The full run's fit counted the two labelled pairs at their known class (scoring/labelled.ts): on
  // the same submissions the fit is otherwise the first run's, bit for bit, so m moved only through
  // the labels: up at the match's levels, down at the non-match's, where the two pairs' levels differ.
  const fullId = (JSON.parse(third.stdout) as { runId: string }).runId;
  const modelOf = async (runId: string) => {
    const state = await b.db
      .selectFrom('run_state')
      .select('model')
      .where('run_id', '=', runId)
      .executeTakeFirstOrThrow();
    return decodeModel(state.model).fellegiSunter!;
  };
  const [m0, m1] = [await modelOf(first.runId), await modelOf(fullId)];
  const levels = (row: Record<string, string>) =>
    new Map(row.evidence!.split('; ').map((e) => [e.slice(0, e.indexOf(':')), e.replace(/^[^:]*: | \([^)]*\)$/g, '')]));
  const [matchAt, nonMatchAt] = [levels(join_!), levels(cut!)];
  let compared = 0;
  m1.fields.forEach((c, f) => {
    const [lj, lc] = [c.labels.indexOf(matchAt.get(c.field)!), c.labels.indexOf(nonMatchAt.get(c.field)!)];
    if (lj <= 0 || lc <= 0 || lj === lc) return; // missing on a side (level 0), or one level for both
    compared++;
    t.ok(m1.m[f]![lj]! > m0.m[f]![lj]!, `${c.field}: m at the match's level (${c.labels[lj]}) rose`);
    t.ok(m1.m[f]![lc]! < m0.m[f]![lc]!, `${c.field}: m at the non-match's level (${c.labels[lc]}) fell`);
  });
  t.ok(compared > 0, `${compared} field(s) where the two labelled pairs' levels differ`);
  const fitted = (await b.db
    .selectFrom('run')
    .select('scoring')
    .where('id', '=', fullId)
    .executeTakeFirstOrThrow()) as { scoring: { reasoning: string[] } };
  t.ok(
    fitted.scoring.reasoning.some((l) => /^Clerical review in the fit: 1 labelled match\(es\) and 1 non-match/.test(l)),
    'the full run says its fit used the labels',
  );

  // Refused: gamma holds no clerical-review rule. 403, and the refusal is in the audit trail.
  const refused = await cli('gamma', ['review', 'export', '--tokens', tokens.alpha!, '--out', join(dir, 'g.csv')]);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /broker refused \(403 policy-refused\)/);
  const audit = await b.db
    .selectFrom('audit_log')
    .select(['actor', 'action', 'decision', 'status', 'counts', 'policy_rule', 'release_digest'])
    .where('action', 'in', ['release.clerical-review', 'review.labels'])
    .orderBy('seq')
    .execute();
  t.match(
    audit.find((a) => a.actor === 'agency:gamma'),
    { action: 'release.clerical-review', decision: 'refused', status: 403, policy_rule: 'recipients' },
    'the refusal is audited',
  );
  t.match(
    audit.find((a) => a.actor === 'agency:alpha' && a.action === 'release.clerical-review'),
    { decision: 'allowed', status: 200, policy_rule: 'alpha-review', counts: { pairs: sheet.rows.length } },
    'the export is audited with its count and digest',
  );
  t.ok(audit.find((a) => a.action === 'release.clerical-review' && a.decision === 'allowed')!.release_digest);
  t.match(
    audit.filter((a) => a.action === 'review.labels').map((a) => [a.actor, a.status]),
    [
      ['agency:alpha', 400],
      ['agency:alpha', 200],
      ['agency:beta', 200],
      ['agency:alpha', 200],
    ],
    'every label request is audited, refused or stored',
  );
  const malformed = await b.db
    .selectFrom('audit_log')
    .select(['status'])
    .where('action', '=', 'POST /v1/purposes/:purpose/review-labels')
    .execute();
  t.same(malformed, [{ status: 400 }], 'the malformed request is audited as its method and route');
  t.match(
    audit.find((a) => a.action === 'review.labels' && a.status === 200),
    { counts: { labels: 3, match: 1, nonMatch: 1, unsure: 1 } },
  );

  // Retention: pairs and verdicts go with the linkage data, counted from their last export or label.
  const reviewRows = (await b.db.selectFrom('review_pair').select('review_id').execute()).length;
  const aged = new Date(Date.now() - 31 * 86_400_000);
  await b.db.updateTable('review_pair').set({ exported_at: aged, labelled_at: aged }).execute();
  const purged = await purge(b.db, 'operator:test');
  t.match(
    purged.find((p) => p.purpose === PURPOSE),
    { reviewPairs: reviewRows },
  );
  t.equal((await b.db.selectFrom('review_pair').select('review_id').execute()).length, 0, 'past retention: purged');
});
