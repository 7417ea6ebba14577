import { Compile } from 'typebox/compile';
import type { SubmissionRequest } from './api.js';
import { EncodedHeader, EncodedRecord } from './encoded.js';

const checkHeader = Compile(EncodedHeader);
const checkRecord = Compile(EncodedRecord);

/** Strict checks of one header or record line, for readers that stream a file line by line. */
export const isEncodedHeader = (v: unknown): v is EncodedHeader => checkHeader.Check(v);
export const isEncodedRecord = (v: unknown): v is EncodedRecord => checkRecord.Check(v);

export class EncodedFileError extends Error {}

/**
 * Parse an encoded file (JSON lines: the header, then one record per line) and check every line
 * against the wire schemas. Shared by the agency (before upload) and the broker's offline linker.
 */
export function parseEncodedFile(text: string, source: string): SubmissionRequest {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const parseLine = (i: number): unknown => {
    try {
      return JSON.parse(lines[i]!);
    } catch {
      throw new EncodedFileError(`${source} line ${i + 1}: not JSON`);
    }
  };
  if (lines.length === 0) throw new EncodedFileError(`${source} is empty`);
  const header = parseLine(0);
  if (!checkHeader.Check(header)) {
    const e = [...checkHeader.Errors(header)][0];
    throw new EncodedFileError(
      `${source}: not a blindlink encoded file (header${e ? `${e.instancePath} ${e.message}` : ''})`,
    );
  }
  const records: SubmissionRequest['records'] = [];
  for (let i = 1; i < lines.length; i++) {
    const r = parseLine(i);
    if (!checkRecord.Check(r)) throw new EncodedFileError(`${source} line ${i + 1}: not an encoded record`);
    records.push(r);
  }
  if (records.length !== header.recordCount) {
    throw new EncodedFileError(
      `${source}: header says ${header.recordCount} records but the file holds ${records.length} (truncated?)`,
    );
  }
  return { header, records };
}
