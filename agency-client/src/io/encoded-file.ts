import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Compile } from 'typebox/compile';
import { EncodedHeader, EncodedRecord, type SubmissionRequest } from '@blindlink/protocol';
import { parse } from 'csv-parse/sync';
import { TOKEN_MAP_HEADER } from './row-tokens.js';

const checkHeader = Compile(EncodedHeader);
const checkRecord = Compile(EncodedRecord);

export class FileFormatError extends Error {}

/** Read and check an encoded file; returns the upload body and a digest usable as idempotency key. */
export function readEncodedFile(path: string): { body: SubmissionRequest; digest: string } {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n').filter((l) => l.length > 0);
  const parseLine = (i: number) => {
    try {
      return JSON.parse(lines[i]!) as unknown;
    } catch {
      throw new FileFormatError(`${path} line ${i + 1}: not JSON`);
    }
  };
  if (lines.length === 0) throw new FileFormatError(`${path} is empty`);
  const header = parseLine(0);
  if (!checkHeader.Check(header)) {
    const e = [...checkHeader.Errors(header)][0];
    throw new FileFormatError(`${path}: not a blindlink encoded file (header${e ? `${e.instancePath} ${e.message}` : ''})`);
  }
  const records = [];
  for (let i = 1; i < lines.length; i++) {
    const r = parseLine(i);
    if (!checkRecord.Check(r)) throw new FileFormatError(`${path} line ${i + 1}: not an encoded record`);
    records.push(r);
  }
  if (records.length !== header.recordCount) {
    throw new FileFormatError(`${path}: header says ${header.recordCount} records but the file holds ${records.length} (truncated?)`);
  }
  return { body: { header, records }, digest: createHash('sha256').update(text).digest('hex') };
}

/** The agency's private map from row token to its own record id. */
export function readTokenMap(path: string): Map<string, string> {
  const rows = parse(readFileSync(path), { bom: true }) as string[][];
  if (rows[0]?.join(',') !== TOKEN_MAP_HEADER) throw new FileFormatError(`${path}: expected header ${TOKEN_MAP_HEADER}`);
  return new Map(rows.slice(1).map((r) => [r[0]!, r[1]!]));
}
