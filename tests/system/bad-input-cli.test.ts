import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { seededRandom } from '@blindlink/broker/prng';
import { AGENCY_BIN, BROKER_BIN, run } from '../helpers/processes.js';

const HEADER = 'record_id,given_name,surname,dob,sex,postcode\n';

t.test('encode: each kind of bad input is named, exits non-zero and leaves no output', async (t) => {
  const dir = t.testdir({ 'secret.key': 'a shared linkage secret that only agencies hold\n' });
  chmodSync(join(dir, 'secret.key'), 0o600); // the agency refuses a secret others can read
  const encode = async (name: string, csv: string, extra: string[] = []) => {
    writeFileSync(join(dir, `${name}.csv`), csv);
    const out = join(dir, `${name}.enc`);
    const r = await run(AGENCY_BIN, [
      'encode',
      '--input',
      join(dir, `${name}.csv`),
      '--secret-file',
      join(dir, 'secret.key'),
      '--out',
      out,
      ...extra,
    ]);
    return { ...r, out };
  };
  const failsWith = async (name: string, csv: string, message: RegExp, extra: string[] = []) => {
    const r = await encode(name, csv, extra);
    t.equal(r.code, 1, `${name}: exit 1`);
    t.match(r.stderr, /^blindlink-agency: error: /m, `${name}: one error line`);
    t.match(r.stderr, message, `${name}: names the problem`);
    t.notOk(
      readdirSync(dir).some((f) => f.startsWith(`${name}.enc`)),
      `${name}: no output or partial file kept`,
    );
  };

  await failsWith('unknown-col', 'record_id,given_name,shoe_size\nA1,Ann,7\n', /unknown column "shoe_size"/);
  await failsWith('bad-map', HEADER + 'A1,Ann,Smith,01/02/1990,F,M1 1AE\n', /column "FORENAME".*not in the header/, [
    '--map',
    'given_name=FORENAME',
  ]);
  // Strict mode, asked for: the first invalid value stops the run.
  const strict = ['--on-invalid', 'fail'];
  await failsWith(
    'ragged',
    HEADER + 'A1,Ann,Smith,01/02/1990,F,M1 1AE\nA2,Bob,Jones,02/03/1991,M\n',
    /line 3.*malformed CSV/,
    strict,
  );
  await failsWith(
    'unclosed',
    HEADER + 'A1,"Ann,Smith,01/02/1990,F,M1 1AE\n',
    /line \d+.*malformed CSV: a quote is never closed/,
    strict,
  );
  await failsWith(
    'bad-date',
    HEADER + 'A1,Ann,Smith,01/02/1990,F,M1 1AE\nA2,Bob,Jones,31/02/1991,M,M1 1AE\n',
    /line 3: dob/,
    strict,
  );
  await failsWith('bad-postcode', HEADER + 'A1,Ann,Smith,01/02/1990,F,QQ1 1AE\n', /line 2: postcode/, strict);
  await failsWith('no-id', 'given_name,surname\nAnn,Smith\n', /id column "record_id"/);
  await failsWith('empty', '', /empty/);

  const r = await encode('no-secret', HEADER + 'A1,Ann,Smith,01/02/1990,F,M1 1AE\n', [
    '--secret-file',
    join(dir, 'missing.key'),
  ]);
  t.equal(r.code, 1);
  t.match(r.stderr, /secret file .*missing\.key.*ENOENT/);

  // With --on-invalid skip the good rows are encoded and the bad ones counted by reason.
  const skipped = await encode(
    'skip',
    HEADER + 'A1,Ann,Smith,01/02/1990,F,M1 1AE\nA2,Bob,Jones,31/02/1991,M,M1 1AE\nA3,Cy,Brown,03/04/1992,M,B33 8TH\n',
    ['--on-invalid', 'skip'],
  );
  t.equal(skipped.code, 0, skipped.stderr);
  t.match(skipped.stderr, /2 of 3 rows encoded/);
  t.match(skipped.stderr, /rejected 1: dob: /);
  t.ok(existsSync(skipped.out) && existsSync(`${skipped.out}.tokens.csv`));
});

