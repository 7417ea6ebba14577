import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse } from 'csv-parse/sync';
import { brokerOptions, CliError, withClient } from './shared.js';

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
