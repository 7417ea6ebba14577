/**
 * `node bench/dist/bench-receipts.js`: what signing an audit receipt on every answer costs.
 *  1. one receipt signed (message, Ed25519 via libsodium, base64url header) and one verified (node:crypto), µs each;
 *  2. requests per second and p50/p99 latency through the real HTTPS API on PostgreSQL, at 1 and 16
 *     requests in flight, with receipts signed and with signing stubbed out on the same broker — so the
 *     difference is the signature alone. Appends are serialised by a table lock; signing happens after
 *     the commit, outside it, so it should not lengthen the queue.
 * Settings: BENCH_SECONDS per configuration (6), BLINDLINK_TEST_PG admin URL.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpsRequest, Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createLogger, startBroker } from '@blindlink/broker';
import { BrokerKeyring } from '@blindlink/broker/trust';
import {
  AUDIT_HEAD_HEADER,
  auditReceiptMessage,
  decodeAuditReceipt,
  encodeAuditReceipt,
  verifyAuditReceipt,
  type AuditReceipt,
} from '@blindlink/protocol';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const PG_ADMIN_URL = process.env.BLINDLINK_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** CPU time of this process (µs): on a shared machine wall time also counts other people's work. */
const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

function micro(keys: BrokerKeyring): { signUs: number; verifyUs: number; signCpuUs: number; verifyCpuUs: number } {
  const n = 5000;
  const hash = randomBytes(32).toString('hex');
  let last: AuditReceipt | null = null;
  let t0 = process.hrtime.bigint();
  let c0 = cpuUs();
  for (let i = 1; i <= n; i++) {
    const body = { seq: i, hash, at: new Date().toISOString(), brokerKeyId: keys.keyId };
    last = { ...body, signature: Buffer.from(keys.sign(new Uint8Array(auditReceiptMessage(body)))).toString('base64') };
    encodeAuditReceipt(last);
  }
  const signUs = Number(process.hrtime.bigint() - t0) / 1000 / n;
  const signCpuUs = (cpuUs() - c0) / n;
  t0 = process.hrtime.bigint();
  c0 = cpuUs();
  for (let i = 0; i < n / 5; i++)
    if (!verifyAuditReceipt(last!, keys.signingPublicKey).ok) throw new Error('receipt does not verify');
  const verifyUs = Number(process.hrtime.bigint() - t0) / 1000 / (n / 5);
  const verifyCpuUs = (cpuUs() - c0) / (n / 5);
  return { signUs, verifyUs, signCpuUs, verifyCpuUs };
}

function get(url: string, agent: Agent): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { agent }, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200
          ? resolve(res.headers[AUDIT_HEAD_HEADER] as string | undefined)
          : reject(new Error(`HTTP ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

async function load(
  url: string,
  agent: Agent,
  inFlight: number,
): Promise<{ rps: number; p50: number; p99: number; seqs: number[] }> {
  const latencies: number[] = [];
  const seqs: number[] = [];
  const until = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (Date.now() < until) {
        const t0 = performance.now();
        const head = await get(`${url}/v1/broker`, agent);
        latencies.push(performance.now() - t0);
        const d = head ? decodeAuditReceipt(head) : null;
        if (d?.ok) seqs.push(d.receipt.seq);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  return { rps: latencies.length / SECONDS, p50: q(0.5), p99: q(0.99), seqs };
}

async function main(): Promise<void> {
  const keys = await BrokerKeyring.fromSeeds({
    signingSeed: randomBytes(32),
    sealingSeed: randomBytes(32),
    dataKey: randomBytes(32),
  });
  const m = micro(keys);
  console.log(
    `one receipt: sign ${m.signUs.toFixed(1)} µs wall / ${m.signCpuUs.toFixed(1)} µs CPU (libsodium ` +
      `Ed25519 + header), verify ${m.verifyUs.toFixed(1)} µs wall / ${m.verifyCpuUs.toFixed(1)} µs CPU ` +
      `(node:crypto)`,
  );

  const name = `blindlink_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'blindlink-bench-receipts-'));
  const broker = await startBroker({
    dataDir,
    databaseUrl: url.toString(),
    logger: createLogger('silent'),
    rateLimit: 1_000_000,
  });
  const agent = new Agent({ ca: broker.caCertificate, keepAlive: true, maxSockets: 64 });
  const realSign = broker.keys.sign.bind(broker.keys);
  try {
    await load(broker.url, agent, 4); // warm up
    for (const inFlight of [1, 16]) {
      for (const signed of [true, false]) {
        // The hook holds this very keyring: stubbing its sign() removes the signature and nothing else.
        (broker.keys as unknown as { sign: (m: Uint8Array) => Uint8Array }).sign = signed
          ? realSign
          : () => new Uint8Array(64);
        const r = await load(broker.url, agent, inFlight);
        const distinct = new Set(r.seqs).size === r.seqs.length;
        console.log(
          `${String(inFlight).padStart(2)} in flight, receipts ${signed ? 'signed ' : 'stubbed'}: ` +
            `${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms; ` +
            `${r.seqs.length} receipts, ${distinct ? 'every seq distinct' : 'DUPLICATE SEQS'}`,
        );
      }
    }
  } finally {
    agent.destroy();
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    await c.query(`drop database if exists ${name} with (force)`);
    await c.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
