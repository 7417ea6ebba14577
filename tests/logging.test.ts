import { Writable } from 'node:stream';
import t from 'tap';
import { createLogger } from '@blindlink/broker';
import { call, testBroker, tokenFor, upload } from './helpers/in-process.js';

t.test('the logger redacts secrets, tokens and encodings even when handed them', async (t) => {
  const lines: string[] = [];
  const log = createLogger('debug', new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
  log.info({ secret: 'credential-value-123', accessToken: 'jwt-value-456', body: { secret: 'nested-secret-789', records: [{ clk: 'AAAA' }] }, req: { headers: { authorization: 'Bearer abc.def' } } }, 'careless');
  const out = lines.join('');
  for (const s of ['credential-value-123', 'jwt-value-456', 'nested-secret-789', 'Bearer abc.def', 'AAAA']) t.notOk(out.includes(s), `${s} redacted`);
  t.match(out, /\[redacted\]/);
});

t.test('request logs carry no bodies, tokens or credentials', async (t) => {
  const b = await testBroker(t, 'pglite');
  const token = await tokenFor(b, 'alpha');
  const body = upload(3);
  await call(b.url, 'POST', '/v1/purposes/testing/submissions', { token, body, headers: { 'idempotency-key': 'log-test-0001' } });
  const logs = b.logs.join('');
  t.match(logs, /"url":"\/v1\/purposes\/testing\/submissions"/, 'requests are logged');
  t.notOk(logs.includes(token), 'no access token');
  t.notOk(logs.includes(b.creds.alpha!), 'no credential');
  t.notOk(body.records.some((r) => logs.includes(r.clk) || logs.includes(r.token)), 'no encodings or row tokens');
});

t.test('OpenAPI is generated from the same route schemas that validate', async (t) => {
  const b = await testBroker(t, 'pglite');
  const r = await call(b.url, 'GET', '/openapi.json');
  t.equal(r.status, 200);
  t.equal(r.json.openapi, '3.1.0');
  const paths = Object.keys(r.json.paths).sort();
  t.same(paths, ['/v1/purposes/{purpose}/releases/membership', '/v1/purposes/{purpose}/runs', '/v1/purposes/{purpose}/submissions', '/v1/token']);
  const tokenBody = r.json.paths['/v1/token'].post.requestBody.content['application/json'].schema;
  t.same(tokenBody.required?.sort(), ['agency', 'secret']);
  t.equal(tokenBody.additionalProperties, false);
  // The document and the validator agree: a body the document forbids is refused.
  const refused = await call(b.url, 'POST', '/v1/token', { body: { agency: 'alpha' } });
  t.equal(refused.status, 400);
});
