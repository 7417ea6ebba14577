/**
 * `blindlink-agency encode` (blindlink format): CSV with a header → encoded file (JSON lines: the
 * header, then one record per row) and the agency's private token map `<out>.tokens.csv`.
 *
 * Streaming: rows are read, encoded in batches (on worker threads when there are several cores)
 * and written in input order, with a bounded number of batches in flight, so memory stays flat
 * whatever the input size. The header's record count is known only at the end, so a fixed-width
 * space-padded placeholder line is written first and overwritten in place (JSON allows the
 * trailing spaces); the body is never copied. Everything is written under temporary names and
 * renamed at the end: a failure leaves no partial output.
 */
import { createReadStream, createWriteStream, renameSync, rmSync, statSync, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { parse } from 'csv-parse';
import { encodedFileHeader, type EncodedHeader } from '@blindlink/protocol';
import { TOKEN_MAP_HEADER, tokenMapPath } from '../io/row-tokens.js';
import { csvLine, describeCsvError, likelyDelimiter } from '../io/csv.js';
import { inThreadEncoder, workerPoolEncoder, type BatchEncoder, type BatchOutput } from './batch-encoding.js';
import type { RecordEncoderSetup } from './record-encoder.js';
import {
  effectiveSchema,
  flipProbability,
  hardenedBits,
  hardeningNames,
  loadEncodingSchema,
  SchemaError,
  schemaFingerprint,
  type EncodingSchema,
} from './schema.js';
import { PERSONAL_FIELDS } from '../normalise/index.js';
import { keyCheckValue } from './keys.js';

export class InputError extends Error {}

export interface EncodeOptions {
  input: string;
  out: string;
  secret: Uint8Array;
  /** Built-in schema name (uk-person) or the path of a schema JSON file in our format. */
  schema: string;
  /** field=COLUMN pairs for headers that differ from the schema's field names. */
  map: Record<string, string>;
  idColumn: string;
  /** Columns present in the CSV that are deliberately not encoded. */
  ignore: string[];
  /** Columns copied as they are into each record's non-identifying attributes (the policy must declare them). */
  attributes?: string[];
  /** A row with an invalid field: fail the run, skip the row, or keep it with that field left out. */
  onInvalid: 'skip' | 'fail' | 'missing';
  /** Encoding threads; default: every core (availableParallelism()). 1 encodes in the calling thread. */
  threads?: number;
  /** Write every rejected row as `row,line,reason` to this CSV (reasons never quote values). */
  rejectsFile?: string;
  /** Rows per batch handed to a thread; default 2,000. */
  batchRows?: number;
  /** Entries per per-field cache; default 50,000. */
  cacheSize?: number;
}

export interface RejectedRow {
  /** 1-based data row (the header is not counted). */
  row: number;
  /** 1-based line of the file where the row ends. */
  line: number;
  reason: string;
}

/** What a progress callback is told while encoding: counts only, never a value from the data. */
export interface ProgressInfo {
  rows: number;
  rejected: number;
  bytesRead: number;
  bytesTotal: number;
  seconds: number;
}

export interface EncodeSummary {
  rows: number;
  encoded: number;
  /** Rejected rows by reason. */
  rejected: Record<string, number>;
  /** The first rejected rows (at most 100) with row and line numbers. */
  rejectedRows: RejectedRow[];
  seconds: number;
  /** Rows read per second, wall clock. */
  rate: number;
  threads: number;
  out: string;
  tokenMap: string;
  header: EncodedHeader;
}

const MAX_LISTED_REJECTS = 100;

async function write(stream: WriteStream, chunk: string): Promise<void> {
  // A stream that failed to open (a missing --out folder) never drains: fail instead of waiting forever.
  if (stream.errored) throw stream.errored;
  if (chunk !== '' && !stream.write(chunk)) await once(stream, 'drain');
}

async function closeStream(stream: WriteStream): Promise<void> {
  stream.end();
  await once(stream, 'finish');
}

/** Wraps a failure of csv-parse in an InputError naming the file and line (never the field it quotes). */
function csvError(input: string, err: unknown): unknown {
  const message = describeCsvError(input, err);
  return message ? new InputError(message) : err;
}

export async function encodeCsv(
  opts: EncodeOptions,
  progress?: (rows: number, info: ProgressInfo) => void,
): Promise<EncodeSummary> {
  const started = process.hrtime.bigint();
  const elapsed = (): number => Number(process.hrtime.bigint() - started) / 1e9;
  let schema: EncodingSchema;
  try {
    schema = loadEncodingSchema(opts.schema);
  } catch (e) {
    if (e instanceof SchemaError) throw new InputError(e.message);
    throw e;
  }
  for (const field of Object.keys(opts.map)) {
    if (!schema.fields.some((f) => f.name === field))
      throw new InputError(
        `--map names field "${field}", which schema ${schema.id} does not have (fields: ${schema.fields.map((f) => f.name).join(', ')})`,
      );
  }
  let keyCheck: string;
  try {
    keyCheck = keyCheckValue(opts.secret, schema);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  const threads = Math.max(1, Math.floor(opts.threads ?? availableParallelism()));
  const batchRows = opts.batchRows ?? 2000;
  let bytesTotal = 0;
  try {
    bytesTotal = statSync(opts.input).size;
  } catch (e) {
    throw new InputError(`cannot read ${opts.input}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }

  const tmpOut = `${opts.out}.part`;
  const tmpTokens = `${tokenMapPath(opts.out)}.part`;
  const tmpRejects = opts.rejectsFile ? `${opts.rejectsFile}.part` : undefined;
  const body = createWriteStream(tmpOut, { mode: 0o600, highWaterMark: 1 << 20 });
  const tokenMap = createWriteStream(tmpTokens, { mode: 0o600, highWaterMark: 1 << 20 });
  const rejects = tmpRejects ? createWriteStream(tmpRejects, { mode: 0o600 }) : undefined;
  const streams = [body, tokenMap, ...(rejects ? [rejects] : [])];
  const streamError = new Promise<never>((_, reject) => {
    for (const s of streams) s.once('error', reject);
  });
  streamError.catch(() => {});

  const rejected: Record<string, number> = {};
  const rejectedRows: RejectedRow[] = [];
  let rows = 0;
  let encoded = 0;
  let rejectedCount = 0;
  let encoder: BatchEncoder | undefined;
  const inFlight: { result: Promise<BatchOutput>; lines: number[]; firstRow: number }[] = [];
  const source = createReadStream(opts.input, { highWaterMark: 1 << 20 });
  let header: EncodedHeader | undefined;
  let placeholder = 0;
  let lastProgress = -Infinity;

  try {
    await Promise.race([write(tokenMap, TOKEN_MAP_HEADER + '\n'), streamError]);
    if (rejects) await write(rejects, csvLine(['row', 'line', 'reason']));

    let setup: RecordEncoderSetup | undefined;
    let effective: ReturnType<typeof effectiveSchema> | undefined;
    let makeEncoder: ((pool: boolean) => BatchEncoder) | undefined;

    const drainOne = async (): Promise<void> => {
      const batch = inFlight.shift()!;
      const out = await Promise.race([batch.result, streamError]);
      for (const [i, reason] of out.leftOut) {
        const key = `left out, row kept: ${reason}`;
        rejected[key] = (rejected[key] ?? 0) + 1;
        if (rejects) await write(rejects, csvLine([String(batch.firstRow + i), String(batch.lines[i]!), key]));
      }
      for (const [i, reason] of out.rejects) {
        const rec: RejectedRow = { row: batch.firstRow + i, line: batch.lines[i]!, reason };
        if (opts.onInvalid === 'fail')
          throw new InputError(
            `${opts.input} line ${rec.line}: ${reason} (data row ${rec.row}; use --on-invalid skip to leave such rows out)`,
          );
        rejected[reason] = (rejected[reason] ?? 0) + 1;
        rejectedCount++;
        if (rejectedRows.length < MAX_LISTED_REJECTS) rejectedRows.push(rec);
        if (rejects) await write(rejects, csvLine([String(rec.row), String(rec.line), reason]));
      }
      await write(body, out.body);
      await write(tokenMap, out.tokenMap);
      encoded += out.encoded;
      // Nothing for work that ends within a second, then at most five calls a second.
      const now = elapsed();
      if (progress && now >= 1 && now - lastProgress >= 0.2) {
        lastProgress = now;
        progress(rows, { rows, rejected: rejectedCount, bytesRead: source.bytesRead, bytesTotal, seconds: now });
      }
    };

    let batch: string[][] = [];
    let lines: number[] = [];
    const submit = async (): Promise<void> => {
      inFlight.push({ result: encoder!.encode(batch), lines, firstRow: rows - batch.length + 1 });
      batch = [];
      lines = [];
      if (inFlight.length >= Math.max(2, 2 * threads)) await drainOne();
    };

    const parser = source.pipe(parse({ bom: true, relax_column_count: true, skip_empty_lines: true, info: true }));
    source.on('error', (e) => parser.destroy(e));
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (!setup) {
        const found = mapHeader(item.record, schema, opts);
        effective = effectiveSchema(schema, found.present);
        setup = {
          schema: effective,
          secret: opts.secret,
          columns: found.columns,
          idColumn: found.idColumn,
          idName: opts.idColumn,
          width: item.record.length,
          invalidAsMissing: opts.onInvalid === 'missing',
          attributes: (opts.attributes ?? []).map((a) => ({
            name: a,
            column: (item.record as string[]).map((h) => h.trim()).indexOf(a),
          })),
          ...(opts.cacheSize !== undefined ? { cacheSize: opts.cacheSize } : {}),
        };
        const s = setup;
        makeEncoder = (pool) => (pool ? workerPoolEncoder(s, threads) : inThreadEncoder(s));
        header = makeHeader(schema, effective, keyCheck, 0, new Date(), opts.attributes ?? []);
        placeholder = JSON.stringify({ ...header, recordCount: Number.MAX_SAFE_INTEGER }).length;
        await write(body, ' '.repeat(placeholder) + '\n');
        continue;
      }
      rows++;
      batch.push(item.record);
      lines.push(item.info.lines);
      if (batch.length >= batchRows) {
        // The pool starts with the first full batch: an input smaller than one batch is encoded
        // in this thread, without paying for worker start-up.
        encoder ??= makeEncoder!(threads > 1);
        await submit();
      }
    }
    if (!setup || !effective || !header) throw new InputError(`${opts.input} is empty: a header row is required`);
    if (batch.length > 0) {
      encoder ??= makeEncoder!(false);
      await submit();
    }
    while (inFlight.length > 0) await drainOne();
    await closeStream(body);
    await closeStream(tokenMap);
    if (rejects) await closeStream(rejects);

    header = makeHeader(schema, effective, keyCheck, encoded, new Date(), opts.attributes ?? []);
    const text = JSON.stringify(header);
    const fh = await open(tmpOut, 'r+');
    try {
      await fh.write(text.padEnd(placeholder, ' '), 0, 'utf8');
    } finally {
      await fh.close();
    }
    renameSync(tmpOut, opts.out);
    renameSync(tmpTokens, tokenMapPath(opts.out));
    if (tmpRejects && opts.rejectsFile) renameSync(tmpRejects, opts.rejectsFile);
  } catch (err) {
    for (const b of inFlight) b.result.catch(() => {});
    source.destroy();
    for (const s of streams) s.destroy();
    for (const f of [tmpOut, tmpTokens, tmpRejects]) if (f) rmSync(f, { force: true });
    throw csvError(opts.input, err);
  } finally {
    await encoder?.close();
  }
  const seconds = elapsed();
  return {
    rows,
    encoded,
    rejected,
    rejectedRows,
    seconds,
    rate: rows / Math.max(seconds, 1e-9),
    threads,
    out: opts.out,
    tokenMap: tokenMapPath(opts.out),
    header,
  };
}

function makeHeader(
  schema: EncodingSchema,
  effective: ReturnType<typeof effectiveSchema>,
  keyCheck: string,
  recordCount: number,
  createdAt: Date,
  attributes: string[],
): EncodedHeader {
  const filters = effective.fields
    .filter((f) => f.filter !== null)
    .map((f) => {
      const flip = flipProbability(effective, f.name);
      return {
        field: f.name,
        bits: hardenedBits(f.filter!.bits, effective.hardening),
        ...(PERSONAL_FIELDS.includes(f.normaliser) ? { personal: true as const } : {}),
        ...(flip > 0 ? { flip } : {}),
      };
    });
  return encodedFileHeader({
    schema: {
      id: effective.id,
      version: effective.version,
      fingerprint: schemaFingerprint(schema),
      fields: effective.fields.map((f) => f.name),
    },
    keyCheck,
    clkBits: hardenedBits(effective.clkBits, effective.hardening),
    hardening: hardeningNames(effective),
    ...(filters.length > 0 ? { fieldFilters: filters } : {}),
    ...(effective.blockingKeys.length > 0 ? { blockingKeys: effective.blockingKeys.map((k) => k.name) } : {}),
    ...(attributes.length > 0 ? { attributes } : {}),
    recordCount,
    createdAt: createdAt.toISOString(),
  });
}

/** Finds each schema field's column (by name or --map), the id column, and rejects unknown columns. */
function mapHeader(
  record: string[],
  schema: ReturnType<typeof loadEncodingSchema>,
  opts: EncodeOptions,
): { present: string[]; columns: number[]; idColumn: number } {
  const header = record.map((h) => h.trim());
  const delimiter = header.length === 1 ? likelyDelimiter(opts.input) : undefined;
  if (delimiter)
    throw new InputError(
      `${opts.input} line 1: the header is one column; the file looks ${delimiter}-delimited: ` +
        'save it as comma-separated (CSV) values',
    );
  const present: string[] = [];
  const columns: number[] = [];
  for (const f of schema.fields) {
    const col = opts.map[f.name] ?? f.name;
    const idx = header.indexOf(col);
    if (idx >= 0) {
      present.push(f.name);
      columns.push(idx);
    } else if (opts.map[f.name])
      throw new InputError(`column "${col}" (mapped to ${f.name}) is not in the header of ${opts.input}`);
  }
  const idColumn = header.indexOf(opts.idColumn);
  if (idColumn < 0)
    throw new InputError(
      `id column "${opts.idColumn}" is not in the header of ${opts.input} (set it with --id-column)`,
    );
  for (const a of opts.attributes ?? []) {
    if (!/^[a-z][a-z0-9_]{0,63}$/.test(a))
      throw new InputError(`attribute column "${a}" must be a lower-case name (a-z, 0-9, _)`);
    if (!header.includes(a)) throw new InputError(`attribute column "${a}" is not in the header of ${opts.input}`);
    if (schema.fields.some((f) => (opts.map[f.name] ?? f.name) === a))
      throw new InputError(`"${a}" is an identifier field: it cannot also be sent as an attribute`);
  }
  const known = new Set([...columns, idColumn, ...(opts.attributes ?? []).map((a) => header.indexOf(a))]);
  const unknown = header.filter((h, i) => !known.has(i) && !opts.ignore.includes(h));
  if (unknown.length > 0) {
    throw new InputError(
      `unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')} in ${opts.input}: map to a schema field with --map field=COLUMN, or leave out with --ignore`,
    );
  }
  if (present.length === 0)
    throw new InputError(
      `${opts.input} has none of the fields of schema ${schema.id}: ${schema.fields.map((f) => f.name).join(', ')}`,
    );
  return { present, columns, idColumn };
}
