/**
 * Batches of rows → encoded JSON lines plus token-map lines, in the calling thread or on a pool of
 * worker threads. Batches are handed out round-robin and their results awaited in submission order,
 * so the output order is the input order whichever worker finishes first.
 */
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { csvLine } from '../io/csv.js';
import { RecordEncoder, type RecordEncoderSetup } from './record-encoder.js';

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
}

export interface BatchEncoder {
  encode(rows: string[][]): Promise<BatchOutput>;
  close(): Promise<void>;
}

export function encodeBatchWith(encoder: RecordEncoder, idColumn: number, rows: readonly string[][]): BatchOutput {
  // One call for all the batch's random row tokens: far cheaper than one per row.
  const random = randomBytes(16 * rows.length);
  let body = '';
  let tokenMap = '';
  let encoded = 0;
  const rejects: [number, string][] = [];
  const leftOut: [number, string][] = [];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const token = random.toString('base64url', 16 * i, 16 * i + 16);
    const r = encoder.encode(row, token);
    if ('line' in r) {
      body += r.line + '\n';
      tokenMap += csvLine([token, (row[idColumn] ?? '').trim()]);
      encoded++;
      for (const reason of r.leftOut ?? []) leftOut.push([i, reason]);
    } else rejects.push([i, r.reason]);
  }
  return { body, tokenMap, encoded, rejects, leftOut };
}

export function inThreadEncoder(setup: RecordEncoderSetup): BatchEncoder {
  const encoder = new RecordEncoder(setup);
  return {
    encode: (rows) => Promise.resolve(encodeBatchWith(encoder, setup.idColumn, rows)),
    close: () => Promise.resolve(),
  };
}

interface Pending {
  resolve(r: BatchOutput): void;
  reject(e: Error): void;
}

/** `count` worker threads, each with its own encoder and caches. */
export function workerPoolEncoder(setup: RecordEncoderSetup, count: number): BatchEncoder {
  const workerUrl = new URL('./encode-worker.js', import.meta.url);
  const workers: Worker[] = [];
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let failure: Error | undefined;
  let closing = false;
  const failAll = (e: Error): void => {
    failure ??= e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  for (let i = 0; i < count; i++) {
    const w = new Worker(workerUrl, { workerData: setup });
    w.on('message', (msg: { id: number; result: BatchOutput }) => {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      p?.resolve(msg.result);
    });
    w.on('error', failAll);
    w.on('exit', (code) => {
      if (code !== 0 && !closing) failAll(new Error(`encoding worker exited with code ${code}`));
    });
    workers.push(w);
  }
  return {
    encode(rows) {
      if (failure !== undefined) return Promise.reject(failure);
      const id = nextId++;
      return new Promise<BatchOutput>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        workers[id % workers.length]!.postMessage({ id, rows });
      });
    },
    async close() {
      closing = true;
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
