import t from 'tap';
import { purge } from '@blindlink/broker';
import { submitAs, testBroker, upload } from '../helpers/in-process.js';

t.test('purge deletes what is past retention, keeps the rest, and audits it', async (t) => {
  const b = await testBroker(t, 'postgres');
  for (const [key, n] of [
    ['old-0000001', 3],
    ['new-0000001', 4],
  ] as const) {
    const r = await submitAs(b, 'alpha', upload(n, n), key);
    t.equal(r.status, 201, r.text);
  }
  // The test policy keeps encodings for 30 days: age one submission past that.
  const aged = new Date(Date.now() - 31 * 86_400_000);
  await b.db
    .updateTable('submission')
    .set({ created_at: aged, current_at: aged } as never)
    .where('idempotency_key', '=', 'old-0000001')
    .execute();

  const dry = await purge(b.db, 'operator:test', { dryRun: true });
  t.match(dry, [{ purpose: 'testing', submissions: 1, encodings: 3, runs: 0 }]);
  t.equal((await b.db.selectFrom('submission').select('id').execute()).length, 2, 'a dry run deletes nothing');

  const done = await purge(b.db, 'operator:test');
  t.match(done, [{ purpose: 'testing', submissions: 1, encodings: 3 }]);
  t.same(
    (await b.db.selectFrom('submission').select('idempotency_key').execute()).map((r) => r.idempotency_key),
    ['new-0000001'],
  );
  t.equal(
    Number((await b.db.selectFrom('encoding').select(b.db.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
    4,
    'its encodings went with it',
  );
  const audit = await b.db.selectFrom('audit_log').selectAll().where('action', '=', 'purge').execute();
  t.equal(audit.length, 1);
  t.match(audit[0], {
    actor: 'operator:test',
    purpose: 'testing',
    policy_rule: 'retention',
    counts: { submissions: 1, encodings: 3 },
  });
  t.same(
    await purge(b.db, 'operator:test'),
    [{ purpose: 'testing', policy: 'test-policy v1', submissions: 0, encodings: 0, runs: 0, reviewPairs: 0 }],
    'nothing left to purge',
  );
});
