/**
 * Streams CSV records as clkhash's CLI reads them: strict UTF-8 (a leading BOM is dropped),
 * Python-csv-like quoting (quotes inside unquoted fields are literal), and every value stripped
 * of surrounding whitespace with Python's str.strip() — clkhash 0.18.3 does exactly this in
 * generate_clk_from_csv. That is also what makes FEBRL's ", " separator work: the leading
 * space of each value is removed. Blank lines are records with one empty value (wrong width),
 * as in clkhash.
 */
import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { parse } from 'csv-parse';
import { pythonStrip } from './python-text.js';

export interface CsvRecord {
  /** 1-based index among all records, the header included. */
  record: number;
  /** 1-based line where the record ends in the file. */
  line: number;
  values: string[];
}

class StrictUtf8Decoder extends Transform {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  constructor() {
    super({ readableObjectMode: false, decodeStrings: true });
    this.setEncoding('utf8');
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      cb(null, this.decoder.decode(chunk, { stream: true }));
    } catch {
      cb(new Error('input is not valid UTF-8'));
    }
  }
  override _flush(cb: TransformCallback): void {
    try {
      cb(null, this.decoder.decode());
    } catch {
      cb(new Error('input is not valid UTF-8 (truncated character at end of file)'));
    }
  }
}

export async function* readCsvRecords(path: string): AsyncGenerator<CsvRecord> {
  const source = createReadStream(path);
  const decoder = new StrictUtf8Decoder();
  const parser = parse({ relax_quotes: true, relax_column_count: true, skip_empty_lines: false, info: true });
  const fail = (e: Error): void => {
    parser.destroy(e);
  };
  source.on('error', fail);
  decoder.on('error', fail);
  source.pipe(decoder).pipe(parser);
  for await (const item of parser as AsyncIterable<{ record: string[]; info: { records: number; lines: number } }>) {
    const values = item.record;
    for (let i = 0; i < values.length; i++) values[i] = pythonStrip(values[i]!);
    yield { record: item.info.records, line: item.info.lines, values };
  }
}
