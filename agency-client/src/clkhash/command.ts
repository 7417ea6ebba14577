/**
 * `blindlink-agency encode --format clkhash`: CSV in, clkhash-compatible `{"clks": [...]}` out.
 *
 * Input handling (see csv-rows.ts): the first record is a header and is skipped (a warning names
 * any column whose name differs from the schema's feature identifier; columns map to features
 * by position, as in clkhash); every value is stripped of surrounding whitespace like clkhash's
 * CSV reader does, which handles FEBRL's ", " separator. A value that fails validation is never
 * altered: with onInvalid 'missing' it is encoded as its feature's missing-value sentinel where the
 * schema declares one (its row is skipped where it does not); with 'skip' its row is left out of the
 * output; both are warned, counted and listed in the rejects file. With 'fail' the first one aborts
 * the run with an error naming row, line, column and reason.
 * The output is written to a temporary file beside `out` and renamed into place on success.
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { csvLine } from '../io/csv.js';
import { createWriteStream } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type ClkSchema, parseClkSchema } from './schema.js';
import { readSecretFile } from '../identity/key-files.js';
import { describeIssue, type RowIssue } from './encoder.js';
import { readCsvRecords } from './csv-rows.js';
import {
  inThreadEncoder,
  workerPoolEncoder,
  type BatchEncoder,
  type BatchResult,
  type EncoderSetup,
} from './batch-encoding.js';

export interface EncodeClkhashOptions {
  schema: string;
  secretFile: string;
  input: string;
  out: string;
  onInvalid: 'skip' | 'fail' | 'missing';
  /**
   * Lists each invalid value as `row,line,record_id,field,reason,outcome` (record_id empty: clkhash rows
   * have none).
   */
  rejectsFile?: string;
  /** Worker threads; 1 (default) encodes in the calling thread. */
  workers?: number;
  /** Per-feature cache entries (see ClkEncoderOptions); default 100,000. */
  cacheSize?: number;
}

export interface EncodeClkhashIo {
  warn(line: string): void;
  progress?(done: number): void;
}

export interface EncodeClkhashSummary {
  rows: number;
  encoded: number;
  /** Rejected rows by reason code (e.g. 'column-count', 'maximum', 'date'). */
  rejected: Record<string, number>;
  /** Invalid values encoded as their feature's missing-value sentinel, by feature identifier. */
  leftMissing: Record<string, number>;
  seconds: number;
}

const BATCH_ROWS = 1000;

