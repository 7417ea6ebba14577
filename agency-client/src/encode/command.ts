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
import { createReadStream, type ReadStream, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { encodedFileHeader, type EncodedHeader } from '@blindlink/protocol';
import { TOKEN_MAP_HEADER, tokenMapPath } from '../io/row-tokens.js';
import { csvLine, describeCsvError, likelyDelimiter } from '../io/csv.js';
import { csvRows } from '../io/csv-reader.js';
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
import { closeOutputs, commitOutputs, discardOutputs, type EncodeOutputs, openOutputs, write } from './output-files.js';

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
  /**
   * Write every rejected row and every invalid value left missing to this CSV, as
   * `row,line,record_id,field,reason,outcome`: the agency's own list to fix its data from. It stays
   * at the agency (it holds record ids); reasons never quote the values.
   */
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
  /** Invalid values left missing in kept rows (--on-invalid missing), by field. */
  leftMissing: Record<string, number>;
  /** Values repaired before use, by `field: repair` (mojibake, lost letter). */
  repaired: Record<string, number>;
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

const REJECTS_HEADER = ['row', 'line', 'record_id', 'field', 'reason', 'outcome'];

/** `field: reason` split into its field (when it names one) and reason; a row-level reason has no field. */
function splitReason(reason: string): [field: string, reason: string] {
  const m = /^([a-z][a-z0-9_]*): (.*)$/s.exec(reason);
  return m ? [m[1]!, m[2]!] : ['', reason];
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
  const { schema, keyCheck } = checkSchemaAndKey(opts);
  const threads = Math.max(1, Math.floor(opts.threads ?? availableParallelism()));
  const bytesTotal = inputSize(opts.input);
  const out = openOutputs(opts.out, opts.rejectsFile);
  const source = createReadStream(opts.input, { highWaterMark: 1 << 20 });
  let lastProgress = -Infinity;
  const report = (rows: number, rejected: number): void => {
    // Nothing for work that ends within a second, then at most five calls a second.
    const now = elapsed();
    if (progress && now >= 1 && now - lastProgress >= 0.2) {
      lastProgress = now;
      progress(rows, { rows, rejected, bytesRead: source.bytesRead, bytesTotal, seconds: now });
    }
  };
  const run = new EncodeRun(opts, out, threads, report);
  let header: EncodedHeader;
  try {
    await Promise.race([write(out.tokenMap, TOKEN_MAP_HEADER + '\n'), out.failed]);
    if (out.rejects) await write(out.rejects, csvLine(REJECTS_HEADER));
    const { effective, placeholder } = await run.encodeAll(source, schema, keyCheck);
    await closeOutputs(out);
    header = makeHeader(schema, effective, keyCheck, run.encoded, new Date(), opts.attributes ?? []);
    await commitOutputs(out, opts.out, opts.rejectsFile, JSON.stringify(header), placeholder);
  } catch (err) {
    run.abandon();
    source.destroy();
    discardOutputs(out);
    throw csvError(opts.input, err);
  } finally {
    await run.close();
  }
  return summary(run, opts, threads, elapsed(), header);
}

/** Loads the schema, checks --map against it and derives the key check value, before any file is opened. */
function checkSchemaAndKey(opts: EncodeOptions): { schema: EncodingSchema; keyCheck: string } {
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
        `--map names field "${field}", which schema ${schema.id} does not have ` +
          `(fields: ${schema.fields.map((f) => f.name).join(', ')})`,
      );
  }
  try {
    return { schema, keyCheck: keyCheckValue(opts.secret, schema) };
  } catch (e) {
    throw new InputError((e as Error).message);
  }
}

