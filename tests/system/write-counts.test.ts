import { join } from 'node:path';
import t, { type Test } from 'tap';
import { sql, type Kysely } from 'kysely';
import {
  addPerson,
  migrateToLatest,
  openDatabase,
  reissueEnrolmentCode,
  revokeAgency,
  type Database,
} from '@blindlink/broker';
import { call, loginAs, testBroker } from '../helpers/in-process.js';
import { seedEmbedded } from '../helpers/embedded-template.js';
import { freshPostgres } from '../helpers/postgres.js';
import { BROKER_BIN, run } from '../helpers/processes.js';

/**
 * UPDATE/DELETE/INSERT report how many rows they touched, on PGlite as on PostgreSQL: the broker
 * tells "no such agency/person" from "done" by that count, and reports how many certificates it revoked.
 */

// Every operator CLI start on PGlite opens the embedded database afresh: beside the heavier files
// on a loaded 2-core machine this file outlasted tap's default 300 s.
t.setTimeout(900_000);

const LOCKED = { failures: 10, nextAttemptAt: null, locked: true, lockedUntil: null };
const ADMIN = { username: 'ada', password: 'a long admin passphrase 77 tulips' };
const LUCY = { username: 'lucy', password: 'she forgot this passphrase 3 times' };

async function storage(t: Test, kind: 'postgres' | 'pglite') {
  const dataDir = join(t.testdir({}), 'data');
  if (kind === 'pglite') await seedEmbedded(dataDir);
  let url: string | undefined;
  if (kind === 'postgres') {
    const pg = await freshPostgres();
    url = pg.url;
    t.teardown(pg.drop);
  }
  /** Open, migrate, act, close: PGlite's directory admits one process at a time, so the CLI runs in between. */
  const withDb = async <T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T> => {
    const h = await openDatabase({ url, dataDir });
    try {
      await migrateToLatest(h.db);
      return await fn(h.db);
    } finally {
      await h.close();
    }
  };
  const cli = (args: string[]) => run(BROKER_BIN, [...args, '--data-dir', dataDir], { env: { DATABASE_URL: url } });
  return { withDb, cli };
}

const liveCertificates = (db: Kysely<Database>, agency: string) =>
  db
    .selectFrom('agency_certificate')
    .select('serial')
    .where('agency', '=', agency)
    .where('revoked_at', 'is', null)
    .execute();

function certificateRow(agency: string, serial: string) {
  return {
    serial,
    agency,
    thumbprint: `tp-${serial}`,
    issued_at: new Date(),
    not_after: new Date(Date.now() + 86_400_000),
    revoked_at: null,
    certificate: 'not parsed here',
  };
}

