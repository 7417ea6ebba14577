import { randomUUID } from 'node:crypto';
import { runProgress } from './run-progress.js';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'csv-parse/sync';
import { Command, InvalidArgumentError, Option } from 'commander';
import { BrokerClient, BrokerError, enrol } from './broker/http.js';
import { BadReceiptError } from './broker/receipts.js';
import { encodeCsv, InputError } from './encode/command.js';
import { FileFormatError, readTokenMap } from './io/encoded-file.js';
import { stderrProgress } from './encode/progress.js';
import { uploadEncodedFile } from './upload/chunked.js';
import { csvLine } from './io/csv.js';
import { readSecretFile } from './identity/key-files.js';
import { encodeClkhashCommand } from './clkhash/command.js';

/** Commands a data officer runs at the agency. Nothing here sends plaintext anywhere. */

class CliError extends Error {}

function mapOption(v: string, prev: Record<string, string> = {}): Record<string, string> {
  for (const pair of v.split(',')) {
    const [field, column, ...rest] = pair.split('=');
    if (!field || !column || rest.length) throw new InvalidArgumentError(`"${pair}" is not field=COLUMN`);
    prev[field.trim()] = column.trim();
  }
  return prev;
}

const list = (v: string, prev: string[] = []) => [
  ...prev,
  ...v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];

const DEFAULT_KEY_DIR = './.blindlink-agency';

/** One mutual-TLS client per command, closed after it so no idle socket keeps the process alive. */
async function withClient<T>(o: { broker: string; keyDir: string }, fn: (c: BrokerClient) => Promise<T>): Promise<T> {
  let client: BrokerClient;
  try {
    client = new BrokerClient(o.broker, o.keyDir);
  } catch (err) {
    throw new CliError(`${(err as Error).message} (--key-dir ${o.keyDir})`);
  }
  try {
    return await fn(client);
  } finally {
    client.close();
    // An answer without its audit receipt leaves a gap an IG lead cannot check later: say so.
    if (client.missingReceipts)
      process.stderr.write(
        `warning: ${client.missingReceipts} answer(s) from the broker carried no audit receipt (blindlink-audit-head header)\n`,
      );
  }
}

function brokerOptions(c: Command, purpose = true): Command {
  c.addOption(
    new Option('--broker <url>', 'broker base URL (https://…)').env('BLINDLINK_BROKER').makeOptionMandatory(),
  ).addOption(
    new Option('--key-dir <dir>', 'the agency\'s keys and certificate (from "enrol")')
      .env('BLINDLINK_KEY_DIR')
      .default(DEFAULT_KEY_DIR),
  );
  return purpose ? c.requiredOption('--purpose <purpose>', 'the purpose (data-sharing policy) this is for') : c;
}

