import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { migrateToLatest, openDatabase } from '@blindlink/broker';
import { freshPostgres } from '../helpers/postgres.js';
import { BROKER_BIN, ROOT, run } from '../helpers/processes.js';

/**
 * The operator CLI runs the API's use cases (services/) as the local operator, or as the person given
 * by --as, and its audit rows come from the same writer as an API request's: what the service noted,
 * allowed or refused, with status 0 (not an HTTP request). On PostgreSQL: the embedded database's
 * one-owner rule is embedded-owner.test.ts's.
 */
t.test('operator CLI: policy load, user add and approve are audited as the API audits them', async (t) => {
  const pg = await freshPostgres();
  t.teardown(pg.drop);
  const dir = t.testdir({});
  const dataDir = join(dir, 'data');
  const cli = (args: string[]) => run(BROKER_BIN, [...args, '--data-dir', dataDir], { env: { DATABASE_URL: pg.url } });
  const operator = `operator:${userInfo().username}`;

  const load = await cli(['policy', 'load', join(ROOT, 'policies/examples/community-safety.yaml')]);
  t.equal(load.code, 0, load.stderr);
  t.equal(load.stdout, 'policy csp-2026 v1 for purpose community-safety: stored\n');
  const people: Record<string, string> = {};
  for (const [name, role] of [
    ['iona', 'ig-lead'],
    ['ana', 'analyst'],
  ]) {
    const r = await cli(['user', 'add', name!, '--role', role!]);
    t.equal(r.code, 0, r.stderr);
    people[name!] = join(dir, `${name}.password`);
    writeFileSync(people[name!]!, JSON.parse(r.stdout).password + '\n');
  }
  writeFileSync(join(dir, 'wrong.password'), 'not her password at all\n');
  const approve = (as: string, passwordFile: string) =>
    cli(['policy', 'approve', 'csp-2026', '1', '--as', as, '--password-file', passwordFile]);

  const wrong = await approve('iona', join(dir, 'wrong.password'));
  t.equal(wrong.code, 1);
  t.match(wrong.stderr, /unknown user or wrong password/);
  const analyst = await approve('ana', people.ana!);
  t.equal(analyst.code, 1, 'an analyst cannot approve');
  t.match(analyst.stderr, /ana is not an IG lead/);
  const ok = await approve('iona', people.iona!);
  t.equal(ok.code, 0, ok.stderr);
  t.equal(ok.stdout, 'policy csp-2026 v1 approved by iona\n');

  const h = await openDatabase({ url: pg.url, dataDir });
  try {
    await migrateToLatest(h.db);
    const rows = await h.db
      .selectFrom('audit_log')
      .select(['actor', 'action', 'decision', 'status', 'reason', 'purpose', 'policy_id', 'policy_version'])
      .orderBy('seq')
      .execute();
    const policy = { purpose: 'community-safety', policy_id: 'csp-2026', policy_version: 1 };
    t.match(rows, [
      {
        actor: operator,
        action: 'policy.load',
        decision: 'allowed',
        ...policy,
        reason: /^policy csp-2026 v1 stored \(/,
      },
      { actor: operator, action: 'person.add', decision: 'allowed', reason: 'ig-lead iona added' },
      { actor: operator, action: 'person.add', decision: 'allowed', reason: 'analyst ana added' },
      {
        actor: operator,
        action: 'person.login',
        decision: 'failed',
        reason: 'bad-credentials: unknown user or wrong password',
      },
      { actor: operator, action: 'person.login', decision: 'allowed', reason: 'analyst ana logged in' },
      {
        actor: 'analyst:ana',
        action: 'policy.approve',
        decision: 'failed',
        policy_id: 'csp-2026',
        policy_version: 1,
        reason: /^forbidden: ana is not an IG lead/,
      },
      { actor: operator, action: 'person.login', decision: 'allowed', reason: 'ig-lead iona logged in' },
      {
        actor: 'ig-lead:iona',
        action: 'policy.approve',
        decision: 'allowed',
        ...policy,
        reason: 'policy csp-2026 v1 approved',
      },
    ]);
    t.equal(rows.length, 8, 'one row per use case, nothing else');
    t.ok(
      rows.every((r) => r.status === 0),
      'status 0 throughout: no HTTP request',
    );
    const loaded = await h.db.selectFrom('policy').select('loaded_by').executeTakeFirstOrThrow();
    t.equal(loaded.loaded_by, operator, 'the policy is recorded as loaded by the operator');
    const created = await h.db.selectFrom('person').select(['username', 'created_by']).orderBy('username').execute();
    t.same(
      created.map((p) => p.created_by),
      [operator, operator],
      'and the people as created by the operator',
    );
  } finally {
    await h.close();
  }
});
