import { cpSync, existsSync, readFileSync, rmSync, statSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { seededRandom as mulberry32 } from '@blindlink/broker/prng';
import { AGENCY_BIN, BROKER_BIN, ROOT, run, startBrokerProcess } from '../helpers/processes.js';

/**
 * The command-line conventions both programs keep: --version, a clear line and a non-zero exit for
 * each mistake a person makes, no identifier ever echoed, and no carriage return outside a terminal.
 */

const HEADER = 'record_id,given_name,surname,dob,sex,postcode\n';
const ROW = 'A1,Ann,Smith,01/02/1990,F,M1 1AE\n';
const SECRET = 'a shared linkage secret that only agencies hold\n';
// Many short CLI processes, each a cold Node start (and two PGlite starts): slow on a loaded machine.
t.setTimeout(900_000);

const version = (pkg: string) =>
  (JSON.parse(readFileSync(join(ROOT, pkg, 'package.json'), 'utf8')) as { version: string }).version;

t.test('--version prints the package version', async (t) => {
  for (const [bin, pkg] of [
    [AGENCY_BIN, 'agency-client'],
    [BROKER_BIN, 'broker'],
  ] as const) {
    const r = await run(bin, ['--version']);
    t.equal(r.code, 0, `${pkg}: exit 0`);
    t.equal(r.stdout.trim(), version(pkg), `${pkg}: the version of its package.json`);
  }
});

t.test('encode: no silent overwrite, a missing --out folder named, no carriage return in a log', async (t) => {
  const dir = t.testdir({ 'in.csv': HEADER + ROW, 'secret.key': SECRET });
  chmodSync(join(dir, 'secret.key'), 0o600); // the client refuses a secret others can read
  const encode = (out: string, extra: string[] = []) =>
    run(AGENCY_BIN, [
      'encode',
      '--input',
      join(dir, 'in.csv'),
      '--secret-file',
      join(dir, 'secret.key'),
      '--out',
      out,
      ...extra,
    ]);
  const out = join(dir, 'in.enc');
  const first = await encode(out);
  t.equal(first.code, 0, first.stderr);
  t.notMatch(first.stderr, /\r/, 'no carriage return when stderr is not a terminal');
  t.match(first.stderr, /^1 of 1 rows encoded/m);
  const tokens = readFileSync(`${out}.tokens.csv`, 'utf8');
  const mtime = statSync(`${out}.tokens.csv`).mtimeMs;

  const again = await encode(out);
  t.equal(again.code, 1, 'a second encode to the same --out is refused');
  t.match(again.stderr, /^blindlink-agency: error: .*in\.enc\.tokens\.csv exists/m, 'names the token map');
  t.match(again.stderr, /--force/, 'says how to replace it');
  t.equal(readFileSync(`${out}.tokens.csv`, 'utf8'), tokens, 'the token map is untouched');
  t.equal(statSync(`${out}.tokens.csv`).mtimeMs, mtime);

  // Only the encoded file left (the token map moved away): still refused, naming it.
  rmSync(`${out}.tokens.csv`);
  const encOnly = await encode(out);
  t.equal(encOnly.code, 1);
  t.match(encOnly.stderr, /in\.enc exists: give --force/);

  const forced = await encode(out, ['--force']);
  t.equal(forced.code, 0, forced.stderr);
  t.ok(existsSync(`${out}.tokens.csv`), '--force writes a new encoding and token map');

  const clk = await encode(out, ['--format', 'clkhash', '--schema', join(dir, 'missing.json')]);
  t.equal(clk.code, 1, 'the clkhash format refuses to replace a file too');
  t.match(clk.stderr, /in\.enc exists/);

  const missing = await encode(join(dir, 'no-such-folder', 'x.enc'));
  t.equal(missing.code, 1, 'a missing --out folder: exit 1, not 13');
  t.match(missing.stderr, /^blindlink-agency: error: --out .*x\.enc: the folder .*no-such-folder does not exist/m);
});

t.test('a semicolon-delimited CSV: file, line and delimiter named; no name or date of birth echoed', async (t) => {
  const dir = t.testdir({
    // A quote inside a field is a parser error; without one the header is a single column.
    'quoted.csv': 'record_id;given_name;surname;dob\nA1;Ann;"Smith" Jones;01/02/1990\n',
    'plain.csv': 'record_id;given_name;surname;dob\nA1;Ann;Smith;01/02/1990\n',
    'secret.key': SECRET,
  });
  chmodSync(join(dir, 'secret.key'), 0o600); // the client refuses a secret others can read
  for (const [name, line] of [
    ['quoted', 2],
    ['plain', 1],
  ] as const) {
    const r = await run(AGENCY_BIN, [
      'encode',
      '--input',
      join(dir, `${name}.csv`),
      '--secret-file',
      join(dir, 'secret.key'),
      '--out',
      join(dir, `${name}.enc`),
    ]);
    t.equal(r.code, 1, `${name}: exit 1`);
    t.match(r.stderr, new RegExp(`^blindlink-agency: error: .*${name}\\.csv line ${line}: .*semicolon-delimited`, 'm'));
    t.notMatch(r.stderr, /Ann|Smith|Jones|1990/, `${name}: no identifier in the message`);
    t.equal(r.stderr.trim().split('\n').length, 1, `${name}: one line`);
  }
});

t.test('a mistyped policy form: one line with the value, the path and the forms', async (t) => {
  const policy = readFileSync(join(ROOT, 'policies/examples/community-safety.yaml'), 'utf8');
  t.match(policy, /form: membership/);
  const dir = t.testdir({ 'typo.yaml': policy.replace('form: membership', 'form: membrship') });
  const r = await run(BROKER_BIN, ['policy', 'validate', join(dir, 'typo.yaml')]);
  t.equal(r.code, 3);
  t.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  t.match(
    r.stderr,
    /typo\.yaml: invalid policy: \/recipients\/0\/releases\/0\/form: unknown release form "membrship": the forms are /,
  );
  t.match(
    r.stderr,
    new RegExp(
      'the forms are membership, pseudonym, family-criteria, aggregate, discrepancy, ' +
        'data-quality, clerical-review, subject-access$',
      'm',
    ),
  );
});

t.test('broker link: no carriage return when stderr is not a terminal', async (t) => {
  const r = mulberry32(7);
  const clk = () => Buffer.from(Array.from({ length: 128 }, () => Math.floor(r() * 256))).toString('base64');
  const dir = t.testdir({
    'a.json': JSON.stringify({ clks: [clk(), clk()] }),
    'b.json': JSON.stringify({ clks: [clk(), clk()] }),
  });
  const linked = await run(BROKER_BIN, ['link', join(dir, 'a.json'), join(dir, 'b.json'), '--out', join(dir, 'e.csv')]);
  t.equal(linked.code, 0, linked.stderr);
  t.notMatch(linked.stderr, /\r/);
  t.match(linked.stderr, /4 records from 2 sources/);
});

t.test('agency and broker: unknown form, missing signing key, unreachable broker', async (t) => {
  const dir = t.testdir({ 'in.csv': HEADER + ROW, 'secret.key': SECRET });
  chmodSync(join(dir, 'secret.key'), 0o600); // the client refuses a secret others can read
  const dataDir = join(dir, 'data');
  const keyDir = join(dir, 'keys');
  const reg = await run(BROKER_BIN, ['agency', 'register', 'alpha', '--data-dir', dataDir]);
  t.equal(reg.code, 0, reg.stderr);
  const code = (JSON.parse(reg.stdout) as { enrolmentCode: string }).enrolmentCode;
  const broker = await startBrokerProcess(['--data-dir', dataDir]);
  t.teardown(() => broker.stop());
  const caFile = join(dataDir, 'keys', 'ca.cert.pem');
  const enrol = await run(AGENCY_BIN, [
    'enrol',
    '--broker',
    broker.url,
    '--agency',
    'alpha',
    '--code',
    code,
    '--ca-file',
    caFile,
    '--key-dir',
    keyDir,
  ]);
  t.equal(enrol.code, 0, enrol.stderr);
  const enc = await run(AGENCY_BIN, [
    'encode',
    '--input',
    join(dir, 'in.csv'),
    '--secret-file',
    join(dir, 'secret.key'),
    '--out',
    join(dir, 'in.enc'),
  ]);
  t.equal(enc.code, 0, enc.stderr);
  const common = ['--broker', broker.url, '--purpose', 'testing'];

  const form = await run(AGENCY_BIN, [
    'release',
    ...common,
    '--key-dir',
    keyDir,
    '--form',
    'psuedonym',
    '--out',
    join(dir, 'r.json'),
  ]);
  t.equal(form.code, 1);
  t.match(
    form.stderr,
    /unknown release form "psuedonym": the forms are pseudonym, family-criteria, aggregate, discrepancy, data-quality/,
  );
  t.notMatch(form.stderr, /no route/);

  // A key dir whose signing key is gone: named, with how to get one; no new key made behind the broker's back.
  const lost = join(dir, 'lost-keys');
  cpSync(keyDir, lost, { recursive: true });
  const seed = join(lost, 'agency-signing.ed25519.seed');
  t.ok(existsSync(seed), 'enrolment made the signing key');
  rmSync(seed);
  const sub = await run(AGENCY_BIN, ['submit', ...common, '--key-dir', lost, '--in', join(dir, 'in.enc')]);
  t.equal(sub.code, 1);
  t.match(
    sub.stderr,
    /^blindlink-agency: error: the agency signing key .*lost-keys.*agency-signing\.ed25519\.seed is missing/m,
  );
  t.match(sub.stderr, /enrol/);
  t.notOk(existsSync(seed), 'no new signing key was made');

  await broker.stop();
  const url = broker.url.replace(/[.]/g, '\\.');
  const down = await run(AGENCY_BIN, ['run', ...common, '--key-dir', keyDir]);
  t.not(down.code, 0, 'a broker that is down: non-zero exit');
  t.match(
    down.stderr,
    new RegExp(`^blindlink-agency: error: the broker at ${url}/? could not be reached: connection refused`, 'm'),
  );
  t.notMatch(down.stderr, /refused \(0/, 'not reported as a refusal by the broker');

  const dns = await run(AGENCY_BIN, [
    'run',
    '--broker',
    'https://no-such-host.invalid',
    '--purpose',
    'testing',
    '--key-dir',
    keyDir,
  ]);
  t.not(dns.code, 0);
  t.match(dns.stderr, /the broker at https:\/\/no-such-host\.invalid could not be reached: .*DNS/);
});
