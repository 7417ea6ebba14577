import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parse } from 'csv-parse/sync';
import { encodeCsv } from '../encode/command.js';
import { readSecretFile } from '../identity/key-files.js';
import { csvLine } from '../io/csv.js';
import { readEncodedFile, readTokenMap } from '../io/encoded-file.js';
import { tokenMapPath } from '../io/row-tokens.js';
import { brokerOptions, CliError, list, mapOption, withClient } from './shared.js';

const TOKEN = /^[A-Za-z0-9_-]{22}$/;

/**
 * The row tokens to withdraw: a CSV with a row_token column (the lines of our token map for those
 * records, say), or one token per line.
 */
export function readTokens(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const rows = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true }) as string[][];
  const column = rows[0]?.indexOf('row_token') ?? -1;
  const tokens = (column >= 0 ? rows.slice(1).map((r) => r[column] ?? '') : rows.map((r) => r[0] ?? '')).map((t) =>
    t.trim(),
  );
  const bad = tokens.findIndex((t) => !TOKEN.test(t));
  // Its line only: a record id or other column of the file is never echoed.
  if (bad >= 0) throw new CliError(`${file}: line ${bad + (column >= 0 ? 2 : 1)} holds no row token`);
  if (tokens.length === 0) throw new CliError(`${file}: no row tokens`);
  return tokens;
}

/** withdraw: take rows out of our current submission (docs/rights.md). */
export function withdrawCommand(program: Command): void {
  brokerOptions(
    program
      .command('withdraw')
      .description('withdraw rows of our current submission by their row tokens; the next run links without them'),
  )
    .requiredOption('--tokens <file>', 'the row tokens: a CSV with a row_token column, or one token per line')
    .action(async (o: { broker: string; keyDir: string; purpose: string; tokens: string }) => {
      const tokens = readTokens(o.tokens);
      const r = await withClient(o, (client) => client.withdraw(o.purpose, tokens));
      process.stdout.write(JSON.stringify(r) + '\n');
      process.stderr.write(`${r.message}\n`);
    });
}

interface CorrectOptions {
  broker: string;
  keyDir: string;
  purpose: string;
  input: string;
  secretFile: string;
  tokenMap: string;
  schema: string;
  map: Record<string, string>;
  idColumn: string;
  ignore: string[];
  attributes: string[];
}

/**
 * correct: rows of our current submission replaced by the corrected rows of a CSV, matched by record
 * id through our token map. Encoded as `encode` encodes (in a private temporary folder), signed and
 * sealed; once the broker has them, the token map is rewritten with the new rows' tokens in place of
 * the old (written aside, then renamed: a failure leaves the old map whole).
 */
export function correctCommand(program: Command): void {
  brokerOptions(
    program
      .command('correct')
      .description(
        'replace rows of our current submission with corrected ones, matched by record id via our token map',
      ),
  )
    .requiredOption('--input <csv>', 'the corrected rows, with the columns the submission was encoded from')
    .requiredOption('--secret-file <file>', 'the linkage secret the submission was encoded with (never sent)')
    .requiredOption('--token-map <file>', 'our token map of the current submission (<encoded>.tokens.csv); updated')
    .option('--schema <name>', 'built-in schema name, as given to encode', 'uk-person')
    .option('--map <field=COLUMN,...>', 'take a schema field from a differently named column', mapOption, {})
    .option('--id-column <name>', "column holding the agency's own record id", 'record_id')
    .option('--ignore <columns>', 'columns that must not be encoded', list, [])
    .option('--attributes <columns>', 'non-identifying columns sent as they are, as in encode', list, [])
    .action(async (o: CorrectOptions) => {
      const map = readTokenMap(o.tokenMap);
      const secret = await readSecretFile(o.secretFile);
      const dir = mkdtempSync(join(tmpdir(), 'blindlink-correct-'));
      try {
        const out = join(dir, 'corrected.enc');
        await encodeCsv({ ...o, out, secret, onInvalid: 'fail', threads: 1 });
        const fresh = readTokenMap(tokenMapPath(out));
        const ids = new Set(fresh.values());
        const replace = [...map].filter(([, id]) => ids.has(id)).map(([token]) => token);
        const known = new Set(map.values());
        const missing = [...ids].filter((id) => !known.has(id)).length;
        if (missing)
          throw new CliError(
            `${missing} record ids of ${o.input} are not in ${o.tokenMap}: is it the map of the submission?`,
          );
        const { header, records } = readEncodedFile(out).body;
        const r = await withClient(o, (client) => client.correct(o.purpose, { replace, header, records }));
        const gone = new Set(replace);
        let text = csvLine(['row_token', 'record_id']);
        for (const [token, id] of map) if (!gone.has(token)) text += csvLine([token, id]);
        for (const [token, id] of fresh) text += csvLine([token, id]);
        writeFileSync(`${o.tokenMap}.part`, text, { mode: 0o600 });
        renameSync(`${o.tokenMap}.part`, o.tokenMap);
        process.stdout.write(JSON.stringify(r) + '\n');
        process.stderr.write(`${r.message}; ${o.tokenMap} updated\n`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
}
