import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { sql } from 'kysely';
import { verifyAuditChain } from '@blindlink/broker';
import { generateCsr, loadOrCreateAgencySigningKey, sealSubmission } from '@blindlink/agency-client/identity';
import { UPLOAD_MANIFEST_SIGNATURE_CONTEXT } from '@blindlink/protocol';
import { POLICY_YAML, seal, testBroker, upload, type TestBroker } from '../helpers/in-process.js';
import { makeCallers } from '../helpers/callers.js';
import { mutateJson, prng, rawRequest, truncatedUpload, type Prng, type RawResult } from '../helpers/fuzz.js';
import { fillPath, listRoutes, routeKey, type RouteEntry } from '../helpers/routes.js';

/**
 * Thousands of malformed requests, from a seeded generator, at every route the broker has: wrong
 * types, truncated and oversized bodies, bad base64, wrong bit lengths, random bytes, junk paths,
 * queries and headers. The broker must answer each with a 4xx (never a 5xx, a reset or a hang),
 * store nothing for any request it refused, stay up, and audit them all in an unbroken chain.
 */

const SEED = Number(process.env.BLINDLINK_FUZZ_SEED ?? 20261101);
const REQUESTS = Number(process.env.BLINDLINK_FUZZ_REQUESTS ?? 3000);
const IN_FLIGHT = 16;
const BODY_LIMIT = 256 * 1024;
const TRUNCATED = 40;

const BAD_CSR = '-----BEGIN CERTIFICATE REQUEST-----\n' + 'A'.repeat(120) + '\n-----END CERTIFICATE REQUEST-----\n';

/** A well-formed body for each route, for the generator to break. Routes not listed get random JSON. */
function samples(): Record<string, unknown> {
  return {
    'POST /v1/enrol': {
      agency: 'delta',
      code: 'AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH',
      csr: generateCsr('delta').csrPem,
      signingPublicKey: Buffer.alloc(32, 7).toString('base64'),
    },
    'POST /v1/login': { username: 'nobody', password: 'not a password of anyone' },
    'POST /v1/certificates/renew': { csr: BAD_CSR },
    'POST /v1/admin/agencies': { agency: 'alpha', name: 'Alpha again' },
    'POST /v1/admin/people': { username: 'iggy', role: 'analyst', purposes: ['testing'] },
    'POST /v1/purposes/:purpose/releases/membership': { of: 'beta' },
    'POST /v1/purposes/:purpose/withdrawals': { tokens: ['AAAAAAAAAAAAAAAAAAAAAA'] },
    'POST /v1/purposes/:purpose/subject-access': { header: upload(1).header, record: upload(1).records[0] },
    'POST /v1/policies/:id/versions/:version/approval': { privacyReportDigest: `sha256:${'ab'.repeat(32)}` },
  };
}

