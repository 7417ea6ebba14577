/**
 * Nightly linkage schedules: the pure next-due computation across BST/GMT changes, the API's
 * authorisation and validation, and the scheduler itself with an injected clock — a completed run and
 * its audit entry, the skip when nothing is new, refusals, a missed night owed once, and two
 * schedulers claiming one due schedule once. On real PostgreSQL and on the embedded PGlite.
 */
import { join } from 'node:path';
import t from 'tap';
import { sql } from 'kysely';
import {
  addPerson,
  approvePolicy,
  canonicalTimeZone,
  claimSchedule,
  createLogger,
  createScheduler,
  formatLocal,
  getSchedule,
  migrateToLatest,
  nextDue,
  openDatabase,
  parseTimeOfDay,
  resolveLocal,
  setSchedule,
  storePolicy,
  verifyAuditChain,
  type Scheduler,
} from '@blindlink/broker';
import { parsePolicy } from '@blindlink/policies';
import {
  call,
  IG_PASSWORD,
  loginAs,
  POLICY_YAML,
  submitAs,
  testBroker,
  tokenFor,
  upload,
  type TestBroker,
} from '../helpers/in-process.js';
import { seedEmbedded } from '../helpers/embedded-template.js';
import { BROKER_BIN, run } from '../helpers/processes.js';
import { settledPrivacyDigest } from '../helpers/privacy-reports.js';

const LONDON = 'Europe/London';
const time = (s: string) => parseTimeOfDay(s)!;
const iso = (s: string) => new Date(s);
const MINUTE = 60_000;
const DAY = 86_400_000;

t.test('next due: ordinary days, and both BST/GMT changes handled as documented', async (t) => {
  const cases: [string, string, string, string, string][] = [
    // time, zone, after, expected due (UTC), why
    ['02:00', LONDON, '2026-01-10T12:00:00Z', '2026-01-11T02:00:00.000Z', 'winter: GMT'],
    ['02:00', LONDON, '2026-07-01T12:00:00Z', '2026-07-02T01:00:00.000Z', 'summer: BST is UTC+1'],
    ['02:00', LONDON, '2026-01-11T01:59:00Z', '2026-01-11T02:00:00.000Z', 'later the same night'],
    [
      '02:00',
      LONDON,
      '2026-01-11T02:00:00Z',
      '2026-01-12T02:00:00.000Z',
      'strictly after: not the instant just claimed',
    ],
    // Spring forward, Sunday 29 March 2026: 01:00 GMT becomes 02:00 BST; 01:00–01:59 never happens.
    [
      '01:30',
      LONDON,
      '2026-03-28T12:00:00Z',
      '2026-03-29T01:30:00.000Z',
      'missing 01:30 runs at 02:30 BST (moved later by the gap)',
    ],
    ['01:00', LONDON, '2026-03-28T12:00:00Z', '2026-03-29T01:00:00.000Z', 'missing 01:00 runs at 02:00 BST'],
    ['00:59', LONDON, '2026-03-28T12:00:00Z', '2026-03-29T00:59:00.000Z', 'just before the gap: still GMT'],
    ['02:00', LONDON, '2026-03-28T12:00:00Z', '2026-03-29T01:00:00.000Z', '02:00 exists (BST)'],
    ['01:30', LONDON, '2026-03-29T01:30:00Z', '2026-03-30T00:30:00.000Z', 'the night after the gap is BST'],
    // Fall back, Sunday 25 October 2026: 02:00 BST becomes 01:00 GMT; 01:00–01:59 happens twice.
    ['01:30', LONDON, '2026-10-24T12:00:00Z', '2026-10-25T00:30:00.000Z', 'repeated 01:30: the first (BST) occurrence'],
    ['01:30', LONDON, '2026-10-25T00:30:00Z', '2026-10-26T01:30:00.000Z', 'and not again at the second (GMT) one'],
    [
      '01:30',
      LONDON,
      '2026-10-25T01:00:00Z',
      '2026-10-26T01:30:00.000Z',
      'after the first occurrence, even inside the repeated hour: tomorrow',
    ],
    ['00:30', LONDON, '2026-10-24T12:00:00Z', '2026-10-24T23:30:00.000Z', 'before the repeated hour: BST'],
    ['02:00', LONDON, '2026-10-24T12:00:00Z', '2026-10-25T02:00:00.000Z', 'after it: GMT'],
    // Other zones: a half-hour offset across UTC midnight, the US and southern-hemisphere changes.
    [
      '00:00',
      'Asia/Kolkata',
      '2026-01-01T18:00:00Z',
      '2026-01-01T18:30:00.000Z',
      'local midnight is 18:30 UTC the day before',
    ],
    ['02:30', 'America/New_York', '2026-03-07T12:00:00Z', '2026-03-08T07:30:00.000Z', 'US spring gap: 03:30 EDT'],
    ['01:30', 'America/New_York', '2026-10-31T12:00:00Z', '2026-11-01T05:30:00.000Z', 'US repeated hour: EDT first'],
    ['02:30', 'Australia/Sydney', '2026-10-03T00:00:00Z', '2026-10-03T16:30:00.000Z', 'Sydney spring gap: 03:30 AEDT'],
    ['23:59', 'UTC', '2026-12-31T23:59:00Z', '2027-01-01T23:59:00.000Z', 'UTC, across a year end'],
  ];
  for (const [at, zone, after, expected, why] of cases) {
    t.equal(nextDue(time(at), zone, iso(after)).toISOString(), expected, `${at} ${zone} after ${after}: ${why}`);
  }
  t.equal(
    resolveLocal(2026, 10, 25, time('01:30'), LONDON).toISOString(),
    '2026-10-25T00:30:00.000Z',
    'resolveLocal: the earlier of two occurrences',
  );
  t.equal(
    resolveLocal(2026, 3, 29, time('01:30'), LONDON).toISOString(),
    '2026-03-29T01:30:00.000Z',
    'resolveLocal: a missing time moves later by the gap',
  );
});

