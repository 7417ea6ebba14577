import type {} from '@fastify/jwt';
import { createSigner } from 'fast-jwt';
import t from 'tap';
import { call, testBroker, tokenFor, upload } from './helpers/in-process.js';

for (const storage of ['postgres', 'pglite'] as const) {
  t.test(`bad input gets a clear 4xx and stores nothing (${storage})`, async (t) => {
    const b = await testBroker(t, storage, { bodyLimit: 256 * 1024 });
    const alpha = await tokenFor(b, 'alpha');
    const submit = (body: unknown, key = 'key-00000001', token = alpha, purpose = 'testing') =>
      call(b.url, 'POST', `/v1/purposes/${purpose}/submissions`, { token, body, headers: { 'idempotency-key': key } });
    const expectError = (r: { status: number; json: any }, status: number, code: string, message?: RegExp) => {
      t.equal(r.status, status, `status ${status} for ${code}`);
      t.equal(r.json?.error?.code, code);
      t.type(r.json?.error?.message, 'string');
      if (message) t.match(r.json.error.message, message);
    };

    expectError(await call(b.url, 'POST', '/v1/token', { body: { agency: 'alpha', secret: 'x'.repeat(40) } }), 401, 'bad-credentials');
    expectError(await call(b.url, 'POST', '/v1/token', { body: { agency: 'alpha', secret: b.creds.alpha, extra: 1 } }), 400, 'invalid-body', /extra/);
    expectError(await call(b.url, 'POST', '/v1/token', { raw: '{"agency": "alpha",' }), 400, 'invalid-body', /JSON/);
    expectError(await call(b.url, 'POST', '/v1/purposes/testing/submissions', { body: upload(2), headers: { 'idempotency-key': 'key-00000001' } }), 401, 'unauthenticated');

    // A token signed with another key, and one of ours that has expired.
    const forged = createSigner({ key: 'not the broker key at all, 32 bytes+', algorithm: 'HS256', iss: 'blindlink-broker', expiresIn: 600_000 })({ sub: 'alpha', role: 'agency' });
    expectError(await submit(upload(2), 'key-00000001', forged), 401, 'token-invalid');
    const expired = b.app.jwt.sign({ sub: 'alpha', role: 'agency' }, { expiresIn: 1, clockTimestamp: Date.now() - 3_600_000 } as never);
    expectError(await submit(upload(2), 'key-00000001', expired), 401, 'token-expired');

    expectError(await submit(upload(2), 'key-00000001', alpha, 'no-such-purpose'), 404, 'unknown-purpose', /no-such-purpose/);
    const gamma = await tokenFor(b, 'gamma');
    expectError(await submit(upload(2), 'key-00000001', gamma), 403, 'policy-refused', /no contributor gamma/);
    const tooMuch = upload(2);
    tooMuch.header.schema.fields.push('nhs_number');
    expectError(await submit(tooMuch), 403, 'policy-refused', /alpha may encode only given_name, surname, dob; the submission also encodes nhs_number/);

    const short = upload(3);
    short.records[1]!.clk = Buffer.alloc(64).toString('base64');
    expectError(await submit(short), 400, 'wrong-bit-length', /records\[1\].*512 bits.*1024/);
    const badB64 = upload(2);
    badB64.records[0]!.clk = '***not base64***';
    expectError(await submit(badB64), 400, 'invalid-body', /clk/);
    const dupTokens = upload(3);
    dupTokens.records[2]!.token = dupTokens.records[0]!.token;
    expectError(await submit(dupTokens), 400, 'duplicate-row-token', /records\[2\]/);
    const miscount = upload(3);
    miscount.header.recordCount = 4;
    expectError(await submit(miscount), 400, 'invalid-body', /recordCount/);
    expectError(await submit({ ...upload(2), surprise: true }), 400, 'invalid-body', /surprise/);
    expectError(await submit(upload(2), 'k'), 400, 'invalid-body', /idempotency-key/);
    expectError(await submit(upload(2500)), 413, 'body-too-large');

    // Nothing of the above was stored.
    t.equal(Number((await b.db.selectFrom('submission').select(b.db.fn.countAll().as('n')).executeTakeFirstOrThrow()).n), 0, 'no submission stored');

    const ok = await submit(upload(5), 'key-00000002');
    t.equal(ok.status, 201);
    expectError(await submit(upload(5), 'key-00000002'), 409, 'submission-already-stored', new RegExp(ok.json.submissionId));
    expectError(await submit(upload(5, 7), 'key-00000002'), 409, 'idempotency-key-reused');
    const [retryA, retryB] = await Promise.all([submit(upload(6), 'key-00000003'), submit(upload(6), 'key-00000003')]);
    t.same([retryA.status, retryB.status].sort(), [201, 409], 'racing retries: one stored, one told so');
    const subs = await b.db.selectFrom('submission').select(['idempotency_key', 'record_count']).orderBy('idempotency_key').execute();
    t.same(subs, [{ idempotency_key: 'key-00000002', record_count: 5 }, { idempotency_key: 'key-00000003', record_count: 6 }]);
    t.equal(Number((await b.db.selectFrom('encoding').select(b.db.fn.countAll().as('n')).executeTakeFirstOrThrow()).n), 11, 'exactly the stored rows');

    expectError(await call(b.url, 'GET', '/v1/nowhere'), 404, 'not-found');

    // Every request above is in the audit trail, refused ones included.
    const audit = await b.db.selectFrom('audit_log').select(['decision', 'status']).execute();
    t.ok(audit.length >= 20, `${audit.length} audited requests`);
    t.ok(audit.some((a) => a.decision === 'refused' && a.status === 403));

    const logs = b.logs.join('');
    t.notOk(logs.includes(b.creds.alpha!), 'credential never logged');
    t.notOk(logs.includes(alpha), 'access token never logged');
  });
}