function inputSize(input: string): number {
  try {
    return statSync(input).size;
  } catch (e) {
    throw new InputError(`cannot read ${input}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function summary(
  run: EncodeRun,
  opts: EncodeOptions,
  threads: number,
  seconds: number,
  header: EncodedHeader,
): EncodeSummary {
  return {
    rows: run.rows,
    encoded: run.encoded,
    rejected: run.rejected,
    leftMissing: run.leftMissing,
    repaired: run.repaired,
    rejectedRows: run.rejectedRows,
    seconds,
    rate: run.rows / Math.max(seconds, 1e-9),
    threads,
    out: opts.out,
    tokenMap: tokenMapPath(opts.out),
    header,
  };
}

/** What the header row of the input decides: the schema's fields present, and how to encode a row. */
function encoderSetup(
  record: string[],
  schema: EncodingSchema,
  opts: EncodeOptions,
): { effective: ReturnType<typeof effectiveSchema>; setup: RecordEncoderSetup } {
  const found = mapHeader(record, schema, opts);
  const effective = effectiveSchema(schema, found.present);
  const setup: RecordEncoderSetup = {
    schema: effective,
    secret: opts.secret,
    columns: found.columns,
    idColumn: found.idColumn,
    idName: opts.idColumn,
    width: record.length,
    invalidAsMissing: opts.onInvalid === 'missing',
    attributes: (opts.attributes ?? []).map((a) => ({
      name: a,
      column: record.map((h) => h.trim()).indexOf(a),
    })),
    ...(opts.cacheSize !== undefined ? { cacheSize: opts.cacheSize } : {}),
  };
  return { effective, setup };
}

interface InFlightBatch {
  result: Promise<BatchOutput>;
  /** The batch's rows, kept for the record ids a rejects file lists. */
  rows: string[][];
  lines: number[];
  firstRow: number;
}

/**
 * The read → encode → write loop: rows are gathered into batches, encoded (on threads when there
 * are several) and written in input order, with at most 2 × threads batches in flight.
 */
class EncodeRun {
  rows = 0;
  encoded = 0;
  rejectedCount = 0;
  /** Rejected rows by reason. */
  readonly rejected: Record<string, number> = {};
  readonly leftMissing: Record<string, number> = {};
  readonly repaired: Record<string, number> = {};
  readonly rejectedRows: RejectedRow[] = [];
  private encoder: BatchEncoder | undefined;
  private readonly inFlight: InFlightBatch[] = [];
  private batch: string[][] = [];
  private lines: number[] = [];
  private idColumn = 0;

  constructor(
    private readonly opts: EncodeOptions,
    private readonly out: EncodeOutputs,
    private readonly threads: number,
    private readonly report: (rows: number, rejected: number) => void,
  ) {}

  /** Encodes the whole input; returns the effective schema and the width of the header placeholder. */
  async encodeAll(
    source: ReadStream,
    schema: EncodingSchema,
    keyCheck: string,
  ): Promise<{ effective: ReturnType<typeof effectiveSchema>; placeholder: number }> {
    const batchRows = this.opts.batchRows ?? 2000;
    let started: { effective: ReturnType<typeof effectiveSchema>; placeholder: number } | undefined;
    let makeEncoder: ((pool: boolean) => BatchEncoder) | undefined;
    for await (const { records, lines } of csvRows(source)) {
      for (let i = 0; i < records.length; i++) {
        if (!started) {
          const { effective, setup } = encoderSetup(records[i]!, schema, this.opts);
          this.idColumn = setup.idColumn;
          makeEncoder = (pool) => (pool ? workerPoolEncoder(setup, this.threads) : inThreadEncoder(setup));
          started = { effective, placeholder: await this.writePlaceholder(schema, effective, keyCheck) };
          continue;
        }
        this.rows++;
        this.batch.push(records[i]!);
        this.lines.push(lines[i]!);
        if (this.batch.length >= batchRows) {
          // The pool starts with the first full batch: an input smaller than one batch is encoded
          // in this thread, without paying for worker start-up.
          this.encoder ??= makeEncoder!(this.threads > 1);
          await this.submit();
        }
      }
    }
    if (!started) throw new InputError(`${this.opts.input} is empty: a header row is required`);
    if (this.batch.length > 0) {
      this.encoder ??= makeEncoder!(false);
      await this.submit();
    }
    while (this.inFlight.length > 0) await this.drainOne();
    return started;
  }

  /**
   * The record count is known only at the end: a space-padded line wide enough for any count goes
   * first, to be overwritten in place (JSON allows the trailing spaces). Returns its width.
   */
  private async writePlaceholder(
    schema: EncodingSchema,
    effective: ReturnType<typeof effectiveSchema>,
    keyCheck: string,
  ): Promise<number> {
    const header = makeHeader(schema, effective, keyCheck, 0, new Date(), this.opts.attributes ?? []);
    const placeholder = JSON.stringify({ ...header, recordCount: Number.MAX_SAFE_INTEGER }).length;
    await write(this.out.body, ' '.repeat(placeholder) + '\n');
    return placeholder;
  }

  private async submit(): Promise<void> {
    const firstRow = this.rows - this.batch.length + 1;
    this.inFlight.push({ result: this.encoder!.encode(this.batch), rows: this.batch, lines: this.lines, firstRow });
    this.batch = [];
    this.lines = [];
    if (this.inFlight.length >= Math.max(2, 2 * this.threads)) await this.drainOne();
  }

  /** Waits for the oldest batch in flight and writes its records, token map rows and rejects. */
  private async drainOne(): Promise<void> {
    const { rejects, body, tokenMap } = this.out;
    const batch = this.inFlight.shift()!;
    const out = await Promise.race([batch.result, this.out.failed]);
    const listed = (i: number, reason: string, outcome: string): string =>
      csvLine([
        String(batch.firstRow + i),
        String(batch.lines[i]!),
        (batch.rows[i]![this.idColumn] ?? '').trim(),
        ...splitReason(reason),
        outcome,
      ]);
    // The rejects file in row order: a batch's values left missing and rows left out, merged.
    const listing: [number, string][] = [];
    for (const [i, reason] of out.leftOut) {
      const [field] = splitReason(reason);
      this.leftMissing[field] = (this.leftMissing[field] ?? 0) + 1;
      if (rejects) listing.push([i, listed(i, reason, 'left missing, row kept')]);
    }
    for (const [key, n] of Object.entries(out.repaired)) this.repaired[key] = (this.repaired[key] ?? 0) + n;
    for (const [i, reason] of out.rejects) {
      const rec: RejectedRow = { row: batch.firstRow + i, line: batch.lines[i]!, reason };
      if (this.opts.onInvalid === 'fail')
        throw new InputError(
          `${this.opts.input} line ${rec.line}: ${reason} ` +
            `(data row ${rec.row}; without --on-invalid fail an invalid value is left missing and listed)`,
        );
      this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
      this.rejectedCount++;
      if (this.rejectedRows.length < MAX_LISTED_REJECTS) this.rejectedRows.push(rec);
      if (rejects) listing.push([i, listed(i, reason, 'row left out')]);
    }
    if (rejects && listing.length > 0)
      await write(
        rejects,
        listing
          .sort((a, b) => a[0] - b[0])
          .map(([, line]) => line)
          .join(''),
      );
    await write(body, out.body);
    await write(tokenMap, out.tokenMap);
    this.encoded += out.encoded;
    this.report(this.rows, this.rejectedCount);
  }

  /** After a failure: batches still in flight may reject later; nobody waits for them. */
  abandon(): void {
    for (const b of this.inFlight) b.result.catch(() => {});
  }

  async close(): Promise<void> {
    await this.encoder?.close();
  }
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
      `unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')} in ${opts.input}: ` +
        'map to a schema field with --map field=COLUMN, or leave out with --ignore',
    );
  }
  if (present.length === 0)
    throw new InputError(
      `${opts.input} has none of the fields of schema ${schema.id}: ${schema.fields.map((f) => f.name).join(', ')}`,
    );
  return { present, columns, idColumn };
}
