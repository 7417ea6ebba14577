import { closeSync, openSync, readSync } from 'node:fs';
import { CsvError } from 'csv-parse';

/**
 * CSV field quoting for the files the client writes (RFC 4180): the one implementation; fields with
 * separators, quotes, line breaks or edge spaces are quoted.
 */
export function csvField(v: string): string {
  return /[",\r\n]/.test(v) || /^\s|\s$/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function csvLine(fields: readonly string[]): string {
  return fields.map(csvField).join(',') + '\n';
}

/** Delimiters a spreadsheet might have saved instead of the comma, by the name a person knows them by. */
const DELIMITERS: [string, string][] = [
  [';', 'semicolon'],
  ['\t', 'tab'],
  ['|', 'pipe'],
];

/**
 * The delimiter a CSV file's first line suggests when it is not the comma ('semicolon', 'tab', 'pipe'),
 * or undefined. Reads only the first line (the header, column names).
 */
export function likelyDelimiter(file: string): string | undefined {
  let first: string;
  try {
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(64 * 1024);
      first = buf
        .subarray(0, readSync(fd, buf, 0, buf.length, 0))
        .toString('utf8')
        .split(/\r?\n/)[0]!;
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const count = (c: string) => first.split(c).length - 1;
  const [best] = DELIMITERS.map(([c, name]) => [count(c), name] as const)
    .filter(([n]) => n > count(','))
    .sort((a, b) => b[0] - a[0]);
  return best?.[1];
}

/** What went wrong, by csv-parse's error code, in words that quote nothing from the file. */
// csv-parse 7's codes, as it spells them (one has no CSV_ prefix).
const CSV_PROBLEMS: Record<string, string> = {
  INVALID_OPENING_QUOTE: 'a quote opens in the middle of a field',
  CSV_INVALID_CLOSING_QUOTE: 'a quoted field goes on after its closing quote',
  CSV_QUOTE_NOT_CLOSED: 'a quote is never closed',
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: 'the row has a different number of fields from the header',
  CSV_RECORD_INCONSISTENT_COLUMNS: 'the row has a different number of fields from the header',
};

/**
 * A csv-parse failure as one line naming the file, the line and the likely delimiter. Never its own
 * message: csv-parse quotes the offending field, which may be a name or a date of birth.
 */
export function describeCsvError(file: string | undefined, err: unknown): string | undefined {
  if (!(err instanceof CsvError)) return undefined;
  const lines = (err as CsvError & { lines?: number }).lines;
  const where = `${file ?? 'the CSV input'}${lines ? ` line ${lines}` : ''}`;
  const delimiter = file ? likelyDelimiter(file) : undefined;
  return (
    `${where}: malformed CSV: ${CSV_PROBLEMS[err.code] ?? `parser error ${err.code}`}` +
    (delimiter ? `; the file looks ${delimiter}-delimited: save it as comma-separated (CSV) values` : '')
  );
}
