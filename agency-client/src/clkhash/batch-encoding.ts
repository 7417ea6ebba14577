/**
 * Batch encoding of rows to base64 CLKs, in one thread or on the encoding worker pool
 * (encode/worker-pool.ts). Batches are submitted in input order and their results awaited in the
 * same order, so the output order never depends on which worker finishes first.
 */
import { parseClkSchema } from './schema.js';
import { ClkEncoder, type ClkEncoderOptions, type RowIssue } from './encoder.js';
import { type BatchPool, inThreadPool, workerPool } from '../encode/worker-pool.js';

export interface BatchResult {
  /** Base64 CLK per row; null where the row was rejected. */
  clks: (string | null)[];
  /** [row index within the batch, issue] for each rejected row. */
  issues: [number, RowIssue][];
  /** [row index within the batch, issue] for each invalid value encoded as missing in a kept row. */
  leftOut: [number, RowIssue][];
}

export type BatchEncoder = BatchPool<string[][], BatchResult>;

export interface EncoderSetup {
  /** The schema as decoded JSON (workers re-parse it: compiled regexes cannot be cloned). */
  schemaJson: unknown;
  secret: Uint8Array;
  options?: ClkEncoderOptions;
}

/** Encodes a batch with an existing encoder (shared by the in-thread path and the workers). */
export function encodeBatchWith(encoder: ClkEncoder, rows: string[][]): BatchResult {
  const n = encoder.clkBytes;
  const buf = Buffer.alloc(n * rows.length);
  const clks: (string | null)[] = new Array(rows.length);
  const issues: [number, RowIssue][] = [];
  const leftOut: [number, RowIssue][] = [];
  for (let i = 0; i < rows.length; i++) {
    const issue = encoder.encodeInto(rows[i]!, buf, i * n);
    if (issue === null) {
      clks[i] = buf.toString('base64', i * n, (i + 1) * n);
      for (const l of encoder.leftOut) leftOut.push([i, l]);
    } else {
      clks[i] = null;
      issues.push([i, issue]);
    }
  }
  return { clks, issues, leftOut };
}

/** A fresh encoder (and caches) for `setup`, as a function of a batch: what each thread runs. */
export function batchEncoderFor(setup: EncoderSetup): (rows: string[][]) => BatchResult {
  const encoder = ClkEncoder.fromSecret(parseClkSchema(setup.schemaJson), setup.secret, setup.options);
  return (rows) => encodeBatchWith(encoder, rows);
}

export function inThreadEncoder(setup: EncoderSetup): BatchEncoder {
  return inThreadPool(batchEncoderFor(setup));
}

/** Round-robin over `count` worker threads, each with its own encoder and caches. */
export function workerPoolEncoder(setup: EncoderSetup, count: number): BatchEncoder {
  const data: EncoderSetup = { schemaJson: setup.schemaJson, secret: setup.secret, options: setup.options ?? {} };
  return workerPool(new URL('./encode-worker.js', import.meta.url), data, count);
}
