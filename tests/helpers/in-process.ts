import { Writable } from 'node:stream';
import { join } from 'node:path';
import type { Test } from 'tap';
import { addPerson, approvePolicy, createLogger, registerAgency, startBroker, storePolicy, type RunningBroker } from '@blindlink/broker';
import { parsePolicy } from '@blindlink/policies';
import { freshPostgres } from './postgres.js';

export const POLICY_YAML = `
id: test-policy
version: 1
purpose: testing
title: Test purpose
controllers: [{ name: Test Council, role: controller }]
lawfulBasis: { article6: UK GDPR Art. 6(1)(e) }
dpia: { reference: DPIA-T-1, approvedOn: 2019-12-01 }
validFrom: 2020-01-01
validUntil: 2099-12-31
reviewDate: 2099-01-01
contributors:
  - { agency: alpha, dataset: A, identifiers: [given_name, surname, dob] }
  - { agency: beta, dataset: B, identifiers: [given_name, surname, dob, postcode] }
recipients:
  - agency: alpha
    releases:
      - { id: alpha-asks-beta, form: membership, of: [beta] }
retention: { encodings: P30D, linkage: P30D, releases: P30D }
linkage: { threshold: 0.8 }
`;

export const IG_PASSWORD = 'correct horse battery staple 42';

export interface TestBroker extends RunningBroker {
  logs: string[];
  creds: Record<string, string>;
}

/** A broker in this process, on real PostgreSQL or PGlite, with agencies alpha and beta and a policy. */
export async function testBroker(t: Test, storage: 'postgres' | 'pglite', opts: { bodyLimit?: number; approve?: boolean } = {}): Promise<TestBroker> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  let databaseUrl: string | undefined;
  let drop = async () => {};
  if (storage === 'postgres') {
    const pg = await freshPostgres();
    databaseUrl = pg.url;
    drop = pg.drop;
  }
  const broker = await startBroker({
    dataDir: join(t.testdir({}), 'data'),
    databaseUrl,
    logger: createLogger('debug', sink),
    ...(opts.bodyLimit ? { bodyLimit: opts.bodyLimit } : {}),
  });
  // Close the broker's pool before dropping its database, or the drop kills live connections.
  t.teardown(async () => {
    await broker.close();
    await drop();
  });
  const creds: Record<string, string> = {};
  for (const a of ['alpha', 'beta', 'gamma']) creds[a] = (await registerAgency(broker.db, a, a)).secret;
  await storePolicy(broker.db, parsePolicy(POLICY_YAML), 'admin:root');
  await addPerson(broker.db, { username: 'iggy', role: 'ig-lead', password: IG_PASSWORD, createdBy: 'test' });
  if (opts.approve !== false) await approvePolicy(broker.db, 'test-policy', 1, 'iggy');
  return Object.assign(broker, { logs, creds });
}

export async function call(base: string, method: string, path: string, opts: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}) {
  const res = await fetch(new URL(path, base), {
    method,
    headers: {
      ...(opts.body !== undefined || opts.raw !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...opts.headers,
    },
    ...(opts.raw !== undefined ? { body: opts.raw } : opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

export async function tokenFor(b: TestBroker, agency: string): Promise<string> {
  const r = await call(b.url, 'POST', '/v1/token', { body: { agency, secret: b.creds[agency] } });
  if (r.status !== 200) throw new Error(`token for ${agency}: ${r.text}`);
  return r.json.accessToken;
}

/** A syntactically valid upload of n random 1024-bit CLKs. */
export function upload(n: number, seed = 1) {
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  const records = Array.from({ length: n }, (_, i) => ({
    token: Buffer.from(Array.from({ length: 16 }, (_, k) => (k === 0 ? i & 0xff : k === 1 ? (i >> 8) & 0xff : rnd()))).toString('base64url'),
    clk: Buffer.from(Array.from({ length: 128 }, rnd)).toString('base64'),
  }));
  return {
    header: {
      format: 'blindlink/encoded',
      formatVersion: 1,
      schema: { id: 'uk-person', version: 1, fingerprint: 'sha256:' + 'ab'.repeat(32), fields: ['given_name', 'surname', 'dob'] },
      clkBits: 1024,
      hardening: [],
      recordCount: n,
      createdAt: '2026-11-01T00:00:00.000Z',
    },
    records,
  };
}
