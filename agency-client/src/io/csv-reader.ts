/**
 * The encode command's CSV reader: bytes in, rows (arrays of field strings) and the line each row
 * ends on out, chunk by chunk. It reads exactly as csv-parse does with the options the command
 * used (`bom`, `relax_column_count`, `skip_empty_lines`, `info`): the same rows, the same line
 * numbers, the same CsvError codes at the same lines for malformed input
 * (tests/unit/csv-reader.test.ts compares the two on many inputs cut into chunks). It exists for
 * speed: csv-parse spent a tenth of the command's time, byte by byte through generic options, and
 * made an info object and several arrays per row; here a field is scanned with a tight loop and
 * decoded once.
 *
 * csv-parse's rules kept here: the record delimiter is the first of \r\n, \n or \r met outside
 * quotes, and only that one ends records afterwards (the others are field content); a quote opens
 * a quoted field only at its start, `""` inside is a quote, and the closing quote must be followed
 * by a comma, the record delimiter, the end of input or (a csv-parse quirk) a NUL byte, after which
 * the field goes on unquoted; every \r and \n read counts a line (a \r\n record delimiter once),
 * counted from the character after it; a row's line is the line of its last character; lines with
 * nothing on them are skipped. A file starting with a UTF-16 byte-order mark is not read here
 * (the command gives it to csv-parse).
 */
import { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';

const QUOTE = 0x22;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;

/** Record delimiters, once discovered. */
const Delimiter = { Unknown: 0, LF: 1, CRLF: 2, CR: 3 } as const;
type Delimiter = (typeof Delimiter)[keyof typeof Delimiter];

/** Rows read from one chunk: fields, and the 1-based line each row ends on. */
export interface CsvRows {
  records: string[][];
  lines: number[];
}

/** Thrown inside parse() when the data runs out mid-record: the record is read again with more. */
const MORE = Symbol('more data needed');

export class CsvReader {
  /** Bytes of a record not yet complete at the end of the last chunk. */
  private pending: Buffer | null = null;
  private bomChecked = false;
  private delimiter: Delimiter = Delimiter.Unknown;
  /** csv-parse's line counter: 1 + the \r and \n read before the current position. */
  private lines = 1;
  /** Scratch for a field made of several byte ranges (a quoted field with `""` in it). */
  private scratch = Buffer.allocUnsafe(1024);

  /** The complete rows of `chunk` (with what was pending); at `end`, the last row too. */
  push(chunk: Buffer | null, end: boolean): CsvRows {
    let buf = chunk ?? Buffer.alloc(0);
    if (this.pending !== null) buf = chunk === null ? this.pending : Buffer.concat([this.pending, chunk]);
    this.pending = null;
    const out: CsvRows = { records: [], lines: [] };
    if (!this.bomChecked) {
      if (buf.length < 3 && !end) {
        this.pending = buf;
        return out;
      }
      if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
      this.bomChecked = true;
    }
    let at = 0;
    while (at < buf.length) {
      const lines = this.lines;
      const delimiter = this.delimiter;
      let next: number;
      try {
        next = this.record(buf, at, end, out);
      } catch (e) {
        if (e !== MORE) throw e;
        // Read this record again, from its start, when more bytes have come.
        this.lines = lines;
        this.delimiter = delimiter;
        this.pending = Buffer.from(buf.subarray(at));
        return out;
      }
      at = next;
    }
    return out;
  }

  /**
   * Reads one record starting at `at` (or an empty line, skipped) into `out`; returns where the
   * next one starts. Throws MORE when the record may go on past the bytes there are.
   */
  private record(buf: Buffer, at: number, end: boolean, out: CsvRows): number {
    const len = buf.length;
    const record: string[] = [];
    let p = at;
    for (;;) {
      // One field from p.
      let field: string;
      let quoted = false;
      if (p < len && buf[p] === QUOTE) {
        quoted = true;
        const r = this.quotedField(buf, p + 1, end);
        field = r.field;
        p = r.next;
        if (r.nulAfter) {
          // csv-parse takes a quote followed by a NUL as closing, then reads on unquoted.
          const rest = this.unquoted(buf, p, end, true);
          field += buf.toString('utf8', p, rest);
          p = rest;
        }
      } else {
        const e = this.unquoted(buf, p, end, false);
        field = buf.toString('utf8', p, e);
        p = e;
      }
      // p is at a comma, a record delimiter or the end of the data.
      if (p >= len) {
        if (!end) throw MORE;
        if (record.length > 0 || quoted || field !== '') {
          record.push(field);
          out.records.push(record);
          // A \r or \n just read (field content here) counts from the character after it: none.
          const last = buf[len - 1];
          out.lines.push(this.lines - (last === CR || last === LF ? 1 : 0));
        }
        return len;
      }
      if (buf[p] === COMMA) {
        record.push(field);
        p++;
        continue;
      }
      // A record delimiter (unquoted() stops at nothing else).
      const width = this.delimiter === Delimiter.CRLF ? 2 : 1;
      if (record.length > 0 || quoted || field !== '') {
        record.push(field);
        out.records.push(record);
        out.lines.push(this.lines);
      }
      this.lines++;
      return p + width;
    }
  }

  /**
   * The end of an unquoted field from `p`: a comma, the record delimiter or the end of the data.
   * Counts the \r and \n read as content. `continued`: the field already has content (after a
   * quoted part), so any quote is misplaced.
   */
  private unquoted(buf: Buffer, from: number, end: boolean, continued: boolean): number {
    const len = buf.length;
    for (let p = from; p < len; p++) {
      const c = buf[p]!;
      if (c > QUOTE) {
        if (c === COMMA) return p;
        continue;
      }
      if (c === QUOTE) {
        // At the field's start it would have opened a quoted field.
        if (continued || p > from) throw csvError('INVALID_OPENING_QUOTE', this.lines);
        continue;
      }
      if (c !== CR && c !== LF) continue;
      if (this.isRecordDelimiter(buf, p, end)) return p;
      this.lines++;
    }
    if (!end) throw MORE;
    return len;
  }

  /**
   * Whether the \r or \n at p ends the record: the delimiter found first decides, and the first
   * one met outside quotes becomes it.
   */
  private isRecordDelimiter(buf: Buffer, p: number, end: boolean): boolean {
    const c = buf[p]!;
    switch (this.delimiter) {
      case Delimiter.LF:
        return c === LF;
      case Delimiter.CR:
        return c === CR;
      case Delimiter.CRLF:
        if (c !== CR) return false;
        if (p + 1 >= buf.length && !end) throw MORE;
        return buf[p + 1] === LF;
      default:
        if (c === LF) this.delimiter = Delimiter.LF;
        else {
          if (p + 1 >= buf.length && !end) throw MORE;
          this.delimiter = buf[p + 1] === LF ? Delimiter.CRLF : Delimiter.CR;
        }
        return true;
    }
  }

  /** A quoted field's text from just after its opening quote; `next` is the position after the closing quote. */
  private quotedField(buf: Buffer, from: number, end: boolean): { field: string; next: number; nulAfter: boolean } {
    const len = buf.length;
    let start = from;
    let pieces: [number, number][] | null = null;
    for (let p = from; ; p++) {
      if (p >= len) {
        if (!end) throw MORE;
        // At the very end, a \r or \n just read has not been counted yet.
        const last = buf[len - 1];
        throw csvError('CSV_QUOTE_NOT_CLOSED', this.lines - (last === CR || last === LF ? 1 : 0));
      }
      const c = buf[p]!;
      if (c === CR || c === LF) {
        this.lines++;
        continue;
      }
      if (c !== QUOTE) continue;
      if (p + 1 >= len && !end) throw MORE;
      const after = buf[p + 1];
      if (after === QUOTE) {
        // An escaped quote: the text so far, with one quote, is a piece of the field.
        pieces ??= [];
        pieces.push([start, p + 1]);
        start = p + 2;
        p++;
        continue;
      }
      // The quote closes the field only before a comma, a record delimiter, the end, or a NUL.
      const closes =
        after === undefined ||
        after === 0 ||
        after === COMMA ||
        ((after === CR || after === LF) && this.isRecordDelimiter(buf, p + 1, end));
      if (!closes) throw csvError('CSV_INVALID_CLOSING_QUOTE', this.lines);
      let field: string;
      if (pieces === null) field = buf.toString('utf8', start, p);
      else {
        pieces.push([start, p]);
        field = this.joined(buf, pieces);
      }
      return { field, next: p + 1, nulAfter: after === 0 };
    }
  }

  /** The byte ranges' text, decoded together (as csv-parse decodes a field's bytes at once). */
  private joined(buf: Buffer, pieces: readonly [number, number][]): string {
    let n = 0;
    for (const [s, e] of pieces) n += e - s;
    if (n > this.scratch.length) this.scratch = Buffer.allocUnsafe(2 * n);
    let at = 0;
    for (const [s, e] of pieces) at += buf.copy(this.scratch, at, s, e);
    return this.scratch.toString('utf8', 0, at);
  }
}

/** A CsvError as csv-parse makes it (code and line), with a message that quotes nothing from the file. */
function csvError(code: string, lines: number): CsvError {
  type Args = ConstructorParameters<typeof CsvError>;
  return new CsvError(code as Args[0], `${code} at line ${lines}`, { encoding: 'utf8' } as Args[2], { lines });
}

/** Whether a file's first bytes are a UTF-16 little-endian byte-order mark (csv-parse reads those). */
function startsUtf16(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0xff && head[1] === 0xfe;
}

/**
 * Rows of a stream of bytes, a chunk's worth at a time. A UTF-16 file (its byte-order mark first)
 * goes to csv-parse, which reads that encoding too.
 */
export async function* csvRows(source: AsyncIterable<Buffer>): AsyncGenerator<CsvRows> {
  const chunks = source[Symbol.asyncIterator]();
  const first = await chunks.next();
  if (first.done) return;
  if (startsUtf16(first.value)) {
    yield* withCsvParse(first.value, chunks);
    return;
  }
  const reader = new CsvReader();
  let rows = reader.push(first.value, false);
  if (rows.records.length > 0) yield rows;
  for (let c = await chunks.next(); !c.done; c = await chunks.next()) {
    rows = reader.push(c.value, false);
    if (rows.records.length > 0) yield rows;
  }
  rows = reader.push(null, true);
  if (rows.records.length > 0) yield rows;
}

async function* withCsvParse(first: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<CsvRows> {
  async function* all(): AsyncGenerator<Buffer> {
    yield first;
    for (let c = await rest.next(); !c.done; c = await rest.next()) yield c.value;
  }
  const parser = Readable.from(all()).pipe(
    parse({ bom: true, relax_column_count: true, skip_empty_lines: true, info: true }),
  );
  for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>)
    yield { records: [item.record], lines: [item.info.lines] };
}
