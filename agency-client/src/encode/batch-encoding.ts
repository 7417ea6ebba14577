/**
 * Batches of rows → encoded JSON lines plus token-map lines, in the calling thread or on the
 * encoding worker pool (worker-pool.ts), whose results come back in submission order.
 */
import { randomBytes } from 'node:crypto';
import { csvLine } from '../io/csv.js';
import { RecordEncoder, type RecordEncoderSetup } from './record-encoder.js';
import { type BatchPool, inThreadPool, workerPool } from './worker-pool.js';

export interface BatchOutput {
  /** Encoded records, one JSON line each ('\n'-terminated), in row order. */
  body: string;
  /** The matching `row_token,record_id` lines. */
  tokenMap: string;
  encoded: number;
  /** [row index within the batch, reason] for each rejected row. */
  rejects: [number, string][];
  /** [row index within the batch, reason] for each invalid field left out of a kept row. */
  leftOut: [number, string][];
  /** Values repaired before use, counted by `field: repair`. */
  repaired: Record<string, number>;
}

export type BatchEncoder = BatchPool<string[][], BatchOutput>;

export function encodeBatchWith(encoder: RecordEncoder, idColumn: number, rows: readonly string[][]): BatchOutput {
  // One call for all the batch's random row tokens: far cheaper than one per row.
  const random = randomBytes(16 * rows.length);
  let body = '';
  let tokenMap = '';
  let encoded = 0;
  const rejects: [number, string][] = [];
  const leftOut: [number, string][] = [];
  const repaired: Record<string, number> = {};
  encoder.prepare(rows);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const token = random.toString('base64url', 16 * i, 16 * i + 16);
    const r = encoder.encode(row, token);
    if ('line' in r) {
      body += r.line + '\n';
      tokenMap += csvLine([token, (row[idColumn] ?? '').trim()]);
      encoded++;
      for (const reason of r.leftOut ?? []) leftOut.push([i, reason]);
      for (const key of r.repaired ?? []) repaired[key] = (repaired[key] ?? 0) + 1;
    } else rejects.push([i, r.reason]);
  }
  return { body, tokenMap, encoded, rejects, leftOut, repaired };
}

/** A fresh encoder (and caches) for `setup`, as a function of a batch: what each thread runs. */
export function batchEncoderFor(setup: RecordEncoderSetup): (rows: readonly string[][]) => BatchOutput {
  const encoder = new RecordEncoder(setup);
  return (rows) => encodeBatchWith(encoder, setup.idColumn, rows);
}

export function inThreadEncoder(setup: RecordEncoderSetup): BatchEncoder {
  return inThreadPool(batchEncoderFor(setup));
}

/** `count` worker threads, each with its own encoder and caches. */
export function workerPoolEncoder(setup: RecordEncoderSetup, count: number): BatchEncoder {
  return workerPool(new URL('./encode-worker.js', import.meta.url), setup, count);
}