t.test('next due: a year of nights in London, each local date exactly once', async (t) => {
  let due = iso('2026-01-01T00:00:00Z');
  const dates: string[] = [];
  const odd: string[] = [];
  let backwards = 0;
  for (let i = 0; i < 365; i++) {
    const next = nextDue(time('01:30'), LONDON, due);
    if (next.getTime() <= due.getTime()) backwards++;
    due = next;
    const local = formatLocal(due, LONDON);
    dates.push(local.slice(0, 10));
    if (!local.endsWith(' 01:30')) odd.push(local);
  }
  t.equal(backwards, 0, 'each night after the one before');
  const expected = Array.from({ length: 365 }, (_, i) => new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10));
  t.same(dates, expected, 'one run per local date, none skipped, none twice (both DST changes included)');
  t.same(odd, ['2026-03-29 02:30'], 'every run at 01:30 local except the spring-forward night, at 02:30');
});

t.test('time of day and time zone validation', async (t) => {
  for (const ok of ['00:00', '02:00', '23:59', '12:30']) t.ok(parseTimeOfDay(ok), `${ok} accepted`);
  for (const bad of ['24:00', '2:00', '02:60', '0200', ' 02:00', '02:00 ', '02:00:00', '', 'ab:cd', '２:00'])
    t.equal(parseTimeOfDay(bad), null, `"${bad}" refused`);
  t.equal(canonicalTimeZone('Europe/London'), LONDON);
  t.equal(canonicalTimeZone('europe/london'), LONDON, 'case forgiven, stored canonical');
  t.equal(canonicalTimeZone('UTC'), 'UTC');
  for (const bad of ['Mars/Olympus_Mons', '+01:00', 'GMT+1 ', '', '../etc/passwd', 'Europe/London\n', 'x'.repeat(100)])
    t.equal(canonicalTimeZone(bad), null, `"${bad.slice(0, 20)}" refused`);
});

const ANN = { username: 'ann', password: 'seventeen green bottles 4 sale' };
const OTTO = { username: 'otto', password: 'another seventeen bottles 9 sale' };