/** Sealed, correctly signed uploads whose contents are wrong: the broker must open each and refuse it. */
async function badSealedUploads(b: TestBroker, r: Prng): Promise<unknown[]> {
  const variants: unknown[] = [];
  const withClk = (clk: string) => {
    const u = upload(3);
    u.records[1]!.clk = clk;
    return u;
  };
  // wrong bit lengths
  for (const bytes of [0, 1, 64, 127, 129, 256]) variants.push(withClk(Buffer.alloc(bytes, 0x5a).toString('base64')));
  for (const clk of [
    '***not base64***',
    'QUJD',
    'QUJD=',
    '=' + 'A'.repeat(171),
    'A'.repeat(171) + '!',
    Buffer.alloc(128, 1).toString('base64url') + '-_',
    ' '.repeat(172),
    '',
  ])
    variants.push(withClk(clk));
  for (const clkBits of [0, -1, 1000, 1023, 4096, 2 ** 40, 1.5]) {
    const u = upload(3) as unknown as { header: Record<string, unknown> };
    u.header.clkBits = clkBits;
    variants.push(u);
  }
  const dup = upload(3);
  dup.records[2]!.token = dup.records[0]!.token;
  variants.push(dup);
  for (const token of ['', 'x', 'A'.repeat(400), '../../etc', 'ÿÿÿÿ']) {
    const u = upload(3);
    u.records[0]!.token = token;
    variants.push(u);
  }
  const miscount = upload(3);
  miscount.header.recordCount = 2 ** 31;
  variants.push(miscount, { header: upload(1).header }, { records: upload(1).records }, [], null, 42, 'text');
  const extraField = upload(3);
  extraField.header.schema.fields.push('nhs_number');
  variants.push(extraField);
  for (let i = 0; i < 24; i++) variants.push(mutateJson(r, upload(2 + r.int(3), 1 + i)));
  const sealed = await Promise.all(variants.map((v) => seal(b, 'alpha', v)));
  // Plain text and bytes that are not JSON at all, and JSON cut short, sealed all the same.
  const whole = JSON.stringify(upload(4));
  for (const body of ['', 'not json', whole.slice(0, whole.length / 2), whole + '}', r.bytes(300).toString('latin1')])
    sealed.push(await seal(b, 'alpha', body));
  return sealed;
}

/** Upload manifests signed under the manifest context whose contents are wrong: each must be refused. */
async function badSealedManifests(b: TestBroker, r: Prng): Promise<unknown[]> {
  const signing = await loadOrCreateAgencySigningKey(b.keyDirs.alpha!);
  const good = {
    purpose: 'testing',
    header: upload(3).header,
    chunks: [{ records: 3, sha256: 'ab'.repeat(32) }],
    totalRecords: 3,
  };
  const variants: unknown[] = [
    { ...good, totalRecords: 4 },
    { ...good, purpose: 'other-purpose' },
    { ...good, chunks: [] },
    { ...good, chunks: [{ records: 0, sha256: 'ab'.repeat(32) }], totalRecords: 0 },
    { ...good, chunks: [{ records: 3, sha256: 'AB'.repeat(32) }] },
    {
      ...good,
      chunks: Array.from({ length: 10_001 }, () => ({ records: 1, sha256: 'ab'.repeat(32) })),
      totalRecords: 10_001,
    },
    { ...good, header: { ...good.header, schema: { ...good.header.schema, fields: ['nhs_number'] } } },
    'not json at all',
  ];
  for (let i = 0; i < 16; i++) variants.push(mutateJson(r, good));
  return Promise.all(
    variants.map((v) =>
      sealSubmission(
        Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)),
        b.keys.sealingPublicKeyBase64,
        signing.secretKey,
        UPLOAD_MANIFEST_SIGNATURE_CONTEXT,
      ),
    ),
  );
}

/** Break an envelope: bad base64, wrong lengths, fields swapped or retyped. */
function mutateEnvelope(r: Prng, env: Record<string, unknown>): unknown {
  const e = { ...env };
  switch (r.int(7)) {
    case 0:
      e.sealed = String(e.sealed).slice(0, 64 + r.int(String(e.sealed).length - 64));
      break;
    case 1:
      e.sealed = '!'.repeat(100);
      break;
    case 2:
      e.sealed = r.bytes(48 + r.int(200)).toString('base64');
      break;
    case 3:
      e.signature = r.bytes(64).toString('base64').replace(/.$/, '=');
      break;
    case 4:
      e.digest = 'f'.repeat(64);
      break;
    case 5:
      [e.sealed, e.signature] = [e.signature, e.sealed];
      break;
    default:
      return mutateJson(r, e);
  }
  return e;
}

