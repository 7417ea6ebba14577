import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { encodeClkhashCommand } from '../clkhash/command.js';
import { encodeCsv, type EncodeSummary } from '../encode/command.js';
import { tokenMapPath } from '../io/row-tokens.js';
import { readSecretFile } from '../identity/key-files.js';
import { encodeProgress, progress } from './progress.js';
import { CliError, list, mapOption } from './shared.js';

/**
 * Refuses an --out that cannot be written, or that would replace an earlier encoding unasked:
 * its token map is the agency's only way back from a release to its own records.
 */
function checkOut(out: string, format: 'blindlink' | 'clkhash', force: boolean): void {
  const folder = dirname(resolve(out));
  if (!existsSync(folder) || !statSync(folder).isDirectory())
    throw new CliError(`--out ${out}: the folder ${folder} does not exist; create it first`);
  if (force) return;
  const tokens = tokenMapPath(out);
  if (format === 'blindlink' && existsSync(tokens))
    throw new CliError(
      `${tokens} exists: it is the only way back from a release to the records of an earlier encoding. ` +
        'Give --force to replace it and the encoded file, or choose another --out',
    );
  if (existsSync(out)) throw new CliError(`${out} exists: give --force to replace it, or choose another --out`);
}

/** Lines in a file (a clkhash input's rows, for the progress bar's total): counted, never read as text. */
function countLines(file: string): number {
  let lines = 0;
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) {
      for (let i = buf.indexOf(10); i >= 0 && i < n; i = buf.indexOf(10, i + 1)) lines++;
    }
  } finally {
    closeSync(fd);
  }
  return lines;
}

/** The agency's list of rejected rows and values left missing, beside the encoded file (never sent). */
export const rejectsPath = (out: string): string => `${out}.rejects.csv`;

/** Counts per field of what was not taken as given: values left missing, values repaired, rows left out. */
function inputReport(s: Pick<EncodeSummary, 'leftMissing' | 'repaired' | 'rejected'>, rejectsFile: string): string {
  // Repairs are counted as `field: repair`; shown as `field 3 (repair)`.
  const counts = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, n]) => {
        const [field, what] = k.split(': ');
        return `${field} ${n.toLocaleString('en-GB')}${what ? ` (${what})` : ''}`;
      })
      .join(', ');
  let text = '';
  const missing = Object.values(s.leftMissing).reduce((a, b) => a + b, 0);
  if (missing > 0) text += `  invalid values left missing (rows kept): ${counts(s.leftMissing)}\n`;
  if (Object.keys(s.repaired).length > 0) text += `  values repaired: ${counts(s.repaired)}\n`;
  for (const [reason, n] of Object.entries(s.rejected)) text += `  rejected ${n}: ${reason}\n`;
  if (missing > 0 || Object.keys(s.rejected).length > 0)
    text += `  rows and fields listed in ${rejectsFile} (it stays here: never sent)\n`;
  return text;
}

export function encodeCommand(program: Command): void {
  program
    .command('encode')
    .description('encode a CSV of person identifiers into keyed Bloom-filter encodings')
    .requiredOption('--input <csv>', 'CSV file with a header row')
    .requiredOption('--secret-file <file>', 'file holding the linkage secret shared by the agencies (never sent)')
    .requiredOption(
      '--out <file>',
      'encoded output; for blindlink format the private token map goes to <file>.tokens.csv',
    )
    .option('--force', 'replace an existing output and its token map')
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
        'an invalid value: leave it missing and list it in <out>.rejects.csv (default), skip its row, or fail the run',
      )
        .choices(['missing', 'skip', 'fail'])
        .default('missing'),
    )
    .action(
      async (o: {
        input: string;
        secretFile: string;
        out: string;
        force?: boolean;
        format: 'blindlink' | 'clkhash';
        schema: string;
        map: Record<string, string>;
        idColumn: string;
        ignore: string[];
        attributes: string[];
        onInvalid: 'skip' | 'fail' | 'missing';
      }) => {
        checkOut(o.out, o.format, o.force === true);
        if (o.format === 'clkhash') {
          let total = 0;
          try {
            total = Math.max(1, countLines(o.input) - 1);
          } catch {
            // An unreadable input is reported by the encoder, with its reason.
          }
          const started = Date.now();
          const rate = (done: number) => Math.round(done / Math.max((Date.now() - started) / 1000, 1e-9));
          const bar = progress({ label: 'encode', total });
          const s = await encodeClkhashCommand(
            { ...o, rejectsFile: rejectsPath(o.out) },
            {
              warn: (line) => bar.log(`warning: ${line}`),
              progress: (done) =>
                bar.update(
                  done,
                  `${done.toLocaleString('en-GB')} of ~${total.toLocaleString('en-GB')} rows, ` +
                    `${rate(done).toLocaleString('en-GB')} rows/s`,
                ),
            },
          ).finally(() => bar.stop());
          process.stderr.write(
            `${s.encoded} of ${s.rows} rows encoded in ${s.seconds.toFixed(2)} s → ${o.out}\n` +
              inputReport({ ...s, repaired: {} }, rejectsPath(o.out)),
          );
          return;
        }
        const show = encodeProgress();
        const rejectsFile = rejectsPath(o.out);
        const summary = await encodeCsv(
          { ...o, secret: await readSecretFile(o.secretFile), rejectsFile },
          (_rows, info) => show(info),
        ).finally(() => show.stop());
        process.stderr.write(
          `${summary.encoded} of ${summary.rows} rows encoded in ${summary.seconds.toFixed(2)} s ` +
            `(${Math.round(summary.rows / Math.max(summary.seconds, 1e-9))} rows/s) → ${summary.out}; ` +
            `token map ${summary.tokenMap}\n` +
            inputReport(summary, rejectsFile),
        );
      },
    );
}