export function buildCli(): Command {
  const program = new Command('blindlink-agency')
    .description(
      'blindlink agency client: encode identifiers locally, submit encodings, ask the broker what policy permits.',
    )
    .showHelpAfterError();

  program
    .command('encode')
    .description('encode a CSV of person identifiers into keyed Bloom-filter encodings')
    .requiredOption('--input <csv>', 'CSV file with a header row')
    .requiredOption('--secret-file <file>', 'file holding the linkage secret shared by the agencies (never sent)')
    .requiredOption(
      '--out <file>',
      'encoded output; for blindlink format the private token map goes to <file>.tokens.csv',
    )
    .addOption(
      new Option(
        '--format <format>',
        'blindlink (default, for the broker) or clkhash ({"clks": [...]}, bit-identical to clkhash 0.18.3)',
      )
        .choices(['blindlink', 'clkhash'])
        .default('blindlink'),
    )
    .option(
      '--schema <name-or-file>',
      'blindlink: built-in schema name; clkhash: linkage schema v3 JSON file',
      'uk-person',
    )
    .option('--map <field=COLUMN,...>', 'take a schema field from a differently named column', mapOption, {})
    .option('--id-column <name>', "column holding the agency's own record id", 'record_id')
    .option('--ignore <columns>', 'columns present in the CSV that must not be encoded', list, [])
    .option(
      '--attributes <columns>',
      'non-identifying columns sent as they are (the policy must declare them: a ward, an offence category)',
      list,
      [],
    )
    .addOption(
      new Option(
        '--on-invalid <mode>',
        'a row with an invalid value: fail the run, skip the row, or keep it with that field missing',
      )
        .choices(['fail', 'skip', 'missing'])
        .default('fail'),
    )
    .action(
      async (o: {
        input: string;
        secretFile: string;
        out: string;
        format: 'blindlink' | 'clkhash';
        schema: string;
        map: Record<string, string>;
        idColumn: string;
        ignore: string[];
        attributes: string[];
        onInvalid: 'skip' | 'fail' | 'missing';
      }) => {
        const progress = (n: number) => process.stderr.write(`\rencoded ${n} rows`);
        if (o.format === 'clkhash') {
          // clkhash has no notion of a missing field beyond its sentinels: its rows pass or fail whole.
          if (o.onInvalid === 'missing')
            throw new CliError('--on-invalid missing applies to blindlink encodings; clkhash rows pass or fail whole');
          const s = await encodeClkhashCommand(
            { ...o, onInvalid: o.onInvalid },
            { warn: (line) => process.stderr.write(`warning: ${line}\n`), progress },
          );
          process.stderr.write(
            `\r${s.encoded} of ${s.rows} rows encoded in ${s.seconds.toFixed(2)} s → ${o.out}\n` +
              Object.entries(s.rejected)
                .map(([r, n]) => `  rejected ${n}: ${r}\n`)
                .join(''),
          );
          return;
        }
        const summary = await encodeCsv({ ...o, secret: await readSecretFile(o.secretFile) }, progress);
        const rejected = Object.entries(summary.rejected);
        process.stderr.write(
          `\r${summary.encoded} of ${summary.rows} rows encoded in ${summary.seconds.toFixed(2)} s ` +
            `(${Math.round(summary.rows / Math.max(summary.seconds, 1e-9))} rows/s) → ${summary.out}; token map ${summary.tokenMap}\n` +
            rejected
              .map(([reason, n]) =>
                reason.startsWith('left out') ? `  ${n} × ${reason}\n` : `  rejected ${n}: ${reason}\n`,
              )
              .join(''),
        );
      },
    );

  brokerOptions(
    program
      .command('enrol')
      .description('enrol this agency once: one-time code → client certificate (keys stay in --key-dir)'),
    false,
  )
    .requiredOption('--agency <slug>', 'the agency name the broker admin registered')
    .requiredOption('--code <code>', 'the one-time enrolment code from the broker admin')
    .requiredOption('--ca-file <file>', 'the broker CA certificate the operator handed over (compare its fingerprint)')
    .action(async (o: { broker: string; keyDir: string; agency: string; code: string; caFile: string }) => {
      let caPem: string;
      try {
        caPem = readFileSync(o.caFile, 'utf8');
      } catch (err) {
        throw new CliError(
          `cannot read --ca-file ${o.caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      }
      const r = await enrol({ baseUrl: o.broker, keyDir: o.keyDir, agency: o.agency, code: o.code, caPem });
      process.stderr.write(
        `enrolled as ${o.agency}; client certificate valid until ${r.notAfter.toISOString().slice(0, 10)}; keys in ${o.keyDir}\n`,
      );
    });

  brokerOptions(
    program
      .command('renew')
      .description('renew our client certificate (the old one is revoked once the new one is issued)'),
    false,
  ).action(async (o: { broker: string; keyDir: string }) => {
    const r = await withClient(o, (client) => client.renew());
    process.stderr.write(`certificate renewed; valid until ${r.notAfter.toISOString().slice(0, 10)}\n`);
  });

  brokerOptions(
    program
      .command('submit')
      .description(
        'sign, seal and upload an encoded file for a purpose, in chunks (resumes: run it again after a failure)',
      ),
  )
    .requiredOption('--in <file>', 'encoded file written by "encode"')
    .option(
      '--idempotency-key <key>',
      'retry key (default: derived from the file, so re-running resumes the same upload)',
    )
    .option('--chunk-records <n>', 'records per chunk', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 1_000_000)
        throw new InvalidArgumentError('--chunk-records must be a whole number from 1 to 1,000,000');
      return n;
    })
    .action(
      async (o: {
        broker: string;
        keyDir: string;
        purpose: string;
        in: string;
        idempotencyKey?: string;
        chunkRecords?: number;
      }) => {
        const bar = stderrProgress(process.stderr, { label: 'upload', showRejected: false });
        try {
          const r = await withClient(o, (client) =>
            uploadEncodedFile(client, {
              purpose: o.purpose,
              path: o.in,
              ...(o.idempotencyKey ? { idempotencyKey: o.idempotencyKey } : {}),
              ...(o.chunkRecords ? { maxChunkRecords: o.chunkRecords } : {}),
              onPlan: (plan) =>
                process.stderr.write(`${o.in}: ${plan.totalRecords} records checked, ${plan.chunks.length} chunks\n`),
              progress: (p) =>
                bar(p.records, {
                  rows: p.records,
                  rejected: 0,
                  bytesRead: p.records,
                  bytesTotal: p.totalRecords,
                  seconds: p.seconds,
                }),
              retry: {
                onRetry: (what, attempt, err, wait) => {
                  bar.finish();
                  process.stderr.write(
                    `${what}: ${err.message}; retrying in ${(wait / 1000).toFixed(1)} s (attempt ${attempt + 1})\n`,
                  );
                },
              },
            }),
          );
          bar.finish();
          process.stderr.write(
            `${r.recordCount} records stored as submission ${r.submissionId} in ${r.seconds.toFixed(1)} s (${Math.round(r.recordCount / Math.max(r.seconds, 1e-9))} rows/s); ` +
              `${r.sent} of ${r.chunks} chunks sent${r.alreadyHeld ? `, ${r.alreadyHeld} already held from an earlier attempt` : ''}${r.retries ? `, ${r.retries} retries` : ''}\n`,
          );
          const { submissionId, purpose, agency, recordCount, digest } = r;
          process.stdout.write(JSON.stringify({ submissionId, purpose, agency, recordCount, digest }) + '\n');
        } catch (err) {
          bar.finish();
          if (err instanceof BrokerError && err.code === 'submission-already-stored') {
            process.stderr.write(`already stored: ${err.message}\n`);
            // Stored but no longer current: the file the agency meant to submit is not what runs link.
            if ((err.details as { current?: boolean } | undefined)?.current === false) process.exitCode = 1;
            return;
          }
          throw err;
        }
      },
    );

  brokerOptions(
    program
      .command('run')
      .description(
        'ask the broker to link the latest submissions for a purpose, and wait for the run (progress on stderr)',
      ),
  )
    .option('--full', 'relink everything and re-fit the model instead of continuing the previous run')
    .option('--no-wait', 'print the queued run (its id) and return at once; follow it with GET …/runs/<id>')
    .action(async (o: { broker: string; keyDir: string; purpose: string; full?: boolean; wait: boolean }) => {
      await withClient(o, async (client) => {
        const queued = await client.startRun(o.purpose, o.full ? 'full' : 'auto');
        if (!o.wait) {
          process.stdout.write(JSON.stringify(queued) + '\n');
          return;
        }
        const show = runProgress();
        const done = await client.waitForRun(o.purpose, queued.runId, { onStatus: show });
        show.finish();
        process.stdout.write(JSON.stringify(done) + '\n');
        if (done.status !== 'completed') {
          process.stderr.write(`blindlink-agency: run ${done.runId} failed: ${done.error ?? 'no reason given'}\n`);
          process.exitCode = 1;
        }
      });
    });

  brokerOptions(
    program.command('membership').description('is each of our records known to another agency? writes record_id,known'),
  )
    .requiredOption('--of <agency>', 'the contributing agency to ask about')
    .requiredOption('--tokens <file>', 'our private token map (<encoded>.tokens.csv)')
    .requiredOption('--out <csv>', 'where to write record_id,known')
    .action(async (o: { broker: string; keyDir: string; purpose: string; of: string; tokens: string; out: string }) => {
      const map = readTokenMap(o.tokens);
      const r = await withClient(o, (client) => client.membership(o.purpose, o.of));
      const known = new Map(r.answers.map((a) => [a.token, a.known]));
      const unmapped = r.answers.filter((a) => !map.has(a.token)).length;
      if (unmapped > 0)
        throw new CliError(
          `${unmapped} answers carry row tokens that are not in ${o.tokens}: is it the token map of the submitted file?`,
        );
      // In the agency's own record order; rows the broker did not answer for are left out, not guessed.
      let out = csvLine(['record_id', 'known']);
      for (const [token, id] of map) if (known.has(token)) out += csvLine([id, known.get(token) ? 'yes' : 'no']);
      writeFileSync(`${o.out}.part`, out, { mode: 0o600 });
      renameSync(`${o.out}.part`, o.out);
      const yes = r.answers.filter((a) => a.known).length;
      process.stderr.write(
        `${yes} of ${r.answers.length} records known to ${o.of} (policy ${r.policy.id} v${r.policy.version}, rule ${r.policy.rule}) → ${o.out}\n`,
      );
    });

  brokerOptions(
    program
      .command('release')
      .description(
        'ask for a release the policy grants us (pseudonym, family-criteria, aggregate, discrepancy); rows come back with our record ids',
      ),
  )
    .requiredOption('--form <form>', 'pseudonym | family-criteria | aggregate | discrepancy')
    .option('--rule <id>', 'the rule, when the policy grants several of this form')
    .option('--tokens <file>', 'our private token map, to put our record ids back')
    .requiredOption('--out <file>', 'where to write the answer (JSON)')
    .action(
      async (o: {
        broker: string;
        keyDir: string;
        purpose: string;
        form: string;
        rule?: string;
        tokens?: string;
        out: string;
      }) => {
        const r = await withClient(o, (client) => client.release(o.purpose, o.form, o.rule));
        const map = o.tokens ? readTokenMap(o.tokens) : undefined;
        // Row tokens mean nothing outside the agency: replace them with our own record ids where we can.
        const text = JSON.stringify(
          r,
          (key, value) =>
            map && key === 'token' && typeof value === 'string'
              ? { token: value, record_id: map.get(value) ?? null }
              : map && key === 'tokens' && Array.isArray(value)
                ? value.map((t: string) => ({ token: t, record_id: map.get(t) ?? null }))
                : value,
          2,
        );
        writeFileSync(`${o.out}.part`, text + '\n', { mode: 0o600 });
        renameSync(`${o.out}.part`, o.out);
        process.stderr.write(`${o.form} release for ${o.purpose} → ${o.out}\n`);
      },
    );

  program
    .command('resolve')
    .description('put our own record ids back on an entities file from the broker or "blindlink-broker link"')
    .requiredOption('--tokens <file>', 'our private token map (<encoded>.tokens.csv)')
    .requiredOption('--in <csv>', 'entities file: entity_id,source,row_token')
    .requiredOption('--out <csv>', 'where to write entity_id,record_id')
    .option('--source <name>', "our source name in the entities file (default: the token map's file name)")
    .action(async (o: { tokens: string; in: string; out: string; source?: string }) => {
      const map = readTokenMap(o.tokens);
      const source =
        o.source ??
        basename(o.tokens)
          .replace(/\.tokens\.csv$/, '')
          .replace(/\.enc$/, '');
      const rows = parse(readFileSync(o.in), { bom: true }) as string[][];
      if (rows[0]?.join(',') !== 'entity_id,source,row_token')
        throw new CliError(`${o.in}: expected the header entity_id,source,row_token`);
      let out = csvLine(['entity_id', 'record_id']);
      let mine = 0;
      for (const [entity, src, token] of rows.slice(1)) {
        if (src !== source) continue;
        const id = map.get(token!);
        if (id === undefined)
          throw new CliError(
            `${o.in}: row token of source ${source} not in ${o.tokens}: is it the token map of the file that was linked?`,
          );
        out += csvLine([entity!, id]);
        mine++;
      }
      if (mine === 0) throw new CliError(`${o.in} holds no rows of source "${source}" (set --source)`);
      writeFileSync(`${o.out}.part`, out, { mode: 0o600 });
      renameSync(`${o.out}.part`, o.out);
      process.stderr.write(`${mine} of our records resolved → ${o.out}\n`);
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    const known = err instanceof CliError || err instanceof InputError || err instanceof FileFormatError;
    const msg =
      err instanceof BadReceiptError
        ? `AUDIT RECEIPT REJECTED: ${err.message}`
        : err instanceof BrokerError
          ? `broker refused (${err.status} ${err.code}): ${err.message}`
          : err instanceof Error
            ? err.message
            : String(err);
    process.stderr.write(`blindlink-agency: error: ${msg}\n`);
    if (!known && !(err instanceof BrokerError) && process.env.BLINDLINK_DEBUG)
      process.stderr.write(String((err as Error).stack) + '\n');
    process.exitCode = 1;
  }
}
