import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { AGENCY_BIN, BROKER_BIN, run } from './helpers/processes.js';

const HEADER = 'record_id,given_name,surname,dob,sex,postcode\n';

t.test('encode: each kind of bad input is named, exits non-zero and leaves no output', async (t) => {
  const dir = t.testdir({ 'secret.key': 'a shared linkage secret that only agencies hold\n' });
  const encode = async (name: string, csv: string, extra: string[] = []) => {
    writeFileSync(join(dir, `${name}.csv`), csv);
    const out = join(dir, `${name}.enc`);
    const r = await run(AGENCY_BIN, ['encode', '--input', join(dir, `${name}.csv`), '--secret-file', join(dir, 'secret.key'), '--out', out, ...extra]);
    return { ...r, out };
  };
  const failsWith = async (name: string, csv: string, message: RegExp, extra: string[] = []) => {
    const r = await encode(name, csv, extra);
    t.equal(r.code, 1, `${name}: exit 1`);
    t.match(r.stderr, /^blindlink-agency: error: /m, `${name}: one error line`);
    t.match(r.stderr, message, `${name}: names the problem`);
    t.notOk(readdirSync(dir).some((f) => f.startsWith(`${name}.enc`)), `${name}: no output or partial file kept`);
  };

  await failsWith('ragged', HEADER + 'A1,Ann,Smith,01/02/1990,F,M1 1AE\nA2,Bob,Jones,02/03/1991,M\n', /line 3.*malformed CSV/);
  await failsWith('unknown-col', 'record_id,given_name,shoe_size\nA1,Ann,7\n', /unknown column "shoe_size"/);
  await failsWith('bad-map', HEADER + 'A1,Ann,Smith,01/02/1990,F,M1 1AE\n', /column "FORENAME".*not in the header/, ['--map', 'given_name=FORENAME']);
  await failsWith('bad-date', HEADER + 'A1,Ann,Smith,01/02/1990,F,M1 1AE\nA2,Bob,Jones,31/02/1991,M,M1 1AE\n', /line 3: dob/);
  await failsWith('bad-postcode', HEADER + 'A1,Ann,Smith,01/02/1990,F,QQ1 1AE\n', /line 2: postcode/);
  await failsWith('no-id', 'given_name,surname\nAnn,Smith\n', /id column "record_id"/);
  await failsWith('empty', '', /empty/);

  const r = await encode('no-secret', HEADER + 'A1,Ann,Smith,01/02/1990,F,M1 1AE\n', ['--secret-file', join(dir, 'missing.key')]);
  t.equal(r.code, 1);
  t.match(r.stderr, /secret file .*missing\.key.*ENOENT/);

  // With --on-invalid skip the good rows are encoded and the bad ones counted by reason.
  const skipped = await encode('skip', HEADER + 'A1,Ann,Smith,01/02/1990,F,M1 1AE\nA2,Bob,Jones,31/02/1991,M,M1 1AE\nA3,Cy,Brown,03/04/1992,M,B33 8TH\n', ['--on-invalid', 'skip']);
  t.equal(skipped.code, 0, skipped.stderr);
  t.match(skipped.stderr, /2 of 3 rows encoded/);
  t.match(skipped.stderr, /rejected 1: dob: /);
  t.ok(existsSync(skipped.out) && existsSync(`${skipped.out}.tokens.csv`));

  // With --on-invalid missing the row is kept, the bad field left out, and that is reported.
  const kept = await encode('missing', HEADER + 'A1,Ann,Smith,01/02/1990,F,M1 1AE\nA2,Bob,Jones,31/02/1991,M,M1 1AE\n', ['--on-invalid', 'missing']);
  t.equal(kept.code, 0, kept.stderr);
  t.match(kept.stderr, /2 of 2 rows encoded/);
  t.match(kept.stderr, /1 × left out, row kept: dob: /);
});

t.test('broker CLI: bad arguments and files get one clear line and a non-zero exit', async (t) => {
  const dir = t.testdir({ 'bad.yaml': 'id: x\nversion: one\n', 'not-yaml.yaml': 'id: [unclosed\n' });
  const data = join(dir, 'data');
  const bad = await run(BROKER_BIN, ['policy', 'load', join(dir, 'bad.yaml'), '--data-dir', data]);
  t.not(bad.code, 0);
  t.match(bad.stderr, /invalid policy/);
  t.match(bad.stderr, /\/version/);
  const yaml = await run(BROKER_BIN, ['policy', 'validate', join(dir, 'not-yaml.yaml')]);
  t.not(yaml.code, 0);
  t.match(yaml.stderr, /YAML/);
  const slug = await run(BROKER_BIN, ['agency', 'register', 'Not A Slug', '--data-dir', data]);
  t.equal(slug.code, 1);
  t.match(slug.stderr, /lower-case slug/);
  const twice = await run(BROKER_BIN, ['agency', 'register', 'alpha', '--data-dir', data]);
  t.equal(twice.code, 0);
  const again = await run(BROKER_BIN, ['agency', 'register', 'alpha', '--data-dir', data]);
  t.equal(again.code, 1);
  t.match(again.stderr, /already registered/);
  const port = await run(BROKER_BIN, ['serve', '--port', 'eighty', '--data-dir', data]);
  t.not(port.code, 0);
  t.match(port.stderr, /--port must be a whole number/);
});
