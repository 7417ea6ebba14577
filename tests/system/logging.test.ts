import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import { createLogger } from '@blindlink/broker';
import { call, submitAs, testBroker, tokenFor, upload } from '../helpers/in-process.js';

t.test('the logger redacts secrets, tokens and encodings even when handed them', async (t) => {
  const lines: string[] = [];
  const log = createLogger(
    'debug',
    new Writable({
      write: (c, _e, cb) => {
        lines.push(String(c));
        cb();
      },
    }),
  );
  log.info(
    {
      secret: 'credential-value-123',
      accessToken: 'jwt-value-456',
      body: { secret: 'nested-secret-789', records: [{ clk: 'AAAA' }] },
      req: { headers: { authorization: 'Bearer abc.def' } },
    },
    'careless',
  );
  const out = lines.join('');
  for (const s of ['credential-value-123', 'jwt-value-456', 'nested-secret-789', 'Bearer abc.def', 'AAAA'])
    t.notOk(out.includes(s), `${s} redacted`);
  t.match(out, /\[redacted\]/);
});

t.test('request logs carry no bodies, tokens or credentials', async (t) => {
  const b = await testBroker(t, 'pglite');
  const token = await tokenFor(b, 'alpha');
  const body = upload(3);
  const r = await submitAs(b, 'alpha', body, 'log-test-0001', { token });
  t.equal(r.status, 201, r.text);
  const logs = b.logs.join('');
  t.match(logs, /"url":"\/v1\/purposes\/testing\/submissions"/, 'requests are logged');
  t.notOk(logs.includes(token), 'no access token');
  t.notOk(
    logs.includes(readFileSync(join(b.keyDirs.alpha!, 'tls.key.pem'), 'utf8').split('\n')[1]!),
    'no key material',
  );
  t.notOk(
    body.records.some((r) => logs.includes(r.clk) || logs.includes(r.token)),
    'no encodings or row tokens',
  );
});

t.test('OpenAPI is generated from the same route schemas that validate', async (t) => {
  const b = await testBroker(t, 'pglite');
  const r = await call(b, 'GET', '/openapi.json');
  t.equal(r.status, 200);
  t.equal(r.json.openapi, '3.1.0');
  const paths = Object.keys(r.json.paths);
  for (const p of [
    '/v1/enrol',
    '/v1/token',
    '/v1/login',
    '/v1/purposes/{purpose}/submissions',
    '/v1/purposes/{purpose}/runs',
    '/v1/purposes/{purpose}/releases/membership',
    '/v1/admin/agencies',
    '/v1/policies',
  ]) {
    t.ok(paths.includes(p), `documents ${p}`);
  }
  const enrolBody = r.json.paths['/v1/enrol'].post.requestBody.content['application/json'].schema;
  t.same([...enrolBody.required].sort(), ['agency', 'code', 'csr', 'signingPublicKey']);
  t.equal(enrolBody.additionalProperties, false);
  // The document and the validator agree: a body the document forbids is refused.
  const refused = await call(b, 'POST', '/v1/enrol', { body: { agency: 'alpha' } });
  t.equal(refused.status, 400);
  t.match(refused.json.error.message, /code|csr|required/);
});
