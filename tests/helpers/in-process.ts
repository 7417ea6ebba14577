import { request as httpsRequest, type Agent } from 'node:https';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import type { Test } from 'tap';
import {
  addPerson,
  approvePolicy,
  createLogger,
  registerAgency,
  startBroker,
  storePolicy,
  type RunningBroker,
  type WorkerMode,
} from '@blindlink/broker';
import { parsePolicy } from '@blindlink/policies';
import { enrol } from '@blindlink/agency-client';
import {
  loadOrCreateAgencySigningKey,
  loadTlsIdentity,
  mtlsAgent,
  sealSubmission,
} from '@blindlink/agency-client/identity';
import type { Json } from './json.js';
import { lcg32Rounded } from '@blindlink/broker/prng';
import { seedEmbedded } from './embedded-template.js';
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
  /** Each enrolled agency's key directory (TLS key and certificate, signing key, broker keys). */
  keyDirs: Record<string, string>;
  agent(agency?: string): Agent;
  /** The PostgreSQL database's URL (undefined on PGlite), for the operator CLI against the same data. */
  databaseUrl: string | undefined;
}

/**
 * A broker in this process over mutual TLS, on real PostgreSQL or PGlite, with agencies alpha, beta
 * and gamma enrolled, an IG lead, and the test policy loaded and approved.
 */
export async function testBroker(
  t: Test,
  storage: 'postgres' | 'pglite',
  opts: { bodyLimit?: number; approve?: boolean; rateLimit?: number; worker?: WorkerMode } = {},
): Promise<TestBroker> {
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
  const root = t.testdir({});
  if (storage === 'pglite') await seedEmbedded(join(root, 'data'));
  const broker = await startBroker({
    dataDir: join(root, 'data'),
    databaseUrl,
    logger: createLogger('debug', sink),
    ...(opts.bodyLimit ? { bodyLimit: opts.bodyLimit } : {}),
    ...(opts.rateLimit ? { rateLimit: opts.rateLimit } : {}),
    ...(opts.worker ? { worker: opts.worker } : {}),
  });
  const agents = new Map<string, Agent>();
  // Close the broker's pool before dropping its database, or the drop kills live connections.
  t.teardown(async () => {
    for (const a of agents.values()) a.destroy();
    await broker.close();
    await drop();
  });
  const keyDirs: Record<string, string> = {};
  for (const a of ['alpha', 'beta', 'gamma']) {
    const { enrolmentCode } = await registerAgency(broker.db, a, a);
    keyDirs[a] = join(root, `${a}-keys`);
    await enrol({
      baseUrl: broker.url,
      keyDir: keyDirs[a],
      agency: a,
      code: enrolmentCode,
      caPem: broker.caCertificate,
    });
  }
  await storePolicy(broker.db, parsePolicy(POLICY_YAML), 'admin:root');
  await addPerson(broker.db, { username: 'iggy', role: 'ig-lead', password: IG_PASSWORD, createdBy: 'test' });
  if (opts.approve !== false) await approvePolicy(broker.db, 'test-policy', 1, 'iggy');
  const agent = (agency?: string) => {
    const key = agency ?? '';
    if (!agents.has(key))
      agents.set(key, mtlsAgent(agency ? loadTlsIdentity(keyDirs[agency]!) : { caPem: broker.caCertificate }));
    return agents.get(key)!;
  };
  return Object.assign(broker, { logs, keyDirs, agent, databaseUrl });
}

export interface CallOptions {
  /** Present this agency's client certificate; none when unset. */
  as?: string;
  token?: string;
  body?: unknown;
  raw?: string | Buffer;
  headers?: Record<string, string>;
  agent?: Agent;
}