t.test(
  'encode by default: invalid values left missing, counted per field, listed locally; mojibake repaired',
  async (t) => {
    const dir = t.testdir({ 'secret.key': 'a shared linkage secret that only agencies hold\n' });
    chmodSync(join(dir, 'secret.key'), 0o600);
    const secret = ['--secret-file', join(dir, 'secret.key')];
    const rows = [
      'A1,Ann,Smith,01/02/1990,F,M1 1AE', // valid
      'A2,Bob,Jones,31/02/1991,M,QQ1 1AE', // two invalid values: kept, both left missing
      'A3,SiÃ¢n,Oâ€™Neill,03/04/1992,F,M1 1AE', // UTF-8 read as Windows-1252: repaired
      'A4,Ren?e,Müller,04/05/1993,F,B33 8TH', // a lost letter; genuine Latin-1 text left as it is
      'A5,Cy <script>,Brown,05/06/1994,M,B33 8TH', // not a name: left missing
      ',Dee,Gray,06/07/1995,F,B33 8TH', // no record id: the row cannot be kept
    ];
    writeFileSync(join(dir, 'in.csv'), HEADER + rows.join('\n') + '\n');
    writeFileSync(
      join(dir, 'clean.csv'),
      HEADER + 'A1,Ann,Smith,01/02/1990,F,M1 1AE\nA3,Siân,O’Neill,03/04/1992,F,M1 1AE\n',
    );
    const encode = (input: string, out: string) =>
      run(AGENCY_BIN, ['encode', '--input', join(dir, input), ...secret, '--out', join(dir, out)]);
    const r = await encode('in.csv', 'in.enc');
    t.equal(r.code, 0, r.stderr);
    t.match(r.stderr, /5 of 6 rows encoded/);
    t.match(r.stderr, /invalid values left missing \(rows kept\): (?=.*dob 1)(?=.*postcode 1)(?=.*given_name 1)/);
    t.match(
      r.stderr,
      /values repaired: (?=.*given_name 1 \(mojibake\))(?=.*surname 1 \(mojibake\))(?=.*given_name 1 \(lost letter\))/,
    );
    t.match(r.stderr, /rejected 1: record_id: empty record id/);
    t.match(r.stderr, /in\.enc\.rejects\.csv \(it stays here: never sent\)/);
    t.notMatch(r.stderr, /Bob|Jones|QQ1|script|Dee/, 'no value from the file on the terminal');

    const rejects = readFileSync(join(dir, 'in.enc.rejects.csv'), 'utf8').trim().split('\n');
    t.same(rejects[0], 'row,line,record_id,field,reason,outcome');
    t.same(
      rejects.slice(1).map((l) => l.split(',').slice(0, 4).join(',')),
      ['2,3,A2,dob', '2,3,A2,postcode', '5,6,A5,given_name', '6,7,,record_id'],
      'one line per invalid value, with row, line, record id and field',
    );
    t.match(rejects[1], /left missing, row kept/);
    t.match(rejects[4], /row left out/);
    t.equal(statSync(join(dir, 'in.enc.rejects.csv')).mode & 0o077, 0, 'readable by the agency alone');

    // A repaired value encodes as the clean value would: the same row of a clean extract gives the same filters.
    const c = await encode('clean.csv', 'clean.enc');
    t.equal(c.code, 0, c.stderr);
    const fields = (file: string, id: string) => {
      const tokens = new Map(
        readFileSync(join(dir, `${file}.tokens.csv`), 'utf8')
          .trim()
          .split('\n')
          .slice(1)
          .map((l) => l.split(',') as [string, string]),
      );
      const lines = readFileSync(join(dir, file), 'utf8').trim().split('\n').slice(1);
      const { token: _token, ...rec } = lines.map((l) => JSON.parse(l)).find((x) => tokens.get(x.token) === id);
      return rec as { clk: string; fields: Record<string, string>; blocks: string[] };
    };
    t.same(
      Object.keys(fields('in.enc', 'A2').fields),
      ['given_name', 'surname'],
      'A2 kept without dob and postcode filters',
    );
    t.same(fields('in.enc', 'A3'), fields('clean.enc', 'A3'), 'A3 repaired encodes exactly as the clean extract');
  },
);

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

t.test(
  'broker link: --adults and --children keep an adults-only and a children-only record apart; bad names are refused',
  async (t) => {
    // Three clkhash files whose first records are identical CLKs (Dice 1 with each other), the second a different
    // person's.
    const clk = (seed: number) => {
      const r = seededRandom(seed);
      return Buffer.from(Array.from({ length: 128 }, () => Math.floor(r() * 256))).toString('base64');
    };
    const file = JSON.stringify({ clks: [clk(1), clk(2)] });
    const dir = t.testdir({ 'ct.json': file, 'gp.json': file, 'school.json': file });
    const inputs = ['ct', 'gp', 'school'].map((n) => join(dir, `${n}.json`));
    const entities = async (out: string, flags: string[]) => {
      const r = await run(BROKER_BIN, ['link', ...inputs, '--out', join(dir, out), ...flags]);
      t.equal(r.code, 0, r.stderr);
      const [header, ...lines] = readFileSync(join(dir, out), 'utf8').trim().split('\n');
      t.equal(header, 'entity_id,household_id,source,row_token');
      const rows = lines.map((l) => l.split(','));
      const entityOf = (source: string, token: string) => rows.find((x) => x[2] === source && x[3] === token)![0];
      return { entityOf, count: new Set(rows.map((x) => x[0])).size };
    };
    const plain = await entities('plain.csv', []);
    t.equal(plain.count, 2, 'undeclared: the three copies of each person are one entity');
    const declared = await entities('declared.csv', ['--adults', 'ct', '--children', 'school']);
    t.equal(declared.count, 4, 'declared: the school record cannot join the entity holding the council-tax record');
    t.equal(declared.entityOf('ct', '0'), declared.entityOf('gp', '0'), 'council tax with GP (adults with anyone)');
    t.not(declared.entityOf('school', '0'), declared.entityOf('gp', '0'), 'school apart from them');

    const fails = async (flags: string[], message: RegExp) => {
      const r = await run(BROKER_BIN, ['link', ...inputs, '--out', join(dir, 'bad.csv'), ...flags]);
      t.equal(r.code, 1, `${flags.join(' ')}: exit 1`);
      t.match(r.stderr, /^blindlink-broker: error: /m, 'one error line');
      t.match(r.stderr, message, 'names the problem');
      t.notOk(existsSync(join(dir, 'bad.csv')), 'and writes nothing');
    };
    await fails(['--adults', 'ct,council'], /--adults names council, which is not an input \(inputs: ct, gp, school\)/);
    await fails(['--children', 'pupils'], /--children names pupils, which is not an input/);
    await fails(['--adults', 'ct', '--children', 'school,ct'], /ct is named in both --adults and --children/);
  },
);
