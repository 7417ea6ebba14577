/**
 * `npm run bench:load`: many agencies uploading and asking at once against a real PostgreSQL on
 * loopback, through the broker's HTTPS API with mutual TLS, exactly as agencies call it. Prints
 * throughput, p50/p99 latency per kind of request and errors, and checks that every acknowledged
 * upload is stored whole. Bounded: it stops by itself after BENCH_SECONDS.
 *
 * Settings (environment): BENCH_AGENCIES (8), BENCH_SECONDS (20), BENCH_RECORDS records per upload
 * (500), BENCH_WORKERS concurrent requests per agency (2), BENCH_UPLOAD_SHARE of requests that are
 * uploads (0.3), BLINDLINK_TEST_PG admin URL (postgres://postgres@127.0.0.1:5432/postgres).
 * Latencies are as the client sees them, including sealing the upload; client and broker share the
 * machine's cores.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { BrokerClient, BrokerError, enrol } from '@blindlink/agency-client';
import {
  addPerson,
  approvePolicy,
  createLogger,
  generatePassword,
  registerAgency,
  startBroker,
  storePolicy,
  verifyAuditChain,
} from '@blindlink/broker';
import { parsePolicy } from '@blindlink/policies';
import type { SubmissionRequest } from '@blindlink/protocol';

const AGENCIES = Number(process.env.BENCH_AGENCIES ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const RECORDS = Number(process.env.BENCH_RECORDS ?? 500);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
const UPLOAD_SHARE = Number(process.env.BENCH_UPLOAD_SHARE ?? 0.3);
const PG_ADMIN_URL = process.env.BLINDLINK_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
// Questions go to a purpose whose data stays put; uploads to another. An agency that uploads newer
// data must start a run before it may ask again (409 run-outdated), so mixing them on one purpose
// would measure that refusal, not the load.
const ASK_PURPOSE = 'load-ask';
const UPLOAD_PURPOSE = 'load-upload';

const agencyName = (i: number) => `agency-${String.fromCharCode(97 + (i % 26))}${i >= 26 ? Math.floor(i / 26) : ''}`;

/** Every agency contributes; each may ask whether its rows are known to the next one round the ring. */
function policyYaml(agencies: string[], id: string, purpose: string): string {
  const contributors = agencies
    .map((a) => `  - { agency: ${a}, dataset: D-${a}, identifiers: [given_name, surname, dob] }`)
    .join('\n');
  const recipients = agencies
    .map(
      (a, i) =>
        `  - agency: ${a}\n    releases:\n      - { id: ${a}-asks, form: membership, of: [` +
        `${agencies[(i + 1) % agencies.length]}] }`,
    )
    .join('\n');
  return `id: ${id}
version: 1
purpose: ${purpose}
title: Load test
controllers: [{ name: Load Test Council, role: controller }]
lawfulBasis: { article6: UK GDPR Art. 6(1)(e) }
dpia: { reference: DPIA-LOAD-1, approvedOn: 2019-12-01 }
validFrom: 2020-01-01
validUntil: 2099-12-31
reviewDate: 2099-01-01
contributors:
${contributors}
recipients:
${recipients}
retention: { encodings: P30D, linkage: P30D, releases: P30D }
linkage: { threshold: 0.8 }
`;
}