async function analysts(b: TestBroker) {
  await addPerson(b.db, {
    username: ANN.username,
    role: 'analyst',
    password: ANN.password,
    createdBy: 'test',
    purposes: ['testing'],
  });
  // Otto is an analyst, but of another purpose that no policy governs.
  await addPerson(b.db, {
    username: OTTO.username,
    role: 'analyst',
    password: OTTO.password,
    createdBy: 'test',
    purposes: ['elsewhere'],
  });
  return { ann: await loginAs(b, ANN.username, ANN.password), otto: await loginAs(b, OTTO.username, OTTO.password) };
}

const silent = createLogger('silent');
const scheduledRows = (b: TestBroker) =>
  b.db.selectFrom('audit_log').selectAll().where('action', '=', 'run.scheduled').orderBy('seq').execute();
const runCount = async (b: TestBroker) =>
  Number((await sql<{ n: string }>`select count(*) as n from run`.execute(b.db)).rows[0]!.n);

for (const storage of ['postgres', 'pglite'] as const) {
  t.test(`schedules over the API and the scheduler (${storage})`, async (t) => {
    const b = await testBroker(t, storage);
    const tokens = await analysts(b);
    const path = '/v1/purposes/testing/schedule';
    const put = (token: string, body: unknown, opts: { as?: string; purpose?: string } = {}) =>
      call(b, 'PUT', `/v1/purposes/${opts.purpose ?? 'testing'}/schedule`, {
        token,
        body,
        ...(opts.as ? { as: opts.as } : {}),
      });

    await t.test('authorisation: only an analyst assigned to the purpose', async (t) => {
      const good = { at: '02:00', timeZone: LONDON };
      const unassigned = await put(tokens.otto, good);
      t.equal(unassigned.status, 403, 'an analyst not assigned to the purpose');
      t.equal(unassigned.json.error.code, 'forbidden');
      t.match(unassigned.json.error.message, /otto is not assigned to purpose testing/);
      const unassignedBad = await put(tokens.otto, { at: 'nonsense' });
      t.equal(unassignedBad.status, 403, 'refused before the body is looked at');
      t.equal((await call(b, 'GET', path, { token: tokens.otto })).status, 403, 'and may not read it');
      t.equal((await call(b, 'DELETE', path, { token: tokens.otto })).status, 403, 'nor remove it');
      const agency = await put(await tokenFor(b, 'alpha'), good, { as: 'alpha' });
      t.equal(agency.status, 403, "agencies cannot schedule: a scheduled run is made on a person's authority");
      t.match(agency.json.error.message, /this route is for analyst/);
      const ig = await put(await loginAs(b, 'iggy', IG_PASSWORD), good);
      t.equal(ig.status, 403, 'nor IG leads');
      t.equal((await call(b, 'PUT', path, { body: good })).status, 401, 'nor anyone without a token');
      t.equal(await getSchedule(b.db, 'testing'), undefined, 'no refused request stored a schedule');
      const refusal = await b.db
        .selectFrom('audit_log')
        .selectAll()
        .where('actor', '=', 'analyst:otto')
        .where('action', '=', 'schedule.set')
        .orderBy('seq')
        .executeTakeFirstOrThrow();
      t.match(
        refusal,
        { purpose: 'testing', decision: 'failed', status: 403 },
        'the refusal is audited with its action and purpose',
      );
    });

    await t.test('validation: each bad body is a 400 with a code naming the field', async (t) => {
      const bad: [unknown, string, string | undefined][] = [
        [{ at: '25:00', timeZone: LONDON }, 'invalid-schedule', 'at'],
        [{ at: '2:00', timeZone: LONDON }, 'invalid-schedule', 'at'],
        [{ at: '02:00:00', timeZone: LONDON }, 'invalid-schedule', 'at'],
        [{ at: '02:00', timeZone: 'Mars/Olympus_Mons' }, 'invalid-schedule', 'timeZone'],
        [{ at: '02:00', timeZone: '+01:00' }, 'invalid-schedule', 'timeZone'],
        [{ at: '02:00' }, 'invalid-body', undefined],
        [{ at: '02:00', timeZone: LONDON, every: 'hour' }, 'invalid-body', undefined],
        [{ at: 200, timeZone: LONDON }, 'invalid-body', undefined],
      ];
      for (const [body, code, field] of bad) {
        const r = await put(tokens.ann, body);
        t.equal(r.status, 400, `${JSON.stringify(body)}: 400`);
        t.equal(r.json?.error?.code, code, `${JSON.stringify(body)}: ${code}: ${r.json?.error?.message}`);
        if (field) t.equal(r.json.error.details?.field, field, `names ${field}`);
      }
      const at = await put(tokens.ann, { at: '25:00', timeZone: LONDON });
      t.match(at.json.error.message, /HH:MM.*00:00 to 23:59/, 'says what a time must be');
      t.equal(await getSchedule(b.db, 'testing'), undefined, 'nothing stored');
      // Otto is assigned to "elsewhere", but no policy governs it: a schedule there could never run.
      const ungoverned = await put(tokens.otto, { at: '02:00', timeZone: LONDON }, { purpose: 'elsewhere' });
      t.equal(ungoverned.status, 404);
      t.equal(ungoverned.json.error.code, 'unknown-purpose');
    });

    await t.test('set, read, replace, remove', async (t) => {
      const before = new Date();
      // Hours away, so the broker's own scheduler never finds these due during the test.
      const at = formatLocal(new Date(before.getTime() + 12 * 3600_000), LONDON).slice(11);
      const set = await put(tokens.ann, { at, timeZone: 'europe/london' });
      t.equal(set.status, 200, set.text);
      t.match(set.json, { purpose: 'testing', at, timeZone: LONDON, owner: 'ann', last: null });
      const due = new Date(set.json.nextDue);
      t.ok(due > before && due.getTime() - before.getTime() <= 25 * 3600_000, 'next due within the coming day');
      t.equal(formatLocal(due, LONDON).slice(11), at, `at ${at} London time`);
      const got = await call(b, 'GET', path, { token: tokens.ann });
      t.equal(got.status, 200);
      t.same(got.json, set.json, 'read back as set');
      const utc = new Date(before.getTime() + 13 * 3600_000).toISOString().slice(11, 16);
      const replaced = await put(tokens.ann, { at: utc, timeZone: 'UTC' });
      t.match(replaced.json, { at: utc, timeZone: 'UTC' });
      t.equal(new Date(replaced.json.nextDue).toISOString().slice(11, 16), utc);
      t.equal((await call(b, 'DELETE', path, { token: tokens.ann })).status, 204);
      const gone = await call(b, 'GET', path, { token: tokens.ann });
      t.equal(gone.status, 404);
      t.equal(gone.json.error.code, 'not-found');
      t.equal((await call(b, 'DELETE', path, { token: tokens.ann })).status, 404, 'removing nothing is a 404');
      const audited = await b.db
        .selectFrom('audit_log')
        .select(['action', 'decision', 'status', 'reason'])
        .where('actor', '=', 'analyst:ann')
        .where('action', 'like', 'schedule.%')
        .where('status', '<', 400)
        .orderBy('seq')
        .execute();
      t.same(
        audited.map((a) => a.action),
        ['schedule.set', 'schedule.read', 'schedule.set', 'schedule.remove'],
        'every change and read is audited',
      );
      t.match(audited[0]!.reason, new RegExp(`nightly at ${at} Europe/London, owner ann, next due`));
    });

    await t.test('the scheduler: a completed run, then a skip, refusals, a missed night, one claim', async (t) => {
      // The schedule is set for a time 12 hours from now, so the broker's own scheduler (real clock)
      // never finds it due during the test; these schedulers' injected clocks run ahead of it.
      const atInTwelveHours = formatLocal(new Date(Date.now() + 12 * 3600_000), LONDON).slice(11);
      const set = await put(tokens.ann, { at: atInTwelveHours, timeZone: LONDON });
      t.equal(set.status, 200, set.text);
      let now = new Date(set.json.nextDue);
      const scheduler = createScheduler({
        db: b.db,
        keys: b.keys,
        logger: silent,
        clock: () => now,
        jobs: b.jobs.queue,
      });
      t.teardown(() => scheduler.close());
      const schedule = async () => (await getSchedule(b.db, 'testing'))!;
      // The scheduler queues a night's run; the broker's worker links it, records the end on the
      // schedule and audits it (last). Wait for that audit entry.
      const finished = async (runId: string | null) => {
        for (;;) {
          const ended = await b.db
            .selectFrom('audit_log')
            .select('seq')
            .where('action', '=', 'run.scheduled')
            .where('reason', 'like', `scheduled run ${runId} %`)
            .executeTakeFirst();
          if (ended)
            return (await b.db.selectFrom('run').select('status').where('id', '=', runId!).executeTakeFirstOrThrow())
              .status;
          await new Promise((res) => setTimeout(res, 50));
        }
      };

      now = new Date(now.getTime() - MINUTE);
      t.same(await scheduler.tick(), [], 'a minute early: nothing due');

      // Fewer than two agencies have submitted: the run cannot happen, and the scheduler says why.
      now = new Date((await schedule()).next_due.getTime() + 5 * MINUTE);
      const [early] = await scheduler.tick();
      t.match(early, { purpose: 'testing', owner: 'ann', status: 'failed', runId: null });
      t.match(early!.detail, /no-submission: .*at least two contributing agencies/);

      t.equal((await submitAs(b, 'alpha', upload(30, 1), 'sched-alpha-1')).status, 201);
      t.equal((await submitAs(b, 'beta', upload(30, 2), 'sched-beta-1')).status, 201);
      const runsBefore = await runCount(b);
      const auditBefore = (await scheduledRows(b)).length;
      const due = (await schedule()).next_due;
      now = new Date(due.getTime() + 5 * MINUTE);
      const outcomes = await scheduler.tick();
      t.equal(outcomes.length, 1, 'one schedule due, one run');
      const done = outcomes[0]!;
      t.match(
        done,
        { purpose: 'testing', owner: 'ann', status: 'queued', detail: null },
        "the night's run is queued for a worker",
      );
      t.equal(await finished(done.runId), 'completed', 'and a worker links it');
      t.equal(done.due.toISOString(), due.toISOString(), 'reports the night it ran for');
      t.equal(await runCount(b), runsBefore + 1);
      const stored = await b.db.selectFrom('run').selectAll().where('id', '=', done.runId!).executeTakeFirstOrThrow();
      t.match(
        stored,
        { purpose: 'testing', status: 'completed', policy_id: 'test-policy', policy_version: 1 },
        'a real, completed linkage run',
      );
      const records = await b.db
        .selectFrom('run_record')
        .select('row_token')
        .where('run_id', '=', done.runId!)
        .execute();
      t.equal(records.length, 60, 'holding every record of both submissions');
      let s = await schedule();
      t.match(s, { last_status: 'completed', last_run_id: done.runId, last_detail: null });
      t.equal(s.last_attempt_at?.toISOString(), now.toISOString());
      t.equal(
        s.next_due.toISOString(),
        nextDue(time(atInTwelveHours), LONDON, now).toISOString(),
        'next_due advanced to the next night',
      );
      const audit = await scheduledRows(b);
      t.equal(audit.length, auditBefore + 2, 'two audit entries for the scheduled run: queued, then its end');
      t.match(audit.at(-2), {
        actor: 'scheduler:ann',
        purpose: 'testing',
        policy_id: 'test-policy',
        policy_version: 1,
        decision: 'allowed',
        status: 0,
        counts: { sources: 2 },
      });
      t.match(
        audit.at(-2)!.reason,
        new RegExp(
          `nightly schedule ${atInTwelveHours} Europe/London of analyst ann, due ${due.toISOString()}: ` +
            `run ${done.runId} queued`,
        ),
      );
      t.match(audit.at(-1), {
        actor: 'scheduler:ann',
        purpose: 'testing',
        decision: 'allowed',
        status: 0,
        reason: `scheduled run ${done.runId} completed`,
      });
      const api = await call(b, 'GET', path, { token: tokens.ann });
      t.match(
        api.json.last,
        { status: 'completed', runId: done.runId, detail: null, at: now.toISOString() },
        'the analyst sees the outcome',
      );

      t.same(await scheduler.tick(), [], 'the same instant again: already claimed, nothing due');

      // The next night, nothing new: skipped, recorded, audited, and no run made.
      now = new Date(s.next_due.getTime() + MINUTE);
      const [skipped] = await scheduler.tick();
      t.match(skipped, { status: 'skipped', runId: done.runId, detail: `no new submissions since run ${done.runId}` });
      t.equal(await runCount(b), runsBefore + 1, 'no relinking');
      s = await schedule();
      t.match(s, { last_status: 'skipped', last_run_id: done.runId });
      t.match((await scheduledRows(b)).at(-1), {
        decision: 'allowed',
        reason: /skipped: no new submissions since run/,
      });

      // A new submission from beta: the night after, a new run.
      t.equal((await submitAs(b, 'beta', upload(30, 3), 'sched-beta-2')).status, 201);
      now = new Date(s.next_due.getTime() + MINUTE);
      const [relinked] = await scheduler.tick();
      t.match(relinked, { status: 'queued' });
      t.equal(await finished(relinked!.runId), 'completed');
      t.not(relinked!.runId, done.runId, 'a new run');

      // The broker was down for three nights: at startup the missed night is run once, not three times.
      const downFrom = (await schedule()).next_due;
      t.equal((await submitAs(b, 'alpha', upload(30, 4), 'sched-alpha-2')).status, 201);
      now = new Date(downFrom.getTime() + 3 * DAY + 2 * 3600_000);
      const auditBeforeStart = (await scheduledRows(b)).length;
      const runsBeforeStart = await runCount(b);
      const restarted = createScheduler({
        db: b.db,
        keys: b.keys,
        logger: silent,
        clock: () => now,
        jobs: b.jobs.queue,
      });
      restarted.start();
      t.same(await restarted.tick(), [], 'the startup pass had already run it by the time a second pass came');
      await restarted.close();
      t.equal(await finished((await schedule()).last_run_id), 'completed');
      t.equal(
        (await scheduledRows(b)).length,
        auditBeforeStart + 2,
        'one scheduled run for three missed nights (queued, then completed)',
      );
      t.equal(await runCount(b), runsBeforeStart + 1);
      s = await schedule();
      t.match(s, { last_status: 'completed' });
      t.ok(
        s.next_due > now && s.next_due.getTime() - now.getTime() < DAY,
        'next due the coming night, not a missed one',
      );

      // Refused by policy: the run is refused and audited, the schedule stays and moves to the next night.
      await t.test('refusals', async (t) => {
        const refusedNight = async (why: string) => {
          const next = (await schedule()).next_due;
          now = new Date(next.getTime() + MINUTE);
          const runs = await runCount(b);
          const [o] = await scheduler.tick();
          t.match(o, { status: 'refused', runId: null }, `${why}: refused`);
          t.equal(await runCount(b), runs, `${why}: no run`);
          const after = await schedule();
          t.match(
            after,
            { last_status: 'refused', last_detail: o!.detail },
            `${why}: recorded on the schedule, which stays`,
          );
          t.ok(after.next_due > now, `${why}: next night still scheduled`);
          return { outcome: o!, audit: (await scheduledRows(b)).at(-1)! };
        };

        await sql`delete from policy_approval where policy_id = 'test-policy'`.execute(b.db);
        const unapproved = await refusedNight('unapproved');
        t.match(unapproved.audit, {
          actor: 'scheduler:ann',
          decision: 'refused',
          policy_id: 'test-policy',
          policy_version: 1,
          policy_rule: 'approval',
        });
        t.match(unapproved.outcome.detail, /not approved by an IG lead/);
        await approvePolicy(b.db, 'test-policy', 1, 'iggy', await settledPrivacyDigest(b.db, 'testing'));

        // The test policy is valid until 2099-12-31: on the clock of 2100 it has expired.
        const reset = await put(tokens.ann, { at: atInTwelveHours, timeZone: LONDON });
        t.equal(reset.status, 200);
        await b.db
          .updateTable('run_schedule')
          .set({ next_due: iso('2100-01-01T12:00:00Z') })
          .where('purpose', '=', 'testing')
          .execute();
        const expired = await refusedNight('expired');
        t.match(expired.audit, { decision: 'refused', policy_rule: 'validity' });
        t.match(expired.outcome.detail, /not in force \(valid 2020-01-01 to 2099-12-31\)/);

        // The owner is no longer assigned to the purpose: the scheduler does not act on their authority.
        t.equal((await put(tokens.ann, { at: atInTwelveHours, timeZone: LONDON })).status, 200);
        await b.db.deleteFrom('analyst_assignment').where('username', '=', 'ann').execute();
        const unassigned = await refusedNight('owner unassigned');
        t.match(unassigned.outcome.detail, /owner ann is no longer an analyst assigned to purpose testing/);
        t.match(unassigned.audit, { decision: 'refused', policy_id: null });
        await b.db.insertInto('analyst_assignment').values({ username: 'ann', purpose: 'testing' }).execute();
      });

      await t.test('two claims of one due schedule: exactly one wins', async (t) => {
        t.equal((await put(tokens.ann, { at: atInTwelveHours, timeZone: LONDON })).status, 200);
        const seen = await schedule();
        now = new Date(seen.next_due.getTime() + MINUTE);
        // Both read the row as due, then both try to claim it at once.
        const claims = await Promise.all([claimSchedule(b.db, seen, now), claimSchedule(b.db, seen, now)]);
        t.equal(claims.filter(Boolean).length, 1, 'one claim returns the row, the other nothing');
        t.equal(
          claims.find(Boolean)!.next_due.toISOString(),
          nextDue(time(atInTwelveHours), LONDON, now).toISOString(),
          'advanced to the next night',
        );

        // Two whole schedulers (two brokers on one database) ticking at once, with new data to link.
        t.equal((await submitAs(b, 'alpha', upload(30, 5), 'sched-alpha-3')).status, 201);
        now = new Date((await schedule()).next_due.getTime() + MINUTE);
        const other: Scheduler = createScheduler({
          db: b.db,
          keys: b.keys,
          logger: silent,
          clock: () => now,
          jobs: b.jobs.queue,
        });
        t.teardown(() => other.close());
        const runs = await runCount(b);
        const audited = (await scheduledRows(b)).length;
        const [mine, theirs] = await Promise.all([scheduler.tick(), other.tick()]);
        t.equal(mine.length + theirs.length, 1, 'one of the two ran it');
        t.match([...mine, ...theirs][0], { status: 'queued' });
        t.equal(await finished([...mine, ...theirs][0]!.runId), 'completed');
        t.equal(await runCount(b), runs + 1, 'one run, not two');
        t.equal((await scheduledRows(b)).length, audited + 2, 'one run audited: queued, then completed');
      });

      const chain = await verifyAuditChain(b.db);
      t.equal(chain.broken, null, "the audit chain verifies with the scheduler's entries in it");
    });
  });
}

