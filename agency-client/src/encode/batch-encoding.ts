/**
 * Batches of rows → encoded JSON lines plus token-map lines, in the calling thread or on the
 * encoding worker pool (worker-pool.ts), whose results come back in submission order.
 */
import { randomBytes } from 'node:crypto';
import { csvField } from '../io/csv.js';
import { LineWriter } from './line-writer.js';
import { RecordEncoder, type RecordEncoderSetup } from './record-encoder.js';
import { type BatchPool, inThreadPool, workerPool } from './worker-pool.js';

export interface BatchOutput {
  /** Encoded records, one JSON line each ('\n'-terminated), in row order, as UTF-8. */
  body: Uint8Array;
  /** The matching `row_token,record_id` lines, as UTF-8. */
  tokenMap: Uint8Array;
  encoded: number;
  /** [row index within the batch, reason] for each rejected row. */
  rejects: [number, string][];
  /** [row index within the batch, reason] for each invalid field left out of a kept row. */
  leftOut: [number, string][];
  /** Values repaired before use, counted by `field: repair`. */
  repaired: Record<string, number>;
}

export type BatchEncoder = BatchPool<string[][], BatchOutput>;

/** The writers a thread's batches are written into, reused batch after batch (their bytes are copied out). */
export interface BatchWriters {
  body: LineWriter;
  tokenMap: LineWriter;
}

export function encodeBatchWith(
  encoder: RecordEncoder,
  idColumn: number,
  rows: readonly string[][],
  writers: BatchWriters = { body: new LineWriter(1 << 16), tokenMap: new LineWriter(1 << 14) },
): BatchOutput {
  // One call for all the batch's random row tokens: far cheaper than one per row.
  const random = randomBytes(16 * rows.length);
  const { body, tokenMap } = writers;
  body.reset();
  tokenMap.reset();
  let encoded = 0;
  const rejects: [number, string][] = [];
  const leftOut: [number, string][] = [];
  const repaired: Record<string, number> = {};
  encoder.prepare(rows);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const token = random.toString('base64url', 16 * i, 16 * i + 16);
    const r = encoder.encodeInto(row, token, body);
    if (r !== null && 'reason' in r) {
      rejects.push([i, r.reason]);
      continue;
    }
    body.byte(0x0a); // '\n'
    // The token is base64url: only the record id may need quoting.
    tokenMap.ascii(token);
    tokenMap.byte(0x2c); // ','
    tokenMap.utf8(csvField((row[idColumn] ?? '').trim()));
    tokenMap.byte(0x0a);
    encoded++;
    if (r === null) continue;
    for (const reason of r.leftOut ?? []) leftOut.push([i, reason]);
    for (const key of r.repaired ?? []) repaired[key] = (repaired[key] ?? 0) + 1;
  }
  return { body: body.copy(), tokenMap: tokenMap.copy(), encoded, rejects, leftOut, repaired };
}

/** A fresh encoder (and caches) for `setup`, as a function of a batch: what each thread runs. */
export function batchEncoderFor(setup: RecordEncoderSetup): (rows: readonly string[][]) => BatchOutput {
  const encoder = new RecordEncoder(setup);
  const writers = { body: new LineWriter(1 << 20), tokenMap: new LineWriter(1 << 16) };
  return (rows) => encodeBatchWith(encoder, setup.idColumn, rows, writers);
}

export function inThreadEncoder(setup: RecordEncoderSetup): BatchEncoder {
  return inThreadPool(batchEncoderFor(setup));
}

/** `count` worker threads, each with its own encoder and caches. */
export function workerPoolEncoder(setup: RecordEncoderSetup, count: number): BatchEncoder {
  return workerPool(new URL('./encode-worker.js', import.meta.url), setup, count);
}