const JUNK_PARAMS = [
  '..',
  '%2e%2e',
  ' ',
  'a'.repeat(300),
  '0',
  '-1',
  '1e3',
  '1.5',
  '9'.repeat(30),
  'ALPHA',
  '\u0000',
  '中文',
  'testing/../admin',
  '%',
  "'; drop table submission; --",
  'nobody-here',
];
const SAFE_PARAMS: Record<string, string> = {
  purpose: 'testing',
  agency: 'nobody-here',
  username: 'nobody',
  id: 'test-policy',
  version: '1',
  upload: '00000000-0000-4000-8000-000000000000',
  n: '0',
  runId: '00000000-0000-4000-8000-000000000000',
};
const QUERY_KEYS = [
  'limit',
  'afterSeq',
  'from',
  'to',
  'purpose',
  'agency',
  'actor',
  'action',
  'decision',
  'x',
  '__proto__',
];
const QUERY_VALUES = [
  '',
  '0',
  '-1',
  '1',
  '1000000',
  '99999999999999999999999',
  'abc',
  '2026-13-45T99:99:99Z',
  '2020-01-01T00:00:00Z',
  'alpha',
  'agency:alpha',
  'allowed',
  '%00',
  "' or 1=1 --",
  'a'.repeat(500),
];
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-16',
  'text/plain',
  'application/yaml',
  'application/octet-stream',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded',
  'application/json; charset=latin1',
  '',
];

interface Sent {
  route: string;
  method: string;
  path: string;
  kind: string;
  /** The Authorization header sent, cut short. */
  auth: string;
  bodyBytes: number;
  result: RawResult;
}

