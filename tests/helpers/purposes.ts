import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { csvLine, encodeCsv } from '@blindlink/agency-client';

/** A CSV file as header + rows of objects (synthetic extracts and truth files). */
export function readCsv(path: string): { header: string[]; rows: Record<string, string>[] } {
  let header: string[] = [];
  const rows = parse(readFileSync(path), { bom: true, columns: (h: string[]) => (header = h) }) as Record<
    string,
    string
  >[];
  return { header, rows };
}

export function writeCsv(path: string, header: string[], rows: Record<string, string>[]): void {
  writeFileSync(path, [csvLine(header), ...rows.map((r) => csvLine(header.map((h) => r[h] ?? '')))].join(''));
}

/**
 * Columns the encoder must ignore: everything that is neither the id, a permitted identifier nor a declared attribute.
 */
export function ignoredColumns(
  header: string[],
  identifiers: readonly string[],
  attributes: readonly string[],
): string[] {
  return header.filter((h) => h !== 'record_id' && !identifiers.includes(h) && !attributes.includes(h));
}

/** The identifiers of a synthetic extract that the tests encode. */
export const IDENTIFIERS = ['given_name', 'surname', 'dob', 'sex', 'address', 'postcode', 'nhs_number'];

/**
 * Encode a synthetic extract's identifiers (and the named attribute columns) with `schema`, as an agency
 * would, on one thread; returns `out`.
 */
export async function encodeIdentifiers(
  csv: string,
  out: string,
  secret: Buffer,
  schema = 'uk-person',
  attributes: string[] = [],
): Promise<string> {
  await encodeCsv({
    input: csv,
    out,
    secret,
    schema,
    map: {},
    idColumn: 'record_id',
    ignore: ignoredColumns(readCsv(csv).header, IDENTIFIERS, attributes),
    attributes,
    onInvalid: 'missing',
    threads: 1,
  });
  return out;
}

/** Precision and recall of a predicted set against a true set. */
export function precisionRecall<T>(
  predicted: Set<T>,
  truth: Set<T>,
): { tp: number; fp: number; fn: number; precision: number; recall: number } {
  let tp = 0;
  for (const p of predicted) if (truth.has(p)) tp++;
  const fp = predicted.size - tp;
  const fn = truth.size - tp;
  return { tp, fp, fn, precision: predicted.size ? tp / predicted.size : 0, recall: truth.size ? tp / truth.size : 0 };
}