/** A synthetic upload of random 1024-bit CLKs: load, not linkage quality, is measured here. */
function syntheticUpload(n: number): SubmissionRequest {
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
      // One secret for every agency: the broker refuses uploads whose key checks disagree.
      keyCheck: 'YmVuY2gtbG9hZC1zZWNyZQ',
      clkBits: 1024,
      hardening: [],
      recordCount: n,
      createdAt: new Date().toISOString(),
    },
    records: Array.from({ length: n }, () => ({
      token: randomBytes(16).toString('base64url'),
      clk: randomBytes(128).toString('base64'),
    })),
  } as unknown as SubmissionRequest;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function main(): Promise<number> {
  const dbName = `blindlink_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${dbName}`;
  const work = mkdtempSync(join(tmpdir(), 'blindlink-bench-load-'));
  const broker = await startBroker({
    dataDir: join(work, 'broker'),
    databaseUrl: url.toString(),
    logger: createLogger('warn'),
    rateLimit: 1_000_000,
  });
  const clients: BrokerClient[] = [];
  try {
    const agencies = Array.from({ length: AGENCIES }, (_, i) => agencyName(i));
    await addPerson(broker.db, {
      username: 'bench-ig',
      role: 'ig-lead',
      password: generatePassword(),
      createdBy: 'bench',
    });
    for (const [id, purpose] of [
      ['load-ask-policy', ASK_PURPOSE],
      ['load-upload-policy', UPLOAD_PURPOSE],
    ] as const) {
      await storePolicy(broker.db, parsePolicy(policyYaml(agencies, id, purpose)), 'admin:bench');
      await approvePolicy(broker.db, id, 1, 'bench-ig');
    }
    for (const a of agencies) {
      const { enrolmentCode } = await registerAgency(broker.db, a, a);
      await enrol({
        baseUrl: broker.url,
        keyDir: join(work, a),
        agency: a,
        code: enrolmentCode,
        caPem: broker.caCertificate,
      });
      clients.push(new BrokerClient(broker.url, join(work, a)));
    }
    // A first upload each and one run, so membership questions have a completed run to answer from.
    await Promise.all(
      clients.map((c, i) =>
        c.submit(ASK_PURPOSE, syntheticUpload(RECORDS), `warmup-${i}-${randomBytes(8).toString('hex')}`),
      ),
    );
    const first = await clients[0]!.runAndWait(ASK_PURPOSE);
    if (first.status !== 'completed') throw new Error(`warm-up run ${first.status}: ${first.error ?? ''}`);
    process.stdout.write(
      `bench:load: ${AGENCIES} agencies × ${WORKERS} workers for ${SECONDS} s; uploads of ${RECORDS} ` +
        `records (${Math.round(UPLOAD_SHARE * 100)}% of requests), the rest membership questions (${RECORDS} ` +
        `rows each); PostgreSQL on loopback\n`,
    );

    const latencies: Record<'upload' | 'membership', number[]> = { upload: [], membership: [] };
    const errors = new Map<string, number>();
    const acknowledged: { id: string; records: number }[] = [];
    let recordsAcknowledged = 0;
    const deadline = Date.now() + SECONDS * 1000;
    const started = Date.now();

    const worker = async (i: number, w: number) => {
      const c = clients[i]!;
      let n = 0;
      while (Date.now() < deadline) {
        const kind = Math.random() < UPLOAD_SHARE ? 'upload' : 'membership';
        const t0 = performance.now();
        try {
          if (kind === 'upload') {
            const r = await c.submit(
              UPLOAD_PURPOSE,
              syntheticUpload(RECORDS),
              `load-${i}-${w}-${n++}-${randomBytes(6).toString('hex')}`,
            );
            acknowledged.push({ id: r.submissionId, records: r.recordCount });
            recordsAcknowledged += r.recordCount;
          } else {
            const r = await c.membership(ASK_PURPOSE, agencies[(i + 1) % agencies.length]!);
            if (r.answers.length === 0) throw new Error('a membership answer with no rows');
          }
          latencies[kind].push(performance.now() - t0);
        } catch (err) {
          const key = `${kind}: ${err instanceof BrokerError ? `${err.status} ${err.code}` : (err as Error).message}`;
          errors.set(key, (errors.get(key) ?? 0) + 1);
        }
      }
    };
    await Promise.all(clients.flatMap((_, i) => Array.from({ length: WORKERS }, (_, w) => worker(i, w))));
    const elapsed = (Date.now() - started) / 1000;

    // Nothing lost: every acknowledged upload is stored, whole; nothing stored that was not acknowledged.
    const check = new pg.Client({ connectionString: url.toString() });
    await check.connect();
    let lost = 0;
    let partial = 0;
    let unacknowledged = 0;
    try {
      const stored = await check.query<{ id: string; record_count: number; encodings: string }>(
        `select s.id, s.record_count, (select count(*) from encoding e where e.submission_id = s.id) as ` +
          `encodings from submission s where s.idempotency_key like 'load-%'`,
      );
      const byId = new Map(stored.rows.map((r) => [r.id, r]));
      for (const a of acknowledged) {
        const row = byId.get(a.id);
        if (!row) lost++;
        else if (Number(row.encodings) !== a.records || row.record_count !== a.records) partial++;
      }
      unacknowledged = stored.rows.length - acknowledged.filter((a) => byId.has(a.id)).length;
    } finally {
      await check.end();
    }
    const chain = await verifyAuditChain(broker.db);

    const total = latencies.upload.length + latencies.membership.length;
    const errorCount = [...errors.values()].reduce((a, b) => a + b, 0);
    const line = (kind: 'upload' | 'membership') => {
      const xs = [...latencies[kind]].sort((a, b) => a - b);
      return (
        `  ${kind.padEnd(10)} ${String(xs.length).padStart(6)} ok  ` +
        `${(xs.length / elapsed).toFixed(1).padStart(7)} req/s  p50 ` +
        `${percentile(xs, 50).toFixed(0).padStart(5)} ms  p99 ${percentile(xs, 99).toFixed(0).padStart(5)} ` +
        `ms  max ${(xs[xs.length - 1] ?? NaN).toFixed(0).padStart(5)} ms`
      );
    };
    process.stdout.write(
      [
        `completed ${total} requests in ${elapsed.toFixed(1)} s: ${(total / elapsed).toFixed(1)} req/s; ` +
          `${(recordsAcknowledged / elapsed).toFixed(0)} records/s uploaded`,
        line('upload'),
        line('membership'),
        `  errors     ${errorCount}${errorCount ? ': ' + JSON.stringify(Object.fromEntries(errors)) : ''}`,
        `  uploads acknowledged ${acknowledged.length}; lost ${lost}; partial ${partial}; stored but not ` +
          `acknowledged ${unacknowledged}`,
        `  audit chain: ${chain.rows} rows, ${chain.broken ? `BROKEN at ${JSON.stringify(chain.broken)}` : 'intact'}`,
      ].join('\n') + '\n',
    );
    const ok = errorCount === 0 && lost === 0 && partial === 0 && unacknowledged === 0 && chain.broken === null;
    process.stdout.write(ok ? 'PASS: no errors, nothing lost\n' : 'FAIL: see above\n');
    return ok ? 0 : 1;
  } finally {
    for (const c of clients) c.close();
    await broker.close();
    const drop = new pg.Client({ connectionString: PG_ADMIN_URL });
    await drop.connect();
    await drop.query(`drop database if exists ${dbName} with (force)`);
    await drop.end();
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench:load failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
