import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { encodeCsv } from '../encode/command.js';
import { readSecretFile } from '../identity/key-files.js';
import { csvLine } from '../io/csv.js';
import { readEncodedFile } from '../io/encoded-file.js';
import { brokerOptions, CliError, list, mapOption, withClient } from './shared.js';

/** The identifier flags, as the uk-person schema's columns. */
const FLAGS: [flag: string, column: string][] = [
  ['--given-name <name>', 'given_name'],
  ['--surname <name>', 'surname'],
  ['--dob <date>', 'dob'],
  ['--sex <sex>', 'sex'],
  ['--address <line>', 'address'],
  ['--postcode <postcode>', 'postcode'],
  ['--nhs-number <number>', 'nhs_number'],
];
const camel = (column: string) => column.replace(/_(.)/g, (_m, c: string) => c.toUpperCase());

interface Options {
  broker: string;
  keyDir: string;
  purpose: string;
  secretFile: string;
  csv?: string;
  schema: string;
  map: Record<string, string>;
  idColumn: string;
  ignore: string[];
  out?: string;
  [flag: string]: unknown;
}

/**
 * subject-access: a resident asks what has been done with their data. Their identifiers (flags, or a
 * one-row CSV) are encoded here exactly as `encode` encodes an extract, with the purpose's secret, in
 * a private temporary folder removed afterwards; only the encoding goes to the broker.
 */
export function subjectAccessCommand(program: Command): void {
  const c = brokerOptions(
    program
      .command('subject-access')
      .description(
        "a resident's subject access request: which runs included them and which releases were about them " +
          '(only for a resident among our own records)',
      ),
  )
    .requiredOption('--secret-file <file>', 'the linkage secret the purpose was encoded with (never sent)')
    .option('--csv <file>', "a CSV with a header and exactly one row: the resident's identifiers")
    .option('--schema <name>', 'built-in schema name, as given to encode', 'uk-person')
    .option(
      '--map <field=COLUMN,...>',
      'with --csv: take a schema field from a differently named column',
      mapOption,
      {},
    )
    .option('--id-column <name>', 'with --csv: the id column', 'record_id')
    .option('--ignore <columns>', 'with --csv: columns that must not be encoded', list, [])
    .option('--out <file>', 'also write the answer (JSON) here');
  for (const [flag, column] of FLAGS) c.option(flag, `the resident's ${column.replace('_', ' ')}`);
  c.action(async (o: Options) => {
    const given = FLAGS.filter(([, column]) => typeof o[camel(column)] === 'string');
    if (o.csv && given.length) throw new CliError('give the identifiers either as flags or as --csv, not both');
    if (!o.csv && given.length === 0)
      throw new CliError(`give the resident's identifiers: --csv <file>, or flags such as --given-name and --dob`);
    const secret = await readSecretFile(o.secretFile);
    const dir = mkdtempSync(join(tmpdir(), 'blindlink-subject-'));
    try {
      let input = o.csv;
      if (!input) {
        input = join(dir, 'subject.csv');
        const columns = given.map(([, column]) => column);
        writeFileSync(
          input,
          csvLine(['record_id', ...columns]) + csvLine(['subject', ...columns.map((k) => String(o[camel(k)]))]),
          { mode: 0o600 },
        );
      }
      const out = join(dir, 'subject.enc');
      const summary = await encodeCsv({
        input,
        out,
        secret,
        schema: o.schema,
        map: o.csv ? o.map : {},
        idColumn: o.csv ? o.idColumn : 'record_id',
        ignore: o.csv ? o.ignore : [],
        attributes: [],
        onInvalid: 'fail',
        threads: 1,
      });
      if (summary.rows !== 1)
        throw new CliError(`${o.csv}: holds ${summary.rows} rows; a subject access request is for one resident`);
      const { header, records } = readEncodedFile(out).body;
      const answer = await withClient(o, (client) => client.subjectAccess(o.purpose, { header, record: records[0]! }));
      const text = JSON.stringify(answer, null, 2) + '\n';
      if (o.out) writeFileSync(o.out, text, { mode: 0o600 });
      process.stdout.write(text);
      process.stderr.write(
        answer.matched
          ? `matched our record (row token ${answer.token}): in ${answer.runs.length} run(s), ` +
              `${answer.releases.length} release(s) were about them\n`
          : `no match among our records in run ${answer.runId}\n`,
      );
      process.stderr.write(
        `releases are listed from ${answer.releasesCompleteSince} on; ` +
          'earlier releases are not covered (the broker did not record whom they were about)\n',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
