import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { parse } from 'csv-parse/sync';
import { readTokenMap } from '../io/encoded-file.js';
import { type LocalColumns, offlineCss, reportPage } from '../report/html.js';
import { ReleaseFileError, releaseRows } from '../report/release-rows.js';
import { CliError, list, writeAnswer } from './shared.js';

/** govuk-frontend's compiled stylesheet, from the installed package (never fetched). */
function govukCss(): string {
  const file = createRequire(import.meta.url).resolve('govuk-frontend/dist/govuk/govuk-frontend.min.css');
  return offlineCss(readFileSync(file, 'utf8'));
}

/** The agency's own extract: the chosen columns (default: all but the id) by record id. */
function localColumns(file: string, idColumn: string, wanted: string[]): LocalColumns {
  let rows: string[][];
  try {
    rows = parse(readFileSync(file), { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
  } catch (e) {
    throw new CliError(`cannot read --records ${file}: ${(e as NodeJS.ErrnoException).code ?? 'not a CSV file'}`);
  }
  const header = (rows[0] ?? []).map((h) => h.trim());
  const id = header.indexOf(idColumn);
  if (id < 0) throw new CliError(`id column "${idColumn}" is not in the header of ${file} (set it with --id-column)`);
  const columns = wanted.length > 0 ? wanted : header.filter((_, i) => i !== id);
  const at = columns.map((c) => {
    const i = header.indexOf(c);
    if (i < 0) throw new CliError(`column "${c}" is not in the header of ${file}`);
    return i;
  });
  const byId = new Map<string, string[]>();
  for (const r of rows.slice(1))
    byId.set(
      (r[id] ?? '').trim(),
      at.map((i) => r[i] ?? ''),
    );
  return { columns, byId };
}

export function reportCommand(program: Command): void {
  program
    .command('report')
    .description(
      'make a static HTML page, on this machine, of a release we fetched: our records with their criteria or flags',
    )
    .requiredOption(
      '--release <json>',
      'a family-criteria or discrepancy release (release --out), or membership --out x.json',
    )
    .option('--tokens <file>', 'our private token map (<encoded>.tokens.csv), when the release holds bare row tokens')
    .option('--records <csv>', 'our own extract, to show its columns (names, addresses) beside each record; never sent')
    .option('--id-column <name>', 'the record id column of --records', 'record_id')
    .option('--columns <columns>', 'the columns of --records to show (default: all)', list, [])
    .requiredOption('--out <html>', 'where to write the page')
    .action(
      (o: { release: string; tokens?: string; records?: string; idColumn: string; columns: string[]; out: string }) => {
        let json: unknown;
        try {
          json = JSON.parse(readFileSync(o.release, 'utf8'));
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          throw new CliError(`cannot read --release ${o.release}: ${code ?? 'not JSON'}`);
        }
        let report: ReturnType<typeof releaseRows>;
        try {
          report = releaseRows(json, o.tokens ? readTokenMap(o.tokens) : undefined);
        } catch (e) {
          if (e instanceof ReleaseFileError) throw new CliError(`${o.release}: ${e.message}`);
          throw e;
        }
        const local = o.records ? localColumns(o.records, o.idColumn, o.columns) : undefined;
        const page = reportPage(report, {
          css: govukCss(),
          generatedAt: new Date(),
          source: basename(o.release),
          ...(local ? { local } : {}),
        });
        writeAnswer(o.out, page);
        process.stderr.write(`${report.rows.length} of our records (${report.form}) → ${o.out}\n`);
      },
    );
}