for (const kind of ['postgres', 'pglite'] as const) {
  t.test(`the database reports rows written (${kind})`, async (t) => {
    const { withDb } = await storage(t, kind);
    await withDb(async (db) => {
      await sql`create table write_probe (n int)`.execute(db);
      const count = async (q: ReturnType<typeof sql>) => (await q.execute(db)).numAffectedRows;
      t.equal(await count(sql`insert into write_probe values (1), (2), (3)`), 3n, 'insert');
      t.equal(await count(sql`update write_probe set n = n + 10 where n > 1`), 2n, 'update of two rows');
      t.equal(await count(sql`update write_probe set n = 0 where n > 100`), 0n, 'update of none');
      t.equal(await count(sql`delete from write_probe where n = 1 returning n`), 1n, 'delete with returning');
      t.equal(await count(sql`select * from write_probe`), undefined, 'a select carries no count, as on pg');
      await addPerson(db, { username: LUCY.username, role: 'analyst', password: LUCY.password, createdBy: 'test' });
      const set = db.updateTable('person').set({ lockout: JSON.stringify(LOCKED) });
      t.equal(
        (await set.where('username', '=', LUCY.username).executeTakeFirst()).numUpdatedRows,
        1n,
        'kysely update result',
      );
      t.equal(
        (await set.where('username', '=', 'nobody').executeTakeFirst()).numUpdatedRows,
        0n,
        'kysely update of none',
      );
      t.equal(
        (await db.deleteFrom('person').where('username', '=', LUCY.username).executeTakeFirst()).numDeletedRows,
        1n,
        'kysely delete result',
      );
    });
  });

  t.test(`re-issue, revoke and unlock act on rows that exist (${kind})`, async (t) => {
    const b = await testBroker(t, kind);
    const hash = async (slug: string) =>
      (await b.db.selectFrom('agency').select('enrolment_code_hash').where('slug', '=', slug).executeTakeFirstOrThrow())
        .enrolment_code_hash;

    const before = await hash('alpha');
    const issued = await reissueEnrolmentCode(b.db, 'alpha');
    t.match(issued.enrolmentCode, /\S/, 'an existing agency gets a fresh code');
    t.not(await hash('alpha'), before, 'whose hash replaces the old one');
    await t.rejects(
      reissueEnrolmentCode(b.db, 'nobody'),
      { code: 'unknown-agency', message: 'no agency nobody' },
      'an unknown one is refused',
    );

    t.equal(await revokeAgency(b.db, 'gamma'), 1, "gamma's one live certificate revoked");
    t.equal(await revokeAgency(b.db, 'gamma'), 0, 'none left to revoke');

    await addPerson(b.db, { username: ADMIN.username, role: 'admin', password: ADMIN.password, createdBy: 'test' });
    const admin = await loginAs(b, ADMIN.username, ADMIN.password);
    const reissued = await call(b, 'POST', '/v1/admin/agencies/beta/enrolment-code', { token: admin });
    t.equal(reissued.status, 201, reissued.text);
    t.equal((await call(b, 'POST', '/v1/admin/agencies/nobody/enrolment-code', { token: admin })).status, 404);
    const revoked = await call(b, 'POST', '/v1/admin/agencies/alpha/revoke', { token: admin });
    t.same([revoked.status, revoked.json], [200, { revoked: 1 }], 'the API reports the count');

    await b.db
      .updateTable('person')
      .set({ lockout: JSON.stringify(LOCKED) })
      .where('username', '=', 'iggy')
      .execute();
    t.equal(
      (await call(b, 'POST', '/v1/login', { body: { username: 'iggy', password: 'wrong' } })).status,
      429,
      'iggy is locked',
    );
    t.equal((await call(b, 'POST', '/v1/admin/people/iggy/unlock', { token: admin })).status, 204);
    t.same(
      (await b.db.selectFrom('person').select('lockout').where('username', '=', 'iggy').executeTakeFirstOrThrow())
        .lockout,
      { failures: 0, nextAttemptAt: null, locked: false, lockedUntil: null },
    );
    const nobody = await call(b, 'POST', '/v1/admin/people/nobody/unlock', { token: admin });
    t.same([nobody.status, nobody.json?.error?.code], [404, 'not-found']);
  });

  t.test(`operator CLI: enrolment-code, revoke and unlock (${kind})`, async (t) => {
    const { withDb, cli } = await storage(t, kind);
    const registered = await cli(['agency', 'register', 'alpha']);
    t.equal(registered.code, 0, registered.stderr);
    const first = JSON.parse(registered.stdout).enrolmentCode;

    const again = await cli(['agency', 'enrolment-code', 'alpha']);
    t.equal(again.code, 0, again.stderr);
    const second = JSON.parse(again.stdout);
    t.equal(second.agency, 'alpha');
    t.not(second.enrolmentCode, first, 'a new code');
    const unknown = await cli(['agency', 'enrolment-code', 'nobody']);
    t.not(unknown.code, 0);
    t.match(unknown.stderr, /no agency nobody/);

    await withDb(async (db) => {
      await db
        .insertInto('agency_certificate')
        .values([certificateRow('alpha', '01'), certificateRow('alpha', '02')])
        .execute();
      await addPerson(db, { username: LUCY.username, role: 'analyst', password: LUCY.password, createdBy: 'test' });
      await db
        .updateTable('person')
        .set({ lockout: JSON.stringify(LOCKED) })
        .where('username', '=', LUCY.username)
        .execute();
    });
    const revoke = await cli(['agency', 'revoke', 'alpha']);
    t.equal(revoke.code, 0, revoke.stderr);
    t.equal(revoke.stdout, '2 certificate(s) of alpha revoked\n');

    const unlock = await cli(['user', 'unlock', LUCY.username]);
    t.equal(unlock.code, 0, unlock.stderr);
    t.equal(unlock.stdout, 'lucy unlocked\n');
    const missing = await cli(['user', 'unlock', 'nobody']);
    t.not(missing.code, 0);
    t.match(missing.stderr, /no person named nobody/);

    await withDb(async (db) => {
      t.same(await liveCertificates(db, 'alpha'), [], 'both certificates revoked');
      const lucy = await db
        .selectFrom('person')
        .select('lockout')
        .where('username', '=', LUCY.username)
        .executeTakeFirstOrThrow();
      t.equal(lucy.lockout.locked, false, 'lucy unlocked in the database');
      const actions = await db
        .selectFrom('audit_log')
        .select(['action', 'decision', 'reason', 'status'])
        .where('actor', 'like', 'operator:%')
        .orderBy('seq')
        .execute();
      t.same(
        actions.map((a) => `${a.action} ${a.decision}`),
        [
          'agency.register allowed',
          'agency.enrolment-code allowed',
          'agency.enrolment-code failed',
          'agency.revoke allowed',
          'person.unlock allowed',
          'person.unlock failed',
        ],
        'every operator action is audited, as an API request is: the refused ones too',
      );
      t.same(
        actions.slice(2, 6).map((a) => a.reason),
        [
          'unknown-agency: no agency nobody',
          '2 certificate(s) of alpha revoked',
          'lucy unlocked',
          'not-found: no person named nobody',
        ],
        "the service's reason, or the error's",
      );
      t.ok(
        actions.every((a) => a.status === 0),
        'status 0: not an HTTP request',
      );
    });
  });
}