t.test('thousands of malformed requests: no 5xx, no crash, nothing stored', async (t) => {
  const b = await testBroker(t, 'postgres', { bodyLimit: BODY_LIMIT, rateLimit: 10_000_000 });
  const r = prng(SEED);
  const callers = await makeCallers(b);
  const alphaKeys = b.keyDirs.alpha!;
  const sealedBad = await badSealedUploads(b, r);
  const goodEnvelope = (await seal(b, 'alpha', upload(3, 99))) as unknown as Record<string, unknown>;
  const sealedBadManifests = await badSealedManifests(b, r);
  const sample = samples();

  const routes = listRoutes(b.app);
  t.ok(routes.length >= 15, `${routes.length} routes to fuzz: ${routes.map(routeKey).join(', ')}`);

  // Every table but the audit trail (which must grow) and the migration bookkeeping.
  const tables = (
    await sql<{
      name: string;
    }>`select table_name as name from information_schema.tables
      where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`.execute(b.db)
  ).rows
    .map((row) => row.name)
    .filter((name) => !name.startsWith('audit_') && !name.startsWith('kysely_'));
  t.ok(tables.includes('submission') && tables.includes('encoding'), `watching ${tables.join(', ')}`);
  const counts = async () => {
    const out: Record<string, number> = {};
    for (const table of tables)
      out[table] = Number(
        (await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(b.db)).rows[0]!.n,
      );
    out.revoked = Number(
      (
        await sql<{ n: string }>`select count(*) as n from agency_certificate where revoked_at is not null`.execute(
          b.db,
        )
      ).rows[0]!.n,
    );
    return out;
  };
  const before = await counts();
  const auditBefore = (await verifyAuditChain(b.db)).rows;

  const authFor = (): { as?: string; headers: Record<string, string> } => {
    switch (r.int(10)) {
      case 0:
        return { headers: {} };
      case 1:
      case 2:
      case 3:
        return { as: 'alpha', headers: { authorization: `Bearer ${callers.agency.token!}` } };
      case 4:
        return { headers: { authorization: `Bearer ${callers.admin.token!}` } };
      case 5:
        return { headers: { authorization: `Bearer ${callers.igLead.token!}` } };
      case 6:
        return { headers: { authorization: `Bearer ${callers.analyst.token!}` } };
      case 7:
        return { headers: { authorization: `Bearer ${callers.agency.token!}` } }; // no certificate under it
      // biome-ignore lint/suspicious/noFallthroughSwitchClause: half of case 8 takes the default's headers
      case 8:
        if (r.chance(0.5)) {
          // Expired and forged tokens (wrong key, alg none, edited payload, not a JWT, alg RS256).
          const c = r.pick([
            ...callers.expired(r.pick(['agency', 'admin'] as const)),
            ...callers.forged(r.pick(['agency', 'admin', 'igLead'] as const)),
          ]);
          return { as: c.as, headers: { authorization: `Bearer ${c.token!}` } };
        }
      // falls through
      default:
        return {
          as: r.chance(0.5) ? 'alpha' : undefined,
          headers: {
            authorization: r.pick(
              [
                'Bearer',
                'Bearer ',
                'Basic YWxhZGRpbjpvcGVuc2VzYW1l',
                `Bearer ${r.text(40)}`,
                `Bearer ${r.bytes(30).toString('base64url')}.${r.bytes(30).toString('base64url')}.` +
                  `${r.bytes(30).toString('base64url')}`,
                `bearer ${callers.admin.token!.slice(0, -3)}`,
                'Bearer ' + 'a'.repeat(8000),
              ].map((s) => s.replace(/[^\t\x20-\x7e]/g, '?')),
            ),
          },
        };
    }
  };

  const bodyFor = (key: string): { kind: string; body?: Buffer; contentType?: string } => {
    const isSubmission =
      key === 'POST /v1/purposes/:purpose/submissions' ||
      key === 'POST /v1/purposes/:purpose/uploads' ||
      key === 'POST /v1/purposes/:purpose/corrections';
    const roll = r.int(isSubmission ? 12 : 9);
    const base = key === 'POST /v1/admin/policies' ? undefined : (sample[key] ?? r.json(2));
    switch (roll) {
      case 0:
        return { kind: 'none' };
      case 1:
        return {
          kind: 'wrong-types',
          body: Buffer.from(JSON.stringify(r.json(3)) ?? 'null'),
          contentType: 'application/json',
        };
      case 2:
      case 3:
        return {
          kind: 'mutated',
          body: Buffer.from(JSON.stringify(mutateJson(r, base ?? {})) ?? '{}'),
          contentType: 'application/json',
        };
      case 4: {
        const whole = key === 'POST /v1/admin/policies' ? POLICY_YAML : JSON.stringify(base ?? goodEnvelope);
        return {
          kind: 'truncated',
          body: Buffer.from(whole.slice(0, r.int(whole.length))),
          contentType: key === 'POST /v1/admin/policies' ? 'application/yaml' : 'application/json',
        };
      }
      case 5:
        return { kind: 'random-bytes', body: r.bytes(1 + r.int(2000)), contentType: r.pick(CONTENT_TYPES) };
      case 6:
        if (r.chance(0.15))
          return {
            kind: 'oversized',
            body: Buffer.from(JSON.stringify({ padding: 'x'.repeat(BODY_LIMIT + 1024) })),
            contentType: 'application/json',
          };
        return {
          kind: 'deep-nesting',
          body: Buffer.from('['.repeat(5000 + r.int(50_000))),
          contentType: 'application/json',
        };
      case 7:
        if (key === 'POST /v1/admin/policies')
          return {
            kind: 'bad-yaml',
            body: Buffer.from(
              r.pick([
                POLICY_YAML.replace('version: 1', 'version: x'),
                POLICY_YAML.replace(/threshold: .*/, 'threshold: 7'),
                'a: [',
                '!!js/function "x"',
                '&a [*a]',
                r.text(200),
              ]),
            ),
            contentType: 'application/yaml',
          };
        return {
          kind: 'wrong-content-type',
          body: Buffer.from(JSON.stringify(base ?? {})),
          contentType: r.pick(CONTENT_TYPES),
        };
      case 8:
        return {
          kind: 'junk-json',
          body: Buffer.from(
            r.pick([
              '{"a":1,}',
              '{"__proto__":{"admin":true}}',
              '{"constructor":{"prototype":{"x":1}}}',
              '"\\ud800"',
              '1e999999',
              '{"a":' + '"x"'.repeat(3) + '}',
              'null',
              '[]',
              '{}',
              '\ufeff{}',
            ]),
          ),
          contentType: 'application/json',
        };
      case 9:
      case 10:
        if (key === 'POST /v1/purposes/:purpose/uploads' && r.chance(0.6))
          return {
            kind: 'sealed-bad-manifest',
            body: Buffer.from(JSON.stringify(r.pick(sealedBadManifests))),
            contentType: 'application/json',
          };
        return {
          kind: 'sealed-bad-content',
          body: Buffer.from(JSON.stringify(r.pick(sealedBad))),
          contentType: 'application/json',
        };
      default:
        return {
          kind: 'bad-envelope',
          body: Buffer.from(JSON.stringify(mutateEnvelope(r, goodEnvelope))),
          contentType: 'application/json',
        };
    }
  };

  const pathFor = (route: RouteEntry): string => {
    const params: Record<string, string> = {};
    for (const [, name] of route.path.matchAll(/:([A-Za-z0-9_]+)/g))
      params[name!] = r.chance(0.6) ? (SAFE_PARAMS[name!] ?? 'x') : r.pick(JUNK_PARAMS);
    let path = fillPath(route.path, params);
    if (r.chance(0.05)) path = path.replace(/\/v1\//, r.pick(['/v1//', '/V1/', '/v1/./', '/v2/', '/v1/%2e/']));
    if (r.chance(route.method === 'GET' ? 0.6 : 0.1)) {
      const q = Array.from(
        { length: 1 + r.int(4) },
        () => `${encodeURIComponent(r.pick(QUERY_KEYS))}=${encodeURIComponent(r.pick(QUERY_VALUES))}`,
      );
      if (r.chance(0.1)) q.push('%zz', 'a=%E0%A4%A');
      path += '?' + q.join('&');
    }
    return path;
  };

  const one = async (): Promise<Sent> => {
    const route = r.pick(routes);
    const key = routeKey(route);
    const method = r.chance(0.08) ? r.pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']) : route.method;
    const path = pathFor(route);
    const auth = authFor();
    const body =
      method === 'GET' || method === 'HEAD' ? (r.chance(0.1) ? bodyFor(key) : { kind: 'none' as const }) : bodyFor(key);
    const headers: Record<string, string> = { ...auth.headers };
    if (body.contentType) headers['content-type'] = body.contentType;
    if (r.chance(0.7))
      headers['idempotency-key'] = r.chance(0.8)
        ? `fuzz-${r.int(1e9)}-${r.int(1e9)}`
        : r.pick(['', 'short', 'has spaces in it', 'x'.repeat(200), '../../../../']);
    const result = await rawRequest(new URL(path, b.url).toString(), {
      method,
      agent: b.agent(auth.as),
      headers,
      ...(body.body ? { body: body.body } : {}),
    });
    return {
      route: key,
      method,
      path,
      kind: body.kind,
      auth: (headers.authorization ?? 'none').slice(0, 60),
      bodyBytes: body.body?.length ?? 0,
      result,
    };
  };

  const started = Date.now();
  const sent: Sent[] = [];
  for (let i = 0; i < REQUESTS; i += IN_FLIGHT) {
    sent.push(...(await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, REQUESTS - i) }, one))));
  }
  const auditAfterFuzz = (await verifyAuditChain(b.db)).rows;
  // Requests that promise a body and hang up half-way, with and without a certificate.
  const alphaCert = readFileSync(join(alphaKeys, 'tls.cert.pem'), 'utf8');
  const alphaKey = readFileSync(join(alphaKeys, 'tls.key.pem'), 'utf8');
  const whole = Buffer.from(JSON.stringify(goodEnvelope));
  await Promise.all(
    Array.from({ length: TRUNCATED }, (_, i) =>
      truncatedUpload(b.url, {
        caPem: b.caCertificate,
        ...(i % 2 ? { cert: alphaCert, key: alphaKey } : {}),
        path: '/v1/purposes/testing/submissions',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${callers.agency.token!}`,
          'idempotency-key': `truncated-${i}-000`,
        },
        promised: whole.length,
        sent: whole.subarray(0, (i * 997) % whole.length),
      }),
    ),
  );
  const seconds = (Date.now() - started) / 1000;

  const byStatus = new Map<number, number>();
  for (const s of sent) byStatus.set(s.result.status, (byStatus.get(s.result.status) ?? 0) + 1);
  t.comment(
    `${sent.length} fuzz requests + ${TRUNCATED} truncated uploads in ${seconds.toFixed(1)} s (seed ` +
      `${SEED}); statuses ${JSON.stringify(Object.fromEntries([...byStatus].sort((a, z) => a[0] - z[0])))}`,
  );

  const bad = sent.filter((s) => s.result.status >= 500 || s.result.status <= 0);
  const shown = new Map<string, Sent>();
  for (const s of bad) shown.set(`${s.result.status} ${s.method} ${s.path.split('?')[0]} ${s.kind}`, s);
  t.same(
    [...shown.values()].map(
      (s) =>
        `${s.result.status} ${s.method} ${s.path.slice(0, 120)} [${s.route}; ${s.kind}, ${s.bodyBytes} ` +
        `bytes; auth ${s.auth}] ${s.result.error ?? s.result.text.slice(0, 160)}`,
    ),
    [],
    `no 5xx, reset or hang (${bad.length} of ${sent.length})`,
  );
  t.ok(
    sent.every(
      (s) =>
        s.result.status < 200 ||
        s.result.status >= 400 ||
        (s.method !== 'POST' && s.method !== 'PUT') ||
        !(s.route.includes('submissions') || s.route.includes('uploads')),
    ),
    'no malformed upload was accepted',
  );

  const health = await rawRequest(new URL('/healthz', b.url).toString(), { method: 'GET', agent: b.agent() });
  t.equal(health.status, 200, 'the broker still answers');

  // Nothing stored: each table grew only by what a 2xx answer says was created.
  const after = await counts();
  const created = (route: string) =>
    sent.filter((s) => s.route === route && s.method === 'POST' && s.result.status >= 200 && s.result.status < 300)
      .length;
  t.same(
    after,
    {
      ...before,
      agency: before.agency! + created('POST /v1/admin/agencies'),
      person: before.person! + created('POST /v1/admin/people'),
    },
    'nothing stored by a refused request',
  );
  t.equal(after.submission, before.submission, 'no submission stored');
  t.equal(after.encoding, before.encoding, 'no encoding stored');

  const chain = await verifyAuditChain(b.db);
  t.equal(chain.broken, null, 'the audit chain verifies after the fuzzing');
  const expectedAudited = sent.filter((s) => s.path !== '/openapi.json' && s.path !== '/healthz').length;
  // By status, so a gap names the kind of answer that escapes the trail.
  const auditedByStatus = Object.fromEntries(
    (
      await sql<{
        status: number;
        n: string;
      }>`select status, count(*) as n from audit_log
        where seq > ${auditBefore} and seq <= ${auditAfterFuzz} group by status order by status`.execute(b.db)
    ).rows.map((row) => [row.status, Number(row.n)]),
  );
  const sentByStatus: Record<number, number> = {};
  for (const s of sent)
    if (s.path !== '/openapi.json' && s.path !== '/healthz')
      sentByStatus[s.result.status] = (sentByStatus[s.result.status] ?? 0) + 1;
  t.same(
    auditedByStatus,
    sentByStatus,
    `every fuzz request was audited, refused or not (${auditAfterFuzz - auditBefore} rows for ` +
      `${expectedAudited} requests)`,
  );
});
