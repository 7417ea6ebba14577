/**
 * Batch encoding of rows to base64 CLKs, in one thread or spread over worker threads.
 * Batches are submitted in input order and their results awaited in the same order, so the
 * output order never depends on which worker finishes first.
 */
import { Worker } from 'node:worker_threads';
import { parseClkSchema } from './schema.js';
import { ClkEncoder, type ClkEncoderOptions, type RowIssue } from './encoder.js';

export interface BatchResult {
  /** Base64 CLK per row; null where the row was rejected. */
  clks: (string | null)[];
  /** [row index within the batch, issue] for each rejected row. */
  issues: [number, RowIssue][];
}

export interface BatchEncoder {
  encode(rows: string[][]): Promise<BatchResult>;
  close(): Promise<void>;
}

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
  for (let i = 0; i < rows.length; i++) {
    const issue = encoder.encodeInto(rows[i]!, buf, i * n);
    if (issue === null) clks[i] = buf.toString('base64', i * n, (i + 1) * n);
    else {
      clks[i] = null;
      issues.push([i, issue]);
    }
  }
  return { clks, issues };
}

export function inThreadEncoder(setup: EncoderSetup): BatchEncoder {
  const encoder = ClkEncoder.fromSecret(parseClkSchema(setup.schemaJson), setup.secret, setup.options);
  return {
    encode: (rows) => Promise.resolve(encodeBatchWith(encoder, rows)),
    close: () => Promise.resolve(),
  };
}

interface Pending {
  resolve(r: BatchResult): void;
  reject(e: Error): void;
}

/** Round-robin over `count` worker threads, each with its own encoder and caches. */
export function workerPoolEncoder(setup: EncoderSetup, count: number): BatchEncoder {
  const workerUrl = new URL('./encode-worker.js', import.meta.url);
  const workers: Worker[] = [];
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let failure: Error | undefined;
  const failAll = (e: Error): void => {
    failure ??= e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  for (let i = 0; i < count; i++) {
    const w = new Worker(workerUrl, {
      workerData: { schemaJson: setup.schemaJson, secret: setup.secret, options: setup.options ?? {} },
    });
    w.on('message', (msg: { id: number; result: BatchResult }) => {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      p?.resolve(msg.result);
    });
    w.on('error', failAll);
    w.on('exit', (code) => {
      if (code !== 0) failAll(new Error(`encoding worker exited with code ${code}`));
    });
    workers.push(w);
  }
  return {
    encode(rows) {
      if (failure !== undefined) return Promise.reject(failure);
      const id = nextId++;
      return new Promise<BatchResult>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        workers[id % workers.length]!.postMessage({ id, rows });
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
