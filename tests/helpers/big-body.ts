import { request as httpsRequest, type Agent } from 'node:https';
import type { Json } from './json.js';

export interface StreamedResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: Json;
  /** Body bytes the client had handed to its socket when the answer arrived. */
  sentWhenAnswered: number;
  /** Bytes the body would have had. */
  size: number;
}

/**
 * Send a large body as a client would, writing chunk after chunk as the socket drains, and stop as
 * soon as the broker answers. A broker that answers before reading the body is seen to have been sent
 * only what the sockets' buffers held; one that read it all was sent all of it. With `declare` the
 * request carries Content-Length, else it is chunked.
 */
export function streamBody(
  url: string,
  agent: Agent,
  opts: { method?: string; size: number; declare: boolean; headers?: Record<string, string>; chunk?: Buffer },
): Promise<StreamedResult> {
  // spaces: valid JSON whitespace, never a parse error on its own
  const chunk = opts.chunk ?? Buffer.alloc(64 * 1024, 0x20);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = httpsRequest(
      url,
      {
        method: opts.method ?? 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          ...(opts.declare ? { 'content-length': String(opts.size) } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        answered = true;
        const sentWhenAnswered = sent;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, json, sentWhenAnswered, size: opts.size });
          req.destroy();
        });
      },
    );
    // After the answer, the broker may close the connection under a write still in progress.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    const pump = () => {
      while (!answered && sent < opts.size) {
        const n = Math.min(chunk.length, opts.size - sent);
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered && sent >= opts.size) req.end();
    };
    pump();
  });
}
