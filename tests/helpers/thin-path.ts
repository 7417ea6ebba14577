import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { operatorSetup } from './operator-setup.js';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { Test } from 'tap';
import { openDatabase } from '@blindlink/broker';
import { csv, population, typo, ukDate } from './people.js';
import { AGENCY_BIN, BROKER_BIN, run, startBrokerProcess } from './processes.js';

const PURPOSE = 'community-safety';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/**
 * The foundation's whole path, driven through the real command-line programs and a real broker
 * process: two agencies from CSV to answers, a refusal, audit verification and tamper detection.
 */
export async function thinPath(t: Test, storage: { databaseUrl?: string }): Promise<void> {
  const dir = t.testdir({});
  const dataDir = join(dir, 'broker-data');
  const env = { DATABASE_URL: storage.databaseUrl };
  const people = population(60);

  // Council tax holds persons 0..39 with UK dates; police holds 25..59, ISO dates, squashed
  // postcodes and a typo in every third surname. Truth: persons 25..39 are known to both.
  const ct = people.slice(0, 40).map((p, i) => [`CT${1000 + i}`, p.given, p.surname, ukDate(p.dob), p.sex, p.postcode]);
  const police = people
    .slice(25)
    .map((p, i) => [
      `PN${500 + i}`,
      p.given,
      i % 3 === 0 ? typo(p.surname) : p.surname,
      p.dob,
      p.sex,
      p.postcode.replace(' ', ''),
    ]);
  const header = ['record_id', 'given_name', 'surname', 'dob', 'sex', 'postcode'];
  writeFileSync(join(dir, 'ct.csv'), csv(header, ct));
  writeFileSync(join(dir, 'police.csv'), csv(header, police));
  writeFileSync(join(dir, 'secret.key'), 'a shared linkage secret that only agencies hold\n', { mode: 0o600 });

  const codes = await operatorSetup(t, dir, dataDir, env);

  const broker = await startBrokerProcess(['--data-dir', dataDir], env);
  t.teardown(() => broker.stop());
  t.match(broker.url, /^https:\/\//, 'the broker speaks TLS only');
  const agencyEnv = { BLINDLINK_BROKER: broker.url };
  const keyDir = (agency: string) => join(dir, `${agency}-keys`);
  const common = (agency: string) => ['--key-dir', keyDir(agency), '--purpose', PURPOSE];

  // Each agency enrols once with its one-time code, pinning the CA the operator handed over.
  for (const agency of ['council-tax', 'police']) {
    const e = await run(
      AGENCY_BIN,
      [
        'enrol',
        '--agency',
        agency,
        '--code',
        codes[agency]!,
        '--ca-file',
        join(dataDir, 'keys', 'ca.cert.pem'),
        '--key-dir',
        keyDir(agency),
      ],
      { env: agencyEnv },
    );
    t.equal(e.code, 0, `enrol ${agency}: ${e.stderr}`);
  }
  const reuse = await run(
    AGENCY_BIN,
    [
      'enrol',
      '--agency',
      'police',
      '--code',
      codes.police!,
      '--ca-file',
      join(dataDir, 'keys', 'ca.cert.pem'),
      '--key-dir',
      join(dir, 'thief-keys'),
    ],
    { env: agencyEnv },
  );
  t.equal(reuse.code, 1, 'an enrolment code works once');
  t.match(reuse.stderr, /401 bad-credentials/);

  for (const [agency, file] of [
    ['council-tax', 'ct'],
    ['police', 'police'],
  ] as const) {
    const enc = await run(AGENCY_BIN, [
      'encode',
      '--input',
      join(dir, `${file}.csv`),
      '--secret-file',
      join(dir, 'secret.key'),
      '--out',
      join(dir, `${file}.enc`),
    ]);
    t.equal(enc.code, 0, `encode ${file}: ${enc.stderr}`);
    const sub = await run(AGENCY_BIN, ['submit', ...common(agency), '--in', join(dir, `${file}.enc`)], {
      env: agencyEnv,
    });
    t.equal(sub.code, 0, `submit ${file}: ${sub.stderr}`);
  }
  // --no-wait answers with the queued run at once; the waiting run below queues behind it.
  const queued = await run(AGENCY_BIN, ['run', ...common('police'), '--no-wait'], { env: agencyEnv });
  t.equal(queued.code, 0, `run --no-wait: ${queued.stderr}`);
  t.match(JSON.parse(queued.stdout), { status: 'queued', sources: 2, runId: /^[0-9a-f-]{36}$/ });
  t.notMatch(queued.stderr, /linked|completed/, '--no-wait does not follow the run');
  const linked = await run(AGENCY_BIN, ['run', ...common('police')], { env: agencyEnv });
  t.equal(linked.code, 0, `run: ${linked.stderr}`);
  t.match(JSON.parse(linked.stdout), { status: 'completed', sources: 2 });

  const answersFile = join(dir, 'answers.csv');
  const ask = await run(
    AGENCY_BIN,
    [
      'membership',
      ...common('council-tax'),
      '--of',
      'police',
      '--tokens',
      join(dir, 'ct.enc.tokens.csv'),
      '--out',
      answersFile,
    ],
    { env: agencyEnv },
  );
  t.equal(ask.code, 0, `membership: ${ask.stderr}`);
  const answers = readFileSync(answersFile, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));
  const expected = ct.map((r, i) => [r[0]!, i >= 25 ? 'yes' : 'no']);
  t.same(answers, expected, "yes/no answers equal the known truth, in the agency's record order");

  // The policy lets only council tax ask: the police asking back is refused, naming rule and version.
  const refused = await run(
    AGENCY_BIN,
    [
      'membership',
      ...common('police'),
      '--of',
      'council-tax',
      '--tokens',
      join(dir, 'police.enc.tokens.csv'),
      '--out',
      join(dir, 'refused.csv'),
    ],
    { env: agencyEnv },
  );
  t.equal(refused.code, 1, 'a refused request exits non-zero');
  t.match(refused.stderr, /403 policy-refused.*policy csp-2026 v1/);

  await broker.stop();
  const logs = broker.logs();

  const verify = await run(BROKER_BIN, ['audit', 'verify', '--data-dir', dataDir], { env });
  t.equal(verify.code, 0, `audit verify passes: ${verify.stderr}`);

  const handle = await openDatabase({ url: storage.databaseUrl, dataDir });
  try {
    const db = handle.db;
    const refusal = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('decision', '=', 'refused')
      .where('action', '=', 'release.membership')
      .executeTakeFirst();
    t.ok(refusal, 'the refusal is in the audit trail');
    t.match(refusal, { actor: 'agency:police', policy_id: 'csp-2026', policy_version: 1, status: 403 });
    const release = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('decision', '=', 'allowed')
      .where('action', '=', 'release.membership')
      .executeTakeFirstOrThrow();
    t.match(release, {
      actor: 'agency:council-tax',
      policy_rule: 'ct-known-to-police',
      counts: { rows: 40, known: 15 },
    });
    t.match(release.release_digest, /^sha256:[0-9a-f]{64}$/);

    // Nothing the broker stored or logged holds a plaintext name or date of birth.
    const tables = [
      'agency',
      'agency_certificate',
      'policy',
      'policy_approval',
      'person',
      'submission',
      'encoding',
      'run',
      'run_record',
      'run_event',
      'audit_log',
      'audit_checkpoint',
    ];
    let stored = '';
    for (const table of tables) {
      const rows = await sql<{ row: string }>`select t::text as row from ${sql.table(table)} t`.execute(db);
      stored += rows.rows.map((r) => r.row).join('\n');
    }
    const files = storage.databaseUrl ? filesUnder(dataDir) : filesUnder(dataDir);
    const fileBytes = files.map((f) => readFileSync(f).toString('latin1')).join('\n');
    t.ok(stored.length > 1000, 'the dump holds the stored data');
    const terms = new Set<string>();
    for (const p of people) {
      for (const w of [p.given, p.surname]) {
        terms.add(w);
        terms.add(w.toLowerCase());
        terms.add(w.toUpperCase());
      }
      terms.add(p.dob);
      terms.add(ukDate(p.dob));
      terms.add(p.dob.replace(/-/g, ''));
    }
    const leaks = [...terms].filter((w) => stored.includes(w) || logs.includes(w) || fileBytes.includes(w));
    t.same(leaks, [], 'no plaintext name or date of birth in the database, its files or the logs');

    // Tamper with the refusal's row, as a DBA who disables the append-only trigger could.
    await sql`alter table audit_log disable trigger audit_log_no_change`.execute(db);
    await sql`update audit_log set decision = 'allowed' where seq = ${refusal!.seq}`.execute(db);
    await sql`alter table audit_log enable trigger audit_log_no_change`.execute(db);
    await t.rejects(
      sql`update audit_log set reason = 'x' where seq = 1`.execute(db),
      /append-only/,
      'the trigger blocks ordinary updates',
    );
    await t.rejects(sql`delete from audit_log where seq = 1`.execute(db), /append-only/, 'and deletes');
  } finally {
    await handle.close();
  }
  const broken = await run(BROKER_BIN, ['audit', 'verify', '--data-dir', dataDir], { env });
  t.equal(broken.code, 1, 'audit verify fails after tampering');
  const seq = broken.stderr.match(/BROKEN at row (\d+)/)?.[1];
  t.ok(seq, `names the row: ${broken.stderr}`);
}
