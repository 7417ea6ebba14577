import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import t from 'tap';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { call, testBroker, tokenFor, type TestBroker } from '../helpers/in-process.js';
import { CONSOLE_PEOPLE, seedConsole, seedModelRun } from '../helpers/console-setup.js';

/**
 * The console in a real browser: Debian's chromium, headless, over the broker's HTTPS (no client
 * certificate, as a person's browser has none). Each role logs in and sees what it may and is refused
 * what it may not; an IG lead approves a policy version; an analyst sets and removes a nightly
 * schedule (an error shown on the form first), reads an aggregate chart and the agencies' data-quality
 * counts; an admin adds a person (the password shown once) and unlocks them; the public reads
 * /transparency; axe-core finds no WCAG 2.2 AA violation on each main page.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated through the devtools protocol, not as a page script: the page's CSP stays as served.
  await page.evaluate(`${AXE}\n;0`);
  const result = (await page.evaluate(
    `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } })`,
  )) as { violations: { id: string; help: string; nodes: { target: string[] }[] }[] };
  return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

async function signIn(context: BrowserContext, url: string, who: { username: string; password: string }) {
  const page = await context.newPage();
  await page.goto(`${url}/login`);
  await page.fill('#username', who.username);
  await page.fill('#password', who.password);
  await Promise.all([page.waitForURL(`${url}/`), page.click('button:has-text("Sign in")')]);
  return page;
}

let browser: Browser;
let b: TestBroker;
const cspErrors: string[] = [];

t.before(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
t.teardown(() => browser?.close());

t.test('the console in a browser', async (t) => {
  b = await testBroker(t, 'postgres');
  await seedConsole(b);
  // The run that fits a model takes seconds of job hand-offs: it goes on while the first roles look.
  const modelRun = seedModelRun(b);
  modelRun.catch(() => {}); // awaited by the analyst's test, which reports its failure
  // A refused request, for the audit trail and the transparency counts: the test policy grants alpha
  // membership of beta only, so asking of gamma is refused by policy.
  const refused = await call(b, 'POST', '/v1/purposes/testing/releases/membership', {
    as: 'alpha',
    token: await tokenFor(b, 'alpha'),
    body: { of: 'gamma' },
  });
  t.equal(refused.status, 403, 'a refused release to show');

  const newContext = async () => {
    const c = await browser.newContext({ ignoreHTTPSErrors: true });
    c.on('page', (p) =>
      p.on('console', (m) => {
        if (/Content Security Policy|Refused to/.test(m.text())) cspErrors.push(m.text());
      }),
    );
    return c;
  };
  const url = b.url;

  await t.test('the public: /transparency without login; the console sends them to sign in', async (t) => {
    const context = await newContext();
    const page = await context.newPage();
    const r = await page.goto(`${url}/transparency`);
    t.equal(r?.status(), 200);
    const text = await page.textContent('main');
    t.match(text, /Console test purpose/, 'the purpose in force');
    t.match(text, /Test Council.*Test Police/s, 'its controllers');
    t.match(text, /Art\. 6\(1\)\(e\)/, 'its lawful basis');
    t.match(text, /alpha \(Alpha list\): given_name, surname, dob, band/, 'its data items');
    t.match(text, /2099-01-01/, 'its review date');
    t.match(text, /encoded identifiers P30D/, 'its retention');
    const month = new Date().toISOString().slice(0, 7);
    const testing = await page.$$eval('#testing ~ table tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
    );
    t.same(testing, [[month, '0', '1']], 'the refused release counted in its month');
    t.same(await axeViolations(page), [], 'axe: no violations on /transparency');
    await page.goto(`${url}/`);
    t.equal(new URL(page.url()).pathname, '/login', 'the console asks them to sign in');
    t.same(await axeViolations(page), [], 'axe: no violations on /login');
    await page.fill('#username', 'iggy');
    await page.fill('#password', 'not the password');
    const bad = await Promise.all([page.waitForResponse((x) => x.url().endsWith('/login')), page.click('button')]);
    t.equal(bad[0].status(), 401, 'a wrong password is refused');
    t.match(await page.textContent('.govuk-error-summary'), /wrong password/, 'and says so');
    await context.close();
  });

  await t.test('IG lead: policies, a diff, approval, the audit trail; not results or admin pages', async (t) => {
    const context = await newContext();
    const page = await signIn(context, url, CONSOLE_PEOPLE.igLead);
    const cookie = (await context.cookies()).find((c) => c.name === 'blindlink_session');
    t.ok(
      cookie?.httpOnly && cookie.secure && cookie.sameSite === 'Strict',
      'session cookie: HttpOnly, Secure, SameSite=Strict',
    );
    await page.goto(`${url}/policies`);
    t.match(await page.textContent('main'), /Awaiting approval/, 'version 2 awaits approval');
    t.same(await axeViolations(page), [], 'axe: no violations on /policies');
    await page.click('a:has-text("Test purpose version 2")');
    const lines = async (tag: string) =>
      page.$$eval(`.console-diff ${tag}`, (xs) => xs.map((x) => x.textContent?.trim()));
    t.same(await lines('ins'), ['+   "version": 2,', '+     "encodings": "P60D"'], 'the diff: the new lines');
    t.same(await lines('del'), ['-   "version": 1,', '-     "encodings": "P30D"'], 'and the old ones');
    t.same(await axeViolations(page), [], 'axe: no violations on a policy version');
    // A form posted without its CSRF token is refused, even in a signed-in session.
    const forged = await context.request.post(`${url}/policies/test-policy/versions/2/approval`, {
      form: { _csrf: 'x' },
    });
    t.equal(forged.status(), 403, 'no valid CSRF token: 403');
    await Promise.all([page.waitForURL(/decided=approved/), page.click('#approve')]);
    t.match(await page.textContent('main'), /Approved\s*by iggy/, 'approved by the IG lead');
    const stored = await b.db
      .selectFrom('policy_approval')
      .select('approved_by')
      .where('policy_id', '=', 'test-policy')
      .where('version', '=', 2)
      .executeTakeFirst();
    t.equal(stored?.approved_by, 'iggy', 'and stored, as the API would');

    await page.goto(`${url}/audit?decision=refused`);
    const rows = await page.$$eval('tbody tr', (trs) => trs.map((tr) => tr.className));
    t.ok(rows.length >= 1 && rows.every((c) => c.includes('console-refused')), 'refusals, marked as such');
    t.match(await page.textContent('tbody'), /agency:alpha.*release\.membership/s, 'the refused release');
    t.same(await axeViolations(page), [], 'axe: no violations on /audit');
    await page.goto(`${url}/audit?person=ig-lead:iggy&purpose=testing`);
    t.match(await page.textContent('tbody'), /policy\.approve/, 'filter by person and purpose: the approval');
    const exported = await context.request.get(`${url}/audit/export.csv?decision=refused`);
    t.match(await exported.text(), /^seq,at,actor,action/, 'export as CSV');
    const register = await context.request.get(`${url}/register.json`);
    const agreements = (await register.json()).agreements as { purpose: string; policyVersion: number }[];
    t.same(
      agreements.map((a) => `${a.purpose} v${a.policyVersion}`),
      ['console v1', 'console-model v1', 'testing v2'],
      'the register of agreements in force, with the version just approved',
    );
    t.match(await (await context.request.get(`${url}/register.csv`)).text(), /^purpose,title,policy_id/, 'and as CSV');
    for (const path of [
      '/purposes/console',
      '/purposes/console/aggregate',
      '/purposes/console-model/data-quality',
      '/agencies',
      '/people',
    ]) {
      const r = await page.goto(`${url}${path}`);
      t.equal(r?.status(), 403, `${path}: refused to an IG lead`);
    }
    await page.goto(`${url}/`);
    await Promise.all([page.waitForURL(`${url}/login`), page.click('button:has-text("Sign out")')]);
    await page.goto(`${url}/audit`);
    t.equal(new URL(page.url()).pathname, '/login', 'signed out: the audit trail asks to sign in again');
    await context.close();
  });

  await t.test('analyst: runs and an aggregate release with its chart; not policies or the audit trail', async (t) => {
    const context = await newContext();
    const page = await signIn(context, url, CONSOLE_PEOPLE.analyst);
    await page.goto(`${url}/purposes/console`);
    t.match(await page.textContent('tbody'), /Completed/, 'the completed run');
    t.same(await axeViolations(page), [], 'axe: no violations on a purpose');
    // The nightly schedule from the console: a time not on the clock is shown on the form, then one is
    // set and removed. Hours away, so the broker's scheduler does not run it during the test.
    await page.fill('#at', '25:00');
    await page.fill('#timeZone', 'Europe/London');
    const [refusedSet] = await Promise.all([
      page.waitForResponse((x) => x.url() === `${url}/purposes/console/schedule`),
      page.click('button:has-text("Set a nightly schedule")'),
    ]);
    t.equal(refusedSet.status(), 400, 'a time not on the clock: 400, not a server error');
    t.match(await page.textContent('.govuk-error-summary'), /at "25:00" must be a time of day HH:MM/, 'summarised');
    t.match(await page.textContent('#at-error'), /must be a time of day/, 'and marked on its field');
    t.equal(await page.inputValue('#timeZone'), 'Europe/London', 'what was typed is kept');
    t.same(await axeViolations(page), [], 'axe: no violations on the schedule form with an error');
    const at = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/London',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(Date.now() + 12 * 3600_000);
    await page.fill('#at', at);
    await page.fill('#timeZone', 'europe/london'); // the case is forgiven and the canonical name stored
    await Promise.all([
      page.waitForURL(`${url}/purposes/console?schedule=set`),
      page.click('button:has-text("Set a nightly schedule")'),
    ]);
    const schedule = () =>
      b.db.selectFrom('run_schedule').selectAll().where('purpose', '=', 'console').executeTakeFirst();
    const set = await schedule();
    t.same([set?.time_of_day, set?.time_zone, set?.owner], [at, 'Europe/London', 'ann'], 'stored as the API stores it');
    const nextUtc = set!.next_due.toISOString().slice(0, 16).replace('T', ' ');
    t.match(
      await page.textContent('#schedule-summary'),
      new RegExp(`${at} \\(Europe/London\\)[\\s\\S]*ann[\\s\\S]*${at} Europe/London, ${nextUtc} UTC[\\s\\S]*None yet`),
      'the schedule, its owner and the next night in its zone and in UTC',
    );
    t.match(await page.textContent('.govuk-notification-banner'), /Nightly schedule set/, 'and a confirmation');
    t.same(await axeViolations(page), [], 'axe: no violations on a purpose with a schedule');
    await Promise.all([
      page.waitForURL(`${url}/purposes/console?schedule=removed`),
      page.click('button:has-text("Remove the schedule")'),
    ]);
    t.equal(await schedule(), undefined, 'removed');
    t.match(
      await page.textContent('main'),
      /Nightly schedule removed[\s\S]*No nightly schedule/,
      'and the page says so',
    );
    const scheduleRows = await b.db
      .selectFrom('audit_log')
      .select(['actor', 'action', 'decision', 'status'])
      .where('purpose', '=', 'console')
      .where('action', 'like', 'schedule.%')
      .orderBy('seq')
      .execute();
    t.same(
      scheduleRows.map((r) => [r.actor, r.action, r.decision, r.status]),
      [
        ['analyst:ann', 'schedule.set', 'failed', 400],
        ['analyst:ann', 'schedule.set', 'allowed', 303],
        ['analyst:ann', 'schedule.remove', 'allowed', 303],
      ],
      "each change audited under the API's actions, the refused one too",
    );
    // The run page of a run scored by Dice (random encodings): no model, no estimates, and it says why.
    await page.click('tbody a');
    t.match(await page.textContent('main'), /scored pairs by record-level Dice similarity with threshold 0\.8/);
    t.equal(await page.textContent('#estimated-precision'), 'None', 'no estimates without a model');
    // A run that fitted a model: its estimates, and its match weights drawn with the threshold.
    const modelRunId = await modelRun;
    await page.goto(`${url}/purposes/console-model`);
    await Promise.all([page.waitForURL(`${url}/purposes/console-model/runs/${modelRunId}`), page.click('tbody a')]);
    const percent = async (id: string) => Number((await page.textContent(id))?.match(/^([\d.]+)%/)?.[1]);
    const [precision, recall] = [await percent('#estimated-precision'), await percent('#estimated-recall')];
    t.ok(precision > 90 && precision <= 100 && recall > 90 && recall <= 100, `estimates: ${precision}%, ${recall}%`);
    const bars = await page.locator('#weight-chart rect.bar').count();
    t.ok(bars > 10, `the histogram of match weights: ${bars} bins`);
    t.equal(await page.locator('#weight-chart line.threshold').count(), 1, 'with the threshold marked');
    const binned = await page.$$eval('#weight-table tbody tr td:last-child', (tds) =>
      tds.reduce((n, td) => n + Number(td.textContent), 0),
    );
    const candidates = Number((await page.textContent('#run-summary'))?.match(/(\d+), (\d+), (\d+)/)?.[2]);
    t.equal(binned, candidates, `its table: every candidate pair binned (${candidates})`);
    t.match(
      await page.textContent('#field-weights'),
      /given_name[\s\S]*surname[\s\S]*dob[\s\S]*postcode/,
      'each field by level',
    );
    t.same(await axeViolations(page), [], 'axe: no violations on a run page');
    // Data-quality counts (issue 18): each agency's latest feedback, as it was released, counts only.
    const feedback: Record<string, Record<string, number | boolean>> = {};
    for (const agency of ['alpha', 'beta']) {
      const r = await call(b, 'POST', '/v1/purposes/console-model/releases/data-quality', {
        as: agency,
        token: await tokenFor(b, agency),
        body: {},
      });
      t.equal(r.status, 200, `${agency}'s latest data-quality release`);
      feedback[agency] = r.json.summary;
    }
    const latest = await b.db
      .selectFrom('audit_log')
      .select(['actor', 'at'])
      .where('purpose', '=', 'console-model')
      .where('action', '=', 'release.data-quality')
      .orderBy('seq', 'desc')
      .execute();
    const releasedAt = (agency: string) =>
      latest
        .find((x) => x.actor === `agency:${agency}`)!
        .at.toISOString()
        .slice(0, 16)
        .replace('T', ' ');
    // The analyst is not the agency: counts from 1 to 50 (the purpose's aggregate rule) are suppressed.
    const shown = (n: number | boolean) => (Number(n) >= 1 && Number(n) <= 50 ? 'Suppressed' : String(n));
    const expected = ['alpha', 'beta'].map((agency) => {
      const f = feedback[agency]!;
      return [
        agency,
        releasedAt(agency),
        `console-model-policy version 1, rule ${agency}-quality`,
        shown(f.records!),
        shown(f.duplicatePairs!),
        f.dobCompared ? shown(f.dobDisagreements!) : 'Not compared',
        f.sexCompared ? shown(f.sexDisagreements!) : 'Not compared',
        shown(f.unlinked!),
      ];
    });
    await page.goto(`${url}/purposes/console-model`);
    await Promise.all([
      page.waitForURL(`${url}/purposes/console-model/data-quality`),
      page.click('a:has-text("Data-quality feedback counts")'),
    ]);
    const dq = await page.$$eval('#data-quality-table tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => c.textContent?.trim())),
    );
    t.same(dq, expected, `per agency, its latest release's counts, small ones suppressed: ${JSON.stringify(dq)}`);
    t.ok(dq.flat().includes('Suppressed'), 'some count is small enough to be suppressed');
    t.match(await page.textContent('main'), /Counts from 1 to 50 are suppressed/, 'and the page says so');
    const runTokens = new Set(
      (await b.db.selectFrom('run_record').select('row_token').where('run_id', '=', modelRunId).execute()).map(
        (r) => r.row_token,
      ),
    );
    const html = await page.content();
    t.notOk(
      [...html.matchAll(/[A-Za-z0-9_-]{22}/g)].some((m) => runTokens.has(m[0])),
      'no row token on the page',
    );
    t.same(await axeViolations(page), [], 'axe: no violations on the data-quality page');
    await page.goto(`${url}/purposes/console/data-quality`);
    t.match(await page.textContent('main'), /No agency has received data-quality feedback/, 'none yet elsewhere');
    const bad = await page.goto(`${url}/purposes/console-model/runs/not-a-run-id`);
    t.equal(bad?.status(), 400, 'a malformed run id: 400, not a server error');
    t.equal(
      (await page.goto(`${url}/purposes/console/runs/${modelRunId}`))?.status(),
      404,
      "another purpose's run: 404",
    );
    await page.goto(`${url}/purposes/console/aggregate`);
    const cells = await page.$$eval('#aggregate-table tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim())),
    );
    t.same(
      cells,
      [
        ['A', '40'],
        ['B', 'Suppressed'],
        ['C', 'Suppressed'],
      ],
      'the table: small cell and its partner suppressed',
    );
    t.equal(await page.locator('svg.console-chart rect.bar').count(), 1, 'the chart: one bar');
    t.equal(await page.locator('svg.console-chart rect.suppressed').count(), 2, 'and two suppressed cells marked');
    t.same(await axeViolations(page), [], 'axe: no violations on the aggregate release');
    const csvText = await (await context.request.get(`${url}/purposes/console/aggregate.csv`)).text();
    t.equal(csvText, 'band,count\r\nA,40\r\nB,suppressed\r\nC,suppressed\r\n', 'the CSV download');
    for (const path of ['/policies', '/audit', '/agencies', '/purposes/testing', '/purposes/testing/data-quality']) {
      const r = await page.goto(`${url}${path}`);
      t.equal(r?.status(), 403, `${path}: refused to an analyst`);
    }
    await context.close();
  });

  await t.test('admin: agencies and certificates, adding and unlocking people; not audit or results', async (t) => {
    const context = await newContext();
    const page = await signIn(context, url, CONSOLE_PEOPLE.admin);
    await page.goto(`${url}/agencies`);
    const agencies = await page.textContent('tbody');
    t.match(agencies, /alpha[\s\S]*Live/, 'alpha with a live certificate');
    t.same(await axeViolations(page), [], 'axe: no violations on /agencies');
    // Registering an agency: its one-time code is shown once; what the admin typed is shown as text.
    await page.fill('#agency', 'echo');
    await page.fill('#name', '<img src=x id=injected> Echo');
    const registered = await Promise.all([
      page.waitForResponse((x) => x.url() === `${url}/agencies` && x.request().method() === 'POST'),
      page.click('button:has-text("Register and issue an enrolment code")'),
    ]);
    t.equal(registered[0].status(), 201, 'registered');
    t.match(
      await page.textContent('.govuk-panel'),
      /Agency echo registered\s*One-time enrolment code \(shown once\): \S+/,
    );
    t.equal(await page.locator('#injected').count(), 0, 'markup in a name is escaped, not rendered');
    t.match(await page.textContent('tbody'), /<img src=x id=injected> Echo/, 'and shown as the text it is');
    await Promise.all([page.waitForURL(`${url}/agencies`), page.click('button[aria-label="Revoke beta"]')]);
    const betaRow = await page.textContent('tr:has(code:text-is("beta"))');
    t.match(betaRow, /Revoked/, 'beta revoked from the console');
    const betaToken = await call(b, 'POST', '/v1/token', { as: 'beta' });
    t.equal(betaToken.status, 401, "and beta's certificate is refused at once");
    await page.goto(`${url}/people`);
    t.match(await page.textContent('tbody'), /ann\s*analyst\s*console/, 'the analyst and their purpose');
    t.notMatch(await page.content(), /argon2|\$argon/, 'no password hash on the page');
    // Adding a person: a name already taken is refused on the form; a new one gets a password, shown once.
    const addPerson = async (username: string) => {
      await page.fill('#username', username);
      await page.check('input[name=role][value=analyst]');
      await page.check('input[name=purposes][value=console]');
      const [r] = await Promise.all([
        page.waitForResponse((x) => x.url() === `${url}/people` && x.request().method() === 'POST'),
        page.click('button:has-text("Add and generate a password")'),
      ]);
      return r;
    };
    t.equal((await addPerson('ann')).status(), 409, 'a name already taken: 409');
    t.match(await page.textContent('.govuk-error-summary'), /a person named ann already exists/, 'summarised');
    t.match(await page.textContent('#username-error'), /already exists/, 'and marked on its field');
    const added = await addPerson('cleo');
    t.equal(added.status(), 201, 'added');
    t.equal(added.headers()['cache-control'], 'no-store', 'a page no cache may keep');
    t.match(await page.textContent('.govuk-panel'), /analyst cleo added/);
    const password = (await page.textContent('#new-password'))!;
    t.match(password, /^[A-Za-z0-9_-]{32}$/, 'the generated password, shown once');
    t.match(
      await page.textContent('tbody'),
      /cleo\s*analyst\s*console\s*admin:ada\s*Active/,
      'cleo, assigned, added by ada',
    );
    const cleoLogin = async () => (await call(b, 'POST', '/v1/login', { body: { username: 'cleo', password } })).status;
    t.equal(await cleoLogin(), 200, 'the password shown signs cleo in');
    // Ten failed logins lock an account (trust/lockout.ts); waiting out the throttle between them would
    // take minutes, so the state they leave is stored directly.
    const locked = { failures: 10, nextAttemptAt: null, locked: true, lockedUntil: Date.now() + 30 * 60_000 };
    await b.db
      .updateTable('person')
      .set({ lockout: JSON.stringify(locked) })
      .where('username', '=', 'cleo')
      .execute();
    t.equal(await cleoLogin(), 429, 'locked: even the right password is refused');
    await page.goto(`${url}/people`);
    t.match(await page.textContent('tr:has-text("cleo")'), /Locked/, 'the locked account, marked');
    t.same(await axeViolations(page), [], 'axe: no violations on /people');
    await Promise.all([page.waitForURL(`${url}/people`), page.click('button[aria-label="Unlock cleo"]')]);
    t.match(await page.textContent('tr:has-text("cleo")'), /Active/, 'unlocked from the console');
    t.equal(await cleoLogin(), 200, 'and cleo signs in again');
    const peopleRows = await b.db
      .selectFrom('audit_log')
      .select(['actor', 'action', 'status', 'reason'])
      .where('action', 'in', ['person.add', 'person.unlock'])
      .orderBy('seq')
      .execute();
    t.same(
      peopleRows.map((r) => [r.actor, r.action, r.status]),
      [
        ['admin:ada', 'person.add', 409],
        ['admin:ada', 'person.add', 201],
        ['admin:ada', 'person.unlock', 303],
      ],
      "audited under the API's actions",
    );
    t.notOk(
      peopleRows.some((r) => r.reason?.includes(password)),
      'the password is in no audit row',
    );
    for (const path of ['/audit', '/purposes/console/aggregate', '/register.csv']) {
      const r = await page.goto(`${url}${path}`);
      t.equal(r?.status(), 403, `${path}: refused to an admin`);
    }
    await context.close();
  });

  t.same(cspErrors, [], 'no page broke its Content-Security-Policy');
});