/** One HTTPS request to the broker, as a client on another machine would make it. */
export async function call(b: TestBroker, method: string, path: string, opts: CallOptions = {}) {
  const payload =
    opts.raw !== undefined
      ? Buffer.from(opts.raw)
      : opts.body !== undefined
        ? Buffer.from(JSON.stringify(opts.body))
        : undefined;
  const { status, text, headers } = await new Promise<{
    status: number;
    text: string;
    headers: import('node:http').IncomingHttpHeaders;
  }>((resolve, reject) => {
    const req = httpsRequest(
      new URL(path, b.url),
      {
        method,
        agent: opts.agent ?? b.agent(opts.as),
        headers: {
          ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status, json, text, headers };
}

/**
 * Queue a run (POST …/runs, 202) and poll its status until it has completed or failed: the answer is
 * the POST's status with the final RunStatus as json (or the POST's refusal as it came).
 */
export async function runToEnd(b: TestBroker, purpose: string, opts: CallOptions = {}) {
  const queued = await call(b, 'POST', `/v1/purposes/${purpose}/runs`, opts);
  if (queued.status !== 202) return queued;
  const { body: _body, raw: _raw, ...rest } = opts;
  for (;;) {
    const s = await call(b, 'GET', `/v1/purposes/${purpose}/runs/${queued.json.runId}`, rest);
    if (s.status !== 200) return s;
    if (s.json.status === 'completed' || s.json.status === 'failed')
      return { status: queued.status, json: s.json, text: s.text };
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** An agency's access token, over its own certificate. */
export async function tokenFor(b: TestBroker, agency: string): Promise<string> {
  const r = await call(b, 'POST', '/v1/token', { as: agency });
  if (r.status !== 200) throw new Error(`token for ${agency}: ${r.text}`);
  return r.json.accessToken;
}

export async function loginAs(b: TestBroker, username: string, password: string): Promise<string> {
  const r = await call(b, 'POST', '/v1/login', { body: { username, password } });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.text}`);
  return r.json.accessToken;
}

/** The key check of the helper's uploads: they all stand for files encoded with one secret. */
export const TEST_KEY_CHECK = 'dGVzdCBrZXkgY2hlY2sgMQ';

/** A syntactically valid submission body of n random 1024-bit CLKs (before sealing). */
export function upload(n: number, seed = 1, keyCheck = TEST_KEY_CHECK) {
  const word = lcg32Rounded(seed);
  const rnd = () => (word() >>> 16) & 0xff;
  const records = Array.from({ length: n }, (_, i) => ({
    token: Buffer.from(
      Array.from({ length: 16 }, (_, k) => (k === 0 ? i & 0xff : k === 1 ? (i >> 8) & 0xff : rnd())),
    ).toString('base64url'),
    clk: Buffer.from(Array.from({ length: 128 }, rnd)).toString('base64'),
  }));
  return {
    header: {
      format: 'blindlink/encoded',
      formatVersion: 1,
      schema: {
        id: 'uk-person',
        version: 1,
        fingerprint: 'sha256:' + 'ab'.repeat(32),
        fields: ['given_name', 'surname', 'dob'],
      },
      keyCheck,
      clkBits: 1024,
      hardening: [] as string[],
      recordCount: n,
      createdAt: '2026-11-01T00:00:00.000Z',
    },
    records,
  };
}

/** Sign with the agency's key and seal to the broker, exactly as the client does. */
export async function seal(b: TestBroker, agency: string, body: unknown) {
  const signing = await loadOrCreateAgencySigningKey(b.keyDirs[agency]!);
  const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(JSON.stringify(body));
  return sealSubmission(bytes, b.keys.sealingPublicKeyBase64, signing.secretKey);
}

/** Submit a body as an agency: token, seal, POST. */
export async function submitAs(
  b: TestBroker,
  agency: string,
  body: unknown,
  key: string,
  opts: { token?: string; purpose?: string } = {},
) {
  return call(b, 'POST', `/v1/purposes/${opts.purpose ?? 'testing'}/submissions`, {
    as: agency,
    token: opts.token ?? (await tokenFor(b, agency)),
    body: await seal(b, agency, body),
    headers: { 'idempotency-key': key },
  });
}