export async function encodeClkhashCommand(
  opts: EncodeClkhashOptions,
  io: EncodeClkhashIo,
): Promise<EncodeClkhashSummary> {
  const started = process.hrtime.bigint();
  const { schema, setup } = await loadSetup(opts, io);
  const workers = opts.workers ?? 1;
  const encoder: BatchEncoder = workers > 1 ? workerPoolEncoder(setup, workers) : inThreadEncoder(setup);
  const rejects = opts.rejectsFile ? await open(opts.rejectsFile, 'w', 0o600) : undefined;

  const tmp = join(dirname(opts.out), `.${basename(opts.out)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const sink = createWriteStream(tmp, { encoding: 'utf8' });
  const sinkError = new Promise<never>((_, reject) => sink.once('error', reject));
  sinkError.catch(() => {});
  const write = async (s: string): Promise<void> => {
    if (!sink.write(s)) await Promise.race([once(sink, 'drain'), sinkError]);
  };

  let rows = 0,
    encoded = 0;
  const rejected: Record<string, number> = {};
  const leftMissing: Record<string, number> = {};
  const listed = (m: { row: number; line: number }, issue: RowIssue, outcome: string): string =>
    csvLine([String(m.row), String(m.line), '', issue.identifier ?? '', issue.reason, outcome]);
  const identifiers = schema.features.map((f) => f.identifier);

  // Batches in flight, oldest first; results are consumed strictly in this order.
  const inFlight: { result: Promise<BatchResult>; meta: { row: number; line: number }[] }[] = [];
  const maxInFlight = Math.max(2, 2 * workers);

  const describeRow = (m: { row: number; line: number }, issue: RowIssue): string =>
    `row ${m.row} (line ${m.line}): ${describeIssue(issue)}`;

  const drainOne = async (): Promise<void> => {
    const batch = inFlight.shift()!;
    const result = await batch.result;
    const issueAt = new Map(result.issues);
    let chunk = '';
    let listing = '';
    const leftOutAt = new Map<number, RowIssue[]>();
    for (const [i, issue] of result.leftOut) leftOutAt.set(i, [...(leftOutAt.get(i) ?? []), issue]);
    for (let i = 0; i < result.clks.length; i++) {
      const clk = result.clks[i];
      if (clk === null || clk === undefined) {
        const issue = issueAt.get(i)!;
        const message = describeRow(batch.meta[i]!, issue);
        if (opts.onInvalid === 'fail') throw new Error(`invalid input in ${opts.input}: ${message}`);
        io.warn(`skipped ${message}`);
        rejected[issue.code] = (rejected[issue.code] ?? 0) + 1;
        listing += listed(batch.meta[i]!, issue, 'row left out');
        continue;
      }
      for (const issue of leftOutAt.get(i) ?? []) {
        leftMissing[issue.identifier!] = (leftMissing[issue.identifier!] ?? 0) + 1;
        listing += listed(batch.meta[i]!, issue, 'left missing, row kept');
      }
      chunk += (encoded === 0 ? '"' : ', "') + clk + '"';
      encoded++;
    }
    await write(chunk);
    if (rejects && listing !== '') await rejects.write(listing);
    io.progress?.(encoded);
  };

  try {
    if (rejects) await rejects.write(csvLine(['row', 'line', 'record_id', 'field', 'reason', 'outcome']));
    await write('{"clks": [');
    let batch: string[][] = [];
    let meta: { row: number; line: number }[] = [];
    const submit = async (): Promise<void> => {
      inFlight.push({ result: encoder.encode(batch), meta });
      batch = [];
      meta = [];
      if (inFlight.length >= maxInFlight) await drainOne();
    };
    let header = true;
    for await (const rec of readCsvRecords(opts.input)) {
      if (header) {
        header = false;
        checkHeader(rec.values, identifiers, io.warn);
        continue;
      }
      rows++;
      batch.push(rec.values);
      meta.push({ row: rows, line: rec.line });
      if (batch.length >= BATCH_ROWS) await submit();
    }
    if (batch.length > 0) await submit();
    while (inFlight.length > 0) await drainOne();
    await write(']}');
    sink.end();
    await Promise.race([once(sink, 'finish'), sinkError]);
    await rename(tmp, opts.out);
  } catch (e) {
    // Let in-flight batches settle so no rejection goes unhandled, then drop the partial file.
    for (const b of inFlight) b.result.catch(() => {});
    sink.destroy();
    await unlink(tmp).catch(() => {});
    if (rejects) {
      await rejects.close().catch(() => {});
      await unlink(opts.rejectsFile!).catch(() => {});
    }
    throw e;
  } finally {
    await encoder.close();
  }
  await rejects?.close();

  const skipped = rows - encoded;
  if (skipped > 0) {
    io.warn(
      `${skipped} of ${rows} rows were skipped: the output has ${encoded} CLKs, so CLK positions no ` +
        `longer equal input row numbers`,
    );
  }
  return { rows, encoded, rejected, leftMissing, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/** The schema file read and checked, and the setup every encoding thread builds its encoder from. */
async function loadSetup(
  opts: EncodeClkhashOptions,
  io: EncodeClkhashIo,
): Promise<{ schema: ClkSchema; setup: EncoderSetup }> {
  let schemaJson: unknown;
  try {
    schemaJson = JSON.parse(await readFile(opts.schema, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read clkhash schema ${opts.schema}: ${(e as Error).message}`);
  }
  const schema = parseClkSchema(schemaJson, io.warn);
  const secret = await readSecretFile(opts.secretFile);
  const options = {
    ...(opts.cacheSize === undefined ? {} : { cacheSize: opts.cacheSize }),
    invalidAsMissing: opts.onInvalid === 'missing',
  };
  return { schema, setup: { schemaJson, secret, options } };
}

function checkHeader(header: string[], identifiers: string[], warn: (line: string) => void): void {
  if (header.length !== identifiers.length) {
    warn(
      `CSV header has ${header.length} columns but the schema has ${identifiers.length} features; columns ` +
        `are matched to features by position`,
    );
  }
  const n = Math.min(header.length, identifiers.length);
  for (let i = 0; i < n; i++) {
    if (header[i] !== identifiers[i]) {
      warn(
        `CSV header column ${i + 1} is '${header[i]}' but schema feature ${i + 1} is '${identifiers[i]}'; ` +
          `columns are matched by position`,
      );
    }
  }
}
