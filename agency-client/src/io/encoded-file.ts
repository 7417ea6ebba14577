import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { EncodedFileError, parseEncodedFile, type SubmissionRequest } from '@blindlink/protocol';
import { parse } from 'csv-parse/sync';
import { TOKEN_MAP_HEADER } from './row-tokens.js';

export class FileFormatError extends Error {}

/** Read and check an encoded file; returns the upload body and a digest usable as idempotency key. */
export function readEncodedFile(path: string): { body: SubmissionRequest; digest: string } {
  const text = readFileSync(path, 'utf8');
  try {
    return { body: parseEncodedFile(text, path), digest: createHash('sha256').update(text).digest('hex') };
  } catch (err) {
    if (err instanceof EncodedFileError) throw new FileFormatError(err.message);
    throw err;
  }
}

/** The agency's private map from row token to its own record id. */
export function readTokenMap(path: string): Map<string, string> {
  const rows = parse(readFileSync(path), { bom: true }) as string[][];
  if (rows[0]?.join(',') !== TOKEN_MAP_HEADER)
    throw new FileFormatError(`${path}: expected header ${TOKEN_MAP_HEADER}`);
  return new Map(rows.slice(1).map((r) => [r[0]!, r[1]!]));
}