t.test('operators list schedules with `blindlink-broker schedule list`', async (t) => {
  const dir = t.testdir({});
  const dataDir = join(dir, 'data');
  await seedEmbedded(dataDir);
  const h = await openDatabase({ dataDir });
  try {
    await migrateToLatest(h.db);
    await addPerson(h.db, {
      username: ANN.username,
      role: 'analyst',
      password: ANN.password,
      createdBy: 'test',
      purposes: ['testing'],
    });
    await storePolicy(h.db, parsePolicy(POLICY_YAML), 'admin:root');
    await setSchedule(h.db, 'testing', { time: time('02:00'), timeZone: LONDON }, 'ann', iso('2026-03-28T12:00:00Z'));
  } finally {
    await h.close();
  }
  const r = await run(BROKER_BIN, ['schedule', 'list', '--data-dir', dataDir]);
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.same(lines, [
    {
      purpose: 'testing',
      at: '02:00',
      timeZone: LONDON,
      owner: 'ann',
      nextDue: '2026-03-29T01:00:00.000Z',
      nextDueLocal: '2026-03-29 02:00',
      last: null,
    },
  ]);
  t.match(r.stderr, /1 nightly schedule\(s\)/);
  const help = await run(BROKER_BIN, ['schedule', '--help']);
  t.match(help.stdout, /list/);
});
