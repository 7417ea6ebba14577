import { createHash } from 'node:crypto';
import { Compile } from 'typebox/compile';
import { EncodedRecord, ProtocolError, UPLOAD_CHUNK_MAX_BYTES, type EncodedHeader } from '@blindlink/protocol';
import type { BrokerKeyring } from '../trust/keys.js';
import { decodeRecords, type DecodedSubmission } from '../submissions/validate.js';

const checkRecord = Compile(EncodedRecord);

/** Open a sealed chunk (raw bytes); the SHA-256 of the plaintext is what the manifest lists. */
export function openChunk(keys: BrokerKeyring, sealed: Uint8Array): { plain: Buffer; sha256: string } {
  let plain: Uint8Array;
  try {
    plain = keys.sealedOpen(sealed);
  } catch {
    throw new ProtocolError(
      'invalid-encoding',
      'chunk refused: cannot open sealed box (sealed to another key, or damaged)',
    );
  }
  if (plain.length > UPLOAD_CHUNK_MAX_BYTES)
    throw new ProtocolError('invalid-body', `a chunk holds at most ${UPLOAD_CHUNK_MAX_BYTES} bytes`);
  const buf = Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength);
  return { plain: buf, sha256: createHash('sha256').update(buf).digest('hex') };
}

/**
 * Parse and validate one chunk's records strictly: JSON lines each ending in "\n", each an
 * EncodedRecord (no unknown fields), then the same per-record checks as a single-body submission.
 * Rows are named by their position in the whole upload. Linear in the chunk's size.
 */
export function decodeChunk(
  plain: Buffer,
  header: EncodedHeader,
  expected: { records: number; firstRow: number },
  checkAttributes: (attrs: Record<string, string>, row: number) => Record<string, string | boolean>,
): DecodedSubmission {
  if (plain.length === 0 || plain[plain.length - 1] !== 0x0a)
    throw new ProtocolError('invalid-body', 'a chunk is JSON lines, each ending in a newline');
  const records: EncodedRecord[] = [];
  let start = 0;
  while (start < plain.length) {
    const end = plain.indexOf(0x0a, start);
    const row = expected.firstRow + records.length;
    if (records.length >= expected.records)
      throw new ProtocolError(
        'invalid-body',
        `the chunk holds more than the ${expected.records} records its manifest lists`,
      );
    let value: unknown;
    try {
      value = JSON.parse(plain.toString('utf8', start, end));
    } catch {
      throw new ProtocolError('invalid-body', `records[${row}] is not JSON`, { row });
    }
    if (!checkRecord.Check(value)) {
      const e = [...checkRecord.Errors(value)][0];
      throw new ProtocolError('invalid-body', `records[${row}]${e?.instancePath ?? ''} ${e?.message ?? 'is invalid'}`, {
        row,
      });
    }
    records.push(value);
    start = end + 1;
  }
  if (records.length !== expected.records)
    throw new ProtocolError(
      'invalid-body',
      `the chunk holds ${records.length} records; its manifest lists ${expected.records}`,
    );
  return decodeRecords(header, records, { checkAttributes, firstRow: expected.firstRow });
}
