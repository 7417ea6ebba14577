import t from 'tap';
import { Compile } from 'typebox/compile';
import { SubmissionEnvelope } from '@blindlink/protocol';
import { addPerson } from '@blindlink/broker';
import { BrokerKeyring, decodeBase64Strict, isStrictBase64, openSubmission } from '@blindlink/broker/trust';
import { sealSubmission, signingKeyFromSeed } from '@blindlink/agency-client/identity';
import { streamBody } from '../helpers/big-body.js';
import { call, loginAs, testBroker, upload } from '../helpers/in-process.js';
import { fillPath, listRoutes, routeKey } from '../helpers/routes.js';

const MiB = 1024 * 1024;
const PUBLIC_LIMIT = 64 * 1024;
const JSON_LIMIT = MiB;
const PARAMS: Record<string, string> = {
  purpose: 'testing',
  agency: 'alpha',
  username: 'iggy',
  id: 'test-policy',
  version: '1',
  form: 'membership',
  upload: '00000000-0000-4000-8000-000000000000',
  n: '0',
  runId: '00000000-0000-4000-8000-000000000000',
};
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

t.test('strict base64 runs in linear time over 50+ million characters', async (t) => {
  const bytes = Buffer.alloc(40_000_000);
  for (let i = 0; i < bytes.length; i += 4096) bytes[i] = i & 0xff;
  const text = bytes.toString('base64');
  t.ok(text.length > 50_000_000, `${text.length} characters`);
  t.ok(isStrictBase64(text), 'a valid string of that size passes (a regular expression overflowed the stack here)');
  t.equal(decodeBase64Strict(text, 'payload').length, bytes.length, 'and decodes to every byte');
  const bad = text.slice(0, -10) + '!' + text.slice(-9);
  t.notOk(isStrictBase64(bad), 'one bad character near the end is caught');
  t.throws(() => decodeBase64Strict(bad, 'payload'), /payload is not base64/);
  t.notOk(isStrictBase64(text.slice(0, -1)), 'a length that is not a multiple of 4 is refused');
  // The wire schema's own pattern (checked by fastify's ajv and TypeBox) is a plain character class: linear too.
  const envelope = {
    alg: 'ed25519+x25519-sealedbox',
    digest: 'ab'.repeat(32),
    signature: 'A'.repeat(86) + '==',
    sealed: text,
  };
  t.ok(Compile(SubmissionEnvelope).Check(envelope), 'the envelope schema accepts it');
  t.notOk(Compile(SubmissionEnvelope).Check({ ...envelope, sealed: bad }), 'and refuses the bad character');
  for (const s of ['', 'QQ==', 'QUI=', 'QUJD']) t.ok(isStrictBase64(s), `"${s}" is base64`);
  for (const s of ['Q===', '====', 'QQ=A', 'Q=Q=', 'QUJ\u00e9', 'QU J', 'QUJD\n', '=QUJ'])
    t.notOk(isStrictBase64(s), `${JSON.stringify(s)} is not`);
});

t.test('a sealed 32,000-row extract (over 9 million base64 characters) opens', async (t) => {
  const broker = await BrokerKeyring.fromSeeds({
    signingSeed: new Uint8Array(32).fill(1),
    sealingSeed: new Uint8Array(32).fill(2),
    dataKey: new Uint8Array(32).fill(3),
  });
  const agency = await signingKeyFromSeed(new Uint8Array(32).fill(4));
  const body = new Uint8Array(Buffer.from(JSON.stringify(upload(32_000))));
  const envelope = await sealSubmission(body, broker.sealingPublicKeyBase64, agency.secretKey);
  t.ok(envelope.sealed.length > 9_000_000, `${envelope.sealed.length} characters sealed`);
  const opened = await openSubmission(envelope, agency.publicKeyBase64, broker);
  t.equal(opened.body.length, body.length, 'opened whole (it was refused "Maximum call stack size exceeded")');
});

