import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  isEncodedHeader,
  isEncodedRecord,
  UPLOAD_CHUNK_MAX_BYTES,
  UPLOAD_MAX_CHUNKS,
  type EncodedHeader,
  type UploadChunkSpec,
} from '@blindlink/protocol';
import { FileFormatError } from '../io/encoded-file.js';

/**
 * The encoded file cut into upload chunks, streamed: chunk n's plaintext is a run of the file's
 * record lines, each with its "\n", exactly as in the file (protocol/src/uploads.ts). Two passes
 * read the file: the first checks every record and lists each chunk's digest for the manifest; the
 * second cuts the same chunks again for sending. Neither holds more than a chunk of the file.
 */

export const DEFAULT_CHUNK_RECORDS = 10_000;
/** Under the broker's limit, with room to spare. */
export const DEFAULT_CHUNK_BYTES = 6 * 1024 * 1024;

export interface ChunkPlan {
  header: EncodedHeader;
  chunks: UploadChunkSpec[];
  totalRecords: number;
  /** SHA-256 of the whole file: the default idempotency key derives from it. */
  fileSha256: string;
  fileBytes: number;
}

/** Every line of a file as bytes, without its "\n", with its 1-based number. */
async function* lines(path: string): AsyncGenerator<{ line: Buffer; no: number }> {
  let rest: Buffer | null = null;
  let no = 0;
  for await (const piece of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    const buf: Buffer = rest ? Buffer.concat([rest, piece]) : piece;
    let start = 0;
    for (let nl = buf.indexOf(0x0a, start); nl !== -1; nl = buf.indexOf(0x0a, start)) {
      yield { line: buf.subarray(start, nl), no: ++no };
      start = nl + 1;
    }
    rest = start < buf.length ? Buffer.from(buf.subarray(start)) : null;
  }
  if (rest?.length) yield { line: rest, no: ++no };
}

/** Pass 1: check the file and plan its chunks. Errors name the line, never a value. */
export async function planChunks(
  path: string,
  opts: { maxRecords?: number; maxBytes?: number; onRecords?: (n: number) => void } = {},
): Promise<ChunkPlan> {
  const maxRecords = opts.maxRecords ?? DEFAULT_CHUNK_RECORDS;
  const maxBytes = Math.min(opts.maxBytes ?? DEFAULT_CHUNK_BYTES, UPLOAD_CHUNK_MAX_BYTES);
  const fileHash = createHash('sha256');
  let fileBytes = 0;
  let header: EncodedHeader | undefined;
  const chunks: UploadChunkSpec[] = [];
  let hash = createHash('sha256');
  let records = 0;
  let bytes = 0;
  let total = 0;
  const close = () => {
    if (records) chunks.push({ records, sha256: hash.digest('hex') });
    hash = createHash('sha256');
    records = 0;
    bytes = 0;
  };
  try {
    for await (const { line, no } of lines(path)) {
      fileHash.update(line).update('\n');
      fileBytes += line.length + 1;
      let value: unknown;
      try {
        value = JSON.parse(line.toString('utf8'));
      } catch {
        throw new FileFormatError(`${path} line ${no}: not JSON`);
      }
      if (no === 1) {
        if (!isEncodedHeader(value))
          throw new FileFormatError(`${path}: not a blindlink encoded file (line 1 is not an encoded header)`);
        header = value;
        continue;
      }
      if (!isEncodedRecord(value)) throw new FileFormatError(`${path} line ${no}: not an encoded record`);
      if (line.length + 1 > maxBytes)
        throw new FileFormatError(`${path} line ${no}: a record of ${line.length} bytes is larger than a chunk`);
      if (records === maxRecords || bytes + line.length + 1 > maxBytes) close();
      hash.update(line).update('\n');
      records++;
      bytes += line.length + 1;
      total++;
      if (total % 10_000 === 0) opts.onRecords?.(total);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EISDIR')
      throw new FileFormatError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code}`);
    throw err;
  }
  close();
  if (!header) throw new FileFormatError(`${path} is empty`);
  if (total !== header.recordCount)
    throw new FileFormatError(
      `${path}: header says ${header.recordCount} records but the file holds ${total} (truncated?)`,
    );
  if (total === 0) throw new FileFormatError(`${path} holds no records`);
  if (chunks.length > UPLOAD_MAX_CHUNKS)
    throw new FileFormatError(
      `${path}: ${chunks.length} chunks is more than the broker takes in one upload (${UPLOAD_MAX_CHUNKS})`,
    );
  return { header, chunks, totalRecords: total, fileSha256: fileHash.digest('hex'), fileBytes };
}

/**
 * Pass 2: the plan's chunks again, in order, each checked against its digest (the file must not have
 * changed since pass 1). Pulled one at a time, so reading waits while the sender is busy.
 */
export async function* readChunks(path: string, plan: ChunkPlan): AsyncGenerator<{ n: number; plain: Buffer }> {
  let n = 0;
  let parts: Buffer[] = [];
  const NL = Buffer.from('\n');
  const emit = () => {
    const plain = Buffer.concat(parts);
    parts = [];
    const spec = plan.chunks[n];
    if (!spec || createHash('sha256').update(plain).digest('hex') !== spec.sha256)
      throw new FileFormatError(`${path} changed while it was being uploaded (chunk ${n}); run submit again`);
    return { n: n++, plain };
  };
  let inChunk = 0;
  for await (const { line, no } of lines(path)) {
    if (no === 1) continue;
    parts.push(line, NL);
    if (++inChunk === plan.chunks[n]?.records) {
      yield emit();
      inChunk = 0;
    }
  }
  if (inChunk || n !== plan.chunks.length)
    throw new FileFormatError(`${path} changed while it was being uploaded; run submit again`);
}
