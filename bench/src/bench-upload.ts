/**
 * Chunked upload at size (docs/submissions.md): a broker process and `blindlink-agency submit` as a
 * separate process, over mutual TLS, as an agency would run them. Prints wall time, rows/s and the
 * peak resident memory of each side. Not part of the test suite.
 *
 *   node bench/dist/bench-upload.js [--rows 1000000] [--database-url postgres://…]   (default: PGlite)
 *
 * Up to 100,000 rows are encoded with the real encoder from a generated CSV; a larger file repeats
 * those records under fresh row tokens (same record shape and size as real encodings).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeCsv } from '@blindlink/agency-client';
import { AGENCY_BIN, BROKER_BIN, must, ROOT, start } from './system/processes.js';

const AGENCY = AGENCY_BIN;
const BROKER = BROKER_BIN;

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const ROWS = Number(arg('rows') ?? 100_000);
const DATABASE_URL = arg('database-url');

/** Peak resident set (VmHWM) of a live process, MB. */
const peakMb = (pid: number) =>
  Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

const GIVEN = [
  'Siobhan',
  'Gwendolyn',
  'Bartholomew',
  'Ignatius',
  'Philippa',
  'Leopold',
  'Rosalind',
  'Cuthbert',
  'Marguerite',
  'Percival',
  'Wilhelmina',
  'Augustus',
];
const SURNAME = [
  'Abernathy',
  'Blackwood',
  'Cartwright',
  'Delacroix',
  'Ellsworth',
  'Fairbanks',
  'Greenhalgh',
  'Hollingsworth',
  'Inglethorpe',
  'Jefferson',
  'Kingsbury',
];
const POSTCODES = ['SW1A 1AA', 'EC1A 1BB', 'M1 1AE', 'B33 8TH', 'CR2 6XH', 'DN55 1PT', 'W1A 0AX', 'LS1 4DY'];

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-upload-'));
  const dataDir = join(dir, 'broker');
  const env = { DATABASE_URL };
  try {
    const base = Math.min(ROWS, 100_000);
    const lines = ['record_id,given_name,surname,dob,sex,postcode'];
    for (let i = 0; i < base; i++) {
      const dob =
        `${1940 + ((i * 7) % 60)}-${String(1 + ((i * 5) % 12)).padStart(2, '0')}-` +
        `${String(1 + ((i * 11) % 28)).padStart(2, '0')}`;
      lines.push(
        `R${i},${GIVEN[i % GIVEN.length]},${SURNAME[(i * 3 + Math.floor(i / 12)) % SURNAME.length]},${dob}` +
          `,${i % 2 ? 'M' : 'F'},${POSTCODES[i % POSTCODES.length]}`,
      );
    }
    writeFileSync(join(dir, 'in.csv'), lines.join('\n') + '\n');
    const secret = Buffer.from('bench secret shared by agencies only');
    let t = Date.now();
    await encodeCsv({
      input: join(dir, 'in.csv'),
      out: join(dir, 'base.enc'),
      secret,
      schema: 'uk-person',
      map: {},
      idColumn: 'record_id',
      ignore: [],
      onInvalid: 'fail',
    });
    process.stderr.write(`encoded ${base} rows in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
    let file = join(dir, 'base.enc');
    if (ROWS > base) {
      // Repeat the records under fresh tokens, streaming, to reach ROWS.
      const [headerLine, ...records] = readFileSync(file, 'utf8').trimEnd().split('\n');
      const header = JSON.parse(headerLine!) as { recordCount: number };
      header.recordCount = ROWS;
      file = join(dir, 'big.enc');
      const out = createWriteStream(file);
      const write = (s: string) =>
        out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r()));
      await write(JSON.stringify(header) + '\n');
      for (let i = 0; i < ROWS; i++) {
        const rec = records[i % records.length]!;
        await write(`{"token":"${randomBytes(16).toString('base64url')}"${rec.slice(rec.indexOf(',"clk"'))}\n`);
      }
      await new Promise<void>((r) => out.end(() => r()));
    }

    // The operator: register the agency, load and approve a policy (before serving: PGlite is single-process).
    const code = JSON.parse(
      (await must(BROKER, ['agency', 'register', 'council-tax', '--data-dir', dataDir], env)).stdout,
    ).enrolmentCode as string;
    await must(
      BROKER,
      ['policy', 'load', join(ROOT, 'policies/examples/community-safety.yaml'), '--data-dir', dataDir],
      env,
    );
    const ig = await must(BROKER, ['user', 'add', 'iona', '--role', 'ig-lead', '--data-dir', dataDir], env);
    writeFileSync(join(dir, 'iona.pw'), JSON.parse(ig.stdout).password + '\n');
    await must(
      BROKER,
      [
        'policy',
        'approve',
        'csp-2026',
        '1',
        '--as',
        'iona',
        '--password-file',
        join(dir, 'iona.pw'),
        '--data-dir',
        dataDir,
      ],
      env,
    );

    const broker = await start(
      BROKER,
      ['serve', '--port', '0', '--data-dir', dataDir],
      { ...env, LOG_LEVEL: 'warn' },
      /listening on (https:\/\/\S+)/,
    );
    const url = broker.match![1]!;
    try {
      const agencyEnv = { BLINDLINK_BROKER: url };
      await must(
        AGENCY,
        [
          'enrol',
          '--agency',
          'council-tax',
          '--code',
          code,
          '--ca-file',
          join(dataDir, 'keys', 'ca.cert.pem'),
          '--key-dir',
          join(dir, 'keys'),
        ],
        agencyEnv,
      );
      const brokerBefore = peakMb(broker.pid!);
      t = Date.now();
      // /usr/bin/time -v reports the client's peak resident set when it exits.
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const c = spawn(
          '/usr/bin/time',
          [
            '-v',
            process.execPath,
            AGENCY,
            'submit',
            '--key-dir',
            join(dir, 'keys'),
            '--purpose',
            'community-safety',
            '--in',
            file,
          ],
          { env: { ...process.env, ...agencyEnv } },
        );
        let stderr = '';
        c.stderr.on('data', (d) => (stderr += d));
        c.on('close', (code) => resolve({ code, stderr }));
      });
      const seconds = (Date.now() - t) / 1000;
      if (r.code !== 0) throw new Error(`submit failed: ${r.stderr}`);
      const clientPeak = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1]) / 1024;
      console.log(
        JSON.stringify({
          rows: ROWS,
          storage: DATABASE_URL ? 'postgres' : 'pglite',
          fileMB: +(statSync(file).size / 2 ** 20).toFixed(1),
          seconds: +seconds.toFixed(1),
          rowsPerSecond: Math.round(ROWS / seconds),
          clientPeakRssMB: Math.round(clientPeak),
          brokerPeakRssMB: Math.round(peakMb(broker.pid!)),
          brokerRssBeforeUploadMB: Math.round(brokerBefore),
          load: (await import('node:os')).loadavg().map((x) => +x.toFixed(1)),
        }),
      );
      process.stderr.write(
        r.stderr
          .split('\n')
          .filter((l) => /stored as submission|chunks/.test(l))
          .join('\n') + '\n',
      );
    } finally {
      await broker.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