// The limits are the HTTP layer's, the same on either storage: PostgreSQL only, as the broker's setup
// on PGlite takes most of a minute on a loaded machine.
for (const storage of ['postgres'] as const) {
  t.test(`body limits and JSON depth over HTTPS (${storage})`, async (t) => {
    const b = await testBroker(t, storage);
    await addPerson(b.db, {
      username: 'ada',
      role: 'admin',
      password: 'purple elephants dance quietly 17',
      createdBy: 'test',
    });
    const admin = await loginAs(b, 'ada', 'purple elephants dance quietly 17');

    t.test('each route reads only the body it needs', async (t) => {
      const url = (path: string) => new URL(path, b.url).toString();

      // Declared too large: refused from the headers alone, before the body is sent.
      const declared = await streamBody(url('/v1/login'), b.agent(), { size: 100 * MiB, declare: true });
      t.equal(declared.status, 413, 'login with Content-Length 100 MB: 413');
      t.match(
        declared.json,
        { error: { code: 'body-too-large', message: /65536 bytes/, details: { limit: PUBLIC_LIMIT } } },
        'naming the limit',
      );
      t.equal(declared.headers.connection, 'close', 'and the connection is closed rather than drained');
      t.ok(
        declared.sentWhenAnswered < 50 * MiB,
        `answered after ${(declared.sentWhenAnswered / MiB).toFixed(1)} MiB of 100 were sent`,
      );

      // Chunked: cut off as soon as it passes the limit.
      const chunked = await streamBody(url('/v1/enrol'), b.agent(), { size: 100 * MiB, declare: false });
      t.equal(chunked.status, 413, 'chunked enrolment body of 100 MB: 413');
      t.equal(chunked.json?.error?.code, 'body-too-large');
      t.ok(
        chunked.sentWhenAnswered < 50 * MiB,
        `answered after ${(chunked.sentWhenAnswered / MiB).toFixed(1)} MiB were sent`,
      );

      // The upload route keeps its large limit, but only an authenticated caller gets it read.
      const anonymous = await streamBody(url('/v1/purposes/testing/submissions'), b.agent('alpha'), {
        size: 100 * MiB,
        declare: true,
        headers: { 'idempotency-key': 'key-00000001' },
      });
      t.equal(anonymous.status, 401, "an unauthenticated 100 MB upload (alpha's certificate, no token): 401");
      t.equal(anonymous.json?.error?.code, 'unauthenticated');
      t.equal(anonymous.headers.connection, 'close', 'the unread body is not drained');
      t.ok(
        anonymous.sentWhenAnswered < 50 * MiB,
        `refused after ${(anonymous.sentWhenAnswered / MiB).toFixed(1)} MiB of 100 were sent: the body was not read`,
      );

      // Authenticated small JSON routes: 1 MiB.
      const bigJson = JSON.stringify({ agency: 'zeta', name: 'x'.repeat(JSON_LIMIT) });
      const tooBig = await call(b, 'POST', '/v1/admin/agencies', { token: admin, raw: bigJson });
      t.equal(tooBig.status, 413, 'an admin JSON body over 1 MiB: 413');
      t.match(tooBig.json, { error: { code: 'body-too-large', details: { limit: JSON_LIMIT } } });
      const underJson = await call(b, 'POST', '/v1/admin/agencies', {
        token: admin,
        raw: JSON.stringify({ agency: 'zeta', name: 'x'.repeat(PUBLIC_LIMIT) }),
      });
      t.not(
        underJson.status,
        413,
        `a 64 KiB admin body is read (${underJson.status} ${underJson.json?.error?.code ?? ''})`,
      );
      // Policy YAML has its own, larger limit: 1.5 MiB is read (and refused by the schema, not by size).
      const yaml = await call(b, 'POST', '/v1/admin/policies', {
        token: admin,
        raw: '# ' + 'x'.repeat(1.5 * MiB) + '\n',
        headers: { 'content-type': 'application/yaml' },
      });
      t.equal(yaml.status, 400, 'a 1.5 MiB policy is read, and refused for what it holds');
      t.equal(yaml.json?.error?.code, 'invalid-body');

      // Every route: with no credentials, a body just over 64 KiB gets 413 on public routes and 401 on
      // the rest (authentication comes first); never anything else.
      const over = Buffer.alloc(PUBLIC_LIMIT + 1, 0x20);
      for (const route of listRoutes(b.app)) {
        if (route.method === 'GET' || route.method === 'HEAD') continue;
        const r = await call(b, route.method, fillPath(route.path, PARAMS), { raw: over });
        // A console form without a session is sent to sign in (303) before its body is read.
        t.ok(
          r.status === 413 || r.status === 401 || (r.status === 303 && r.headers.location === '/login'),
          `${routeKey(route)} with ${over.length} bytes and no credentials: ${r.status} ${r.json?.error?.code}`,
        );
        // The console's forms answer with a page (http/console/) saying the same.
        if (r.status === 413 && r.json === undefined)
          t.match(r.text, `(${PUBLIC_LIMIT} bytes)`, `${routeKey(route)}: its page names the public limit`);
        else if (r.status === 413)
          t.equal(r.json?.error?.details?.limit, PUBLIC_LIMIT, `${routeKey(route)} names the public limit`);
      }
      const notFound = await call(b, 'POST', '/v1/nowhere', { raw: over });
      t.equal(notFound.status, 413, 'a path with no route reads no more than a public one');
    });

    t.test('JSON nested deeper than 64 levels is a 400 on every route', async (t) => {
      const deep = nested(10_000);
      for (const [path, token] of [
        ['/v1/login', undefined],
        ['/v1/enrol', undefined],
        ['/v1/admin/agencies', admin],
        ['/v1/admin/people', admin],
        ['/v1/nowhere', undefined],
      ] as const) {
        const r = await call(b, 'POST', path, { raw: deep, ...(token ? { token } : {}) });
        t.equal(r.status, 400, `${path}: 10,000 levels deep gets 400 (${r.text.slice(0, 120)})`);
        t.match(r.json, { error: { code: 'invalid-body', message: /nested deeper than 64 levels/ } });
      }
      // Brackets inside strings are not nesting; exactly 64 levels is parsed (and then refused by the schema).
      const at64 = await call(b, 'POST', '/v1/login', {
        raw: JSON.stringify({ username: '['.repeat(5000), password: nested(64) }),
      });
      t.equal(at64.status, 400);
      t.notMatch(at64.json?.error?.message, /nested/, 'brackets inside strings do not count');
      const exactly = await call(b, 'POST', '/v1/login', {
        raw: `{"username":"ada","password":"x","extra":${nested(63)}}`,
      });
      t.notMatch(exactly.json?.error?.message ?? '', /nested/, '64 levels (the object and 63 arrays) are parsed');
      const escaped = await call(b, 'POST', '/v1/login', { raw: `{"username":"a\\"[[[[","password":${nested(63)}}` });
      t.notMatch(escaped.json?.error?.message ?? '', /nested/, 'an escaped quote does not end the string');
      t.equal((await call(b, 'GET', '/healthz')).status, 200, 'the broker still answers');
    });

    t.test('twenty concurrent 10 MB bodies to an unauthenticated route: all 413, broker still answers', async (t) => {
      const url = new URL('/v1/login', b.url).toString();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => streamBody(url, b.agent(), { size: 10 * MiB, declare: i % 2 === 0 })),
      );
      t.same(
        results.map((r) => r.status),
        Array(20).fill(413),
        'every one refused with 413 (declared and chunked alike)',
      );
      t.ok(results.every((r) => r.json?.error?.code === 'body-too-large'));
      t.equal((await call(b, 'GET', '/healthz')).status, 200, '/healthz answers');
      t.equal((await call(b, 'GET', '/v1/broker')).status, 200, 'and so does a route that reads the database');
    });
  });
}
