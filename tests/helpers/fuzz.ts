import { request as httpsRequest, type Agent } from 'node:https';
import { connect } from 'node:tls';
import { seededRandom } from '@blindlink/broker/prng';

/** Random request material from a seed (mulberry32): the same seed sends the same requests, so a failure replays. */
export function prng(seed: number) {
  const next = seededRandom(seed);
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const chance = (p: number) => next() < p;
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const text = (
    n: number,
    alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~ ' +
      '!"#$%&\'()*+,/:;<=>?@[\\]^`{|}é中\u0000\u202e',
  ) => Array.from({ length: n }, () => alphabet[int(alphabet.length)]).join('');
  /** Any JSON value, nested a little: the wrong type for nearly every field. */
  const json = (depth = 2): unknown => {
    switch (int(depth > 0 ? 9 : 6)) {
      case 0:
        return null;
      case 1:
        return chance(0.5);
      case 2:
        return pick([0, -1, 1.5, 1e308, -1e-308, 2 ** 53 + 1, 4294967296]);
      case 3:
        return text(int(40));
      case 4:
        return '';
      case 5:
        return pick(['testing', 'alpha', '1', 'true', 'null', '-----BEGIN ', '====', 'AAAA']);
      case 6:
      case 7:
        return Array.from({ length: int(4) }, () => json(depth - 1));
      default:
        return Object.fromEntries(
          Array.from({ length: int(4) }, () => [
            pick([
              'agency',
              'name',
              'code',
              'csr',
              'of',
              'username',
              'password',
              'role',
              'records',
              'header',
              'alg',
              text(6),
            ]),
            json(depth - 1),
          ]),
        );
    }
  };
  return { next, int, pick, chance, bytes, text, json };
}
export type Prng = ReturnType<typeof prng>;

/** Replace, drop or add one field somewhere in a JSON object, or change its type wholesale. */
export function mutateJson(r: Prng, value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > 4) return r.json(1);
  if (Array.isArray(value)) {
    if (value.length === 0 || r.chance(0.2)) return r.chance(0.5) ? [...value, r.json(1)] : r.json(1);
    const i = r.int(value.length);
    return value.map((v, k) => (k === i ? mutateJson(r, v, depth + 1) : v));
  }
  const keys = Object.keys(value);
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  const op = r.int(keys.length ? 4 : 1);
  if (op === 0) out[r.pick(['extra', '__proto__', 'constructor', r.text(5)])] = r.json(1);
  else if (op === 1) delete out[r.pick(keys)];
  else {
    const k = r.pick(keys);
    out[k] = op === 2 ? r.json(1) : mutateJson(r, out[k], depth + 1);
  }
  return out;
}

export interface RawResult {
  /** HTTP status; 0 when the connection failed, -1 when no answer came in time. */
  status: number;
  text: string;
  error?: string;
}

/** One HTTPS request that never throws: a crash or a reset shows as status 0, a hang as -1. */
export function rawRequest(
  url: string,
  args: { method: string; agent: Agent; headers?: Record<string, string>; body?: Buffer; timeoutMs?: number },
): Promise<RawResult> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: RawResult) => {
      if (!done) {
        done = true;
        clearTimeout(timer);
        resolve(r);
      }
    };
    const timer = setTimeout(() => {
      req.destroy();
      finish({ status: -1, text: '', error: 'timeout' });
    }, args.timeoutMs ?? 30_000);
    const req = httpsRequest(
      url,
      {
        method: args.method,
        agent: args.agent,
        headers: { ...(args.body ? { 'content-length': String(args.body.length) } : {}), ...args.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => finish({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (e) => finish({ status: 0, text: '', error: e.message }));
      },
    );
    req.on('error', (e) => finish({ status: 0, text: '', error: e.message }));
    req.end(args.body);
  });
}

/**
 * Send the head of a request that promises more body than it delivers, then hang up: the broker must
 * shrug off the aborted request.
 */
export function truncatedUpload(
  url: string,
  args: {
    caPem: string;
    cert?: string;
    key?: string;
    path: string;
    headers: Record<string, string>;
    promised: number;
    sent: Buffer;
  },
): Promise<void> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const socket = connect(
      {
        host: u.hostname,
        port: Number(u.port),
        ca: args.caPem,
        ...(args.cert && args.key ? { cert: args.cert, key: args.key } : {}),
        servername: 'localhost',
      },
      () => {
        const head = [
          `POST ${args.path} HTTP/1.1`,
          `host: ${u.host}`,
          `content-length: ${args.promised}`,
          ...Object.entries(args.headers).map(([k, v]) => `${k}: ${v}`),
          '',
          '',
        ].join('\r\n');
        socket.write(head);
        socket.write(args.sent, () => setTimeout(() => socket.destroy(), 20));
      },
    );
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
  });
}
