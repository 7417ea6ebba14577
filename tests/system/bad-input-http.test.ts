import type {} from '@fastify/jwt';
import { createSigner } from 'fast-jwt';
import t from 'tap';
import { registerAgency, revokeAgency } from '@blindlink/broker';
import { createCa, issueClientCertificate } from '@blindlink/broker/trust';
import { generateCsr, mtlsAgent } from '@blindlink/agency-client/identity';
import { call, seal, submitAs, testBroker, tokenFor, upload } from '../helpers/in-process.js';

for (const storage of ['postgres', 'pglite'] as const) {
  t.test(`bad input gets a clear 4xx and stores nothing (${storage})`, async (t) => {
    const b = await testBroker(t, storage, { bodyLimit: 512 * 1024 });
    const expectError = (r: Awaited<ReturnType<typeof call>>, status: number, code: string, message?: RegExp) => {
      t.equal(r.status, status, `status ${status} for ${code}: ${r.text.slice(0, 200)}`);
      t.equal(r.json?.error?.code, code);
      t.type(r.json?.error?.message, 'string');
      if (message) t.match(r.json?.error?.message, message);
    };

    // Enrolment: wrong code, bad CSR, a code used twice.
    const { enrolmentCode } = await registerAgency(b.db, 'delta', 'delta');
    const { csrPem } = generateCsr('delta');
    const signingPublicKey = Buffer.alloc(32, 7).toString('base64');
    expectError(
      await call(b, 'POST', '/v1/enrol', {
        body: { agency: 'delta', code: 'AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH', csr: csrPem, signingPublicKey },
      }),
      401,
      'bad-credentials',
    );
    const badCsr = '-----BEGIN CERTIFICATE REQUEST-----\n' + 'A'.repeat(120) + '\n-----END CERTIFICATE REQUEST-----\n';
    expectError(
      await call(b, 'POST', '/v1/enrol', {
        body: { agency: 'delta', code: enrolmentCode, csr: badCsr, signingPublicKey },
      }),
      400,
      'invalid-body',
      /certificate signing request refused/,
    );
    t.equal(
      (
        await call(b, 'POST', '/v1/enrol', {
          body: { agency: 'delta', code: enrolmentCode, csr: csrPem, signingPublicKey },
        })
      ).status,
      201,
    );
    expectError(
      await call(b, 'POST', '/v1/enrol', {
        body: { agency: 'delta', code: enrolmentCode, csr: csrPem, signingPublicKey },
      }),
      401,
      'bad-credentials',
      /wrong enrolment code/,
    );
    expectError(
      await call(b, 'POST', '/v1/enrol', {
        body: { agency: 'delta', code: enrolmentCode, csr: csrPem, signingPublicKey, extra: 1 },
      }),
      400,
      'invalid-body',
      /extra/,
    );
    expectError(await call(b, 'POST', '/v1/enrol', { raw: '{"agency": "alpha",' }), 400, 'invalid-body', /JSON/);

    // Tokens: only over a client certificate our CA issued, never revoked.
    expectError(await call(b, 'POST', '/v1/token'), 401, 'unauthenticated', /no client certificate/);
    const otherCa = createCa();
    const stranger = generateCsr('alpha');
    const strangerCert = issueClientCertificate(otherCa, stranger.csrPem, 'alpha', 30);
    const strangerAgent = mtlsAgent({
      caPem: b.caCertificate,
      certPem: strangerCert.certPem,
      keyPem: stranger.privateKeyPem,
    });
    t.teardown(() => strangerAgent.destroy());
    expectError(await call(b, 'POST', '/v1/token', { agent: strangerAgent }), 401, 'unauthenticated', /not accepted/);
    expectError(
      await call(b, 'POST', '/v1/login', { body: { username: 'iggy', password: 'not the password at all' } }),
      401,
      'bad-credentials',
    );

    const alpha = await tokenFor(b, 'alpha');
    const sealed = await seal(b, 'alpha', upload(2));
    const post = (opts: Parameters<typeof call>[3]) =>
      call(b, 'POST', '/v1/purposes/testing/submissions', { headers: { 'idempotency-key': 'key-00000001' }, ...opts });
    expectError(await post({ as: 'alpha', body: sealed }), 401, 'unauthenticated');
    const forged = createSigner({
      key: 'not the broker key at all, 32 bytes+',
      algorithm: 'HS256',
      iss: 'blindlink-broker',
      expiresIn: 600_000,
    })({ sub: 'alpha', role: 'agency' });
    expectError(await post({ as: 'alpha', token: forged, body: sealed }), 401, 'token-invalid');
    const expired = b.app.jwt.sign({ sub: 'alpha', role: 'agency' }, {
      expiresIn: 1,
      clockTimestamp: Date.now() - 3_600_000,
    } as never);
    expectError(await post({ as: 'alpha', token: expired, body: sealed }), 401, 'token-expired');
    expectError(
      await post({ as: 'beta', token: alpha, body: sealed }),
      401,
      'token-invalid',
      /bound to another certificate/,
    );
    expectError(await post({ token: alpha, body: sealed }), 401, 'unauthenticated', /no client certificate/);

    expectError(
      await submitAs(b, 'alpha', upload(2), 'key-00000001', { purpose: 'no-such-purpose' }),
      404,
      'unknown-purpose',
      /no-such-purpose/,
    );
    expectError(await submitAs(b, 'gamma', upload(2), 'key-00000001'), 403, 'policy-refused', /no contributor gamma/);
    await revokeAgency(b.db, 'gamma');
    expectError(await call(b, 'POST', '/v1/token', { as: 'gamma' }), 401, 'unauthenticated', /revoked/);

    const tooMuch = upload(2);
    tooMuch.header.schema.fields.push('nhs_number');
    expectError(
      await submitAs(b, 'alpha', tooMuch, 'key-00000001'),
      403,
      'policy-refused',
      /alpha may encode only given_name, surname, dob; the submission also encodes nhs_number/,
    );
    const short = upload(3);
    short.records[1]!.clk = Buffer.alloc(64).toString('base64');
    expectError(
      await submitAs(b, 'alpha', short, 'key-00000001'),
      400,
      'wrong-bit-length',
      /records\[1\].*512 bits.*1024/,
    );
    const badB64 = upload(2);
    badB64.records[0]!.clk = '***not base64***';
    expectError(await submitAs(b, 'alpha', badB64, 'key-00000001'), 400, 'invalid-body', /clk/);
    const dupTokens = upload(3);
    dupTokens.records[2]!.token = dupTokens.records[0]!.token;
    expectError(await submitAs(b, 'alpha', dupTokens, 'key-00000001'), 400, 'duplicate-row-token', /records\[2\]/);
    const miscount = upload(3);
    miscount.header.recordCount = 4;
    expectError(await submitAs(b, 'alpha', miscount, 'key-00000001'), 400, 'invalid-body', /recordCount/);
    expectError(
      await submitAs(b, 'alpha', { ...upload(2), surprise: true }, 'key-00000001'),
      400,
      'invalid-body',
      /surprise|additional/,
    );
    expectError(await submitAs(b, 'alpha', 'not json at all', 'key-00000001'), 400, 'invalid-body', /not JSON/);

    // The envelope: tampered ciphertext, someone else's signature, unknown fields.
    const tampered = await seal(b, 'alpha', upload(2));
    const bytes = Buffer.from(tampered.sealed, 'base64');
    bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 1;
    expectError(
      await post({ as: 'alpha', token: alpha, body: { ...tampered, sealed: bytes.toString('base64') } }),
      400,
      'invalid-encoding',
      /cannot open sealed box|digest/,
    );
    expectError(
      await post({ as: 'alpha', token: alpha, body: await seal(b, 'beta', upload(2)) }),
      400,
      'invalid-encoding',
      /signature does not verify/,
    );
    expectError(await post({ as: 'alpha', token: alpha, body: { ...sealed, note: 'x' } }), 400, 'invalid-body', /note/);
    expectError(
      await post({ as: 'alpha', token: alpha, body: sealed, headers: { 'idempotency-key': 'k' } }),
      400,
      'invalid-body',
      /idempotency-key/,
    );
    expectError(await submitAs(b, 'alpha', upload(4000), 'key-00000001'), 413, 'body-too-large');

    t.equal(
      Number((await b.db.selectFrom('submission').select(b.db.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
      0,
      'no submission stored',
    );

    const ok = await submitAs(b, 'alpha', upload(5), 'key-00000002');
    t.equal(ok.status, 201, ok.text);
    expectError(
      await submitAs(b, 'alpha', upload(5), 'key-00000002'),
      409,
      'submission-already-stored',
      new RegExp(ok.json.submissionId),
    );
    expectError(await submitAs(b, 'alpha', upload(5, 7), 'key-00000002'), 409, 'idempotency-key-reused');
    const [retryA, retryB] = await Promise.all([
      submitAs(b, 'alpha', upload(6), 'key-00000003'),
      submitAs(b, 'alpha', upload(6), 'key-00000003'),
    ]);
    t.same([retryA.status, retryB.status].sort(), [201, 409], 'racing retries: one stored, one told so');
    const subs = await b.db
      .selectFrom('submission')
      .select(['idempotency_key', 'record_count', 'signature'])
      .orderBy('idempotency_key')
      .execute();
    t.same(
      subs.map((s) => [s.idempotency_key, s.record_count]),
      [
        ['key-00000002', 5],
        ['key-00000003', 6],
      ],
    );
    t.ok(
      subs.every((s) => s.signature && s.signature.length === 88),
      'the agency signature is kept',
    );
    t.equal(
      Number((await b.db.selectFrom('encoding').select(b.db.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
      11,
      'exactly the stored rows',
    );

    expectError(await call(b, 'GET', '/v1/nowhere'), 404, 'not-found');

    const audit = await b.db.selectFrom('audit_log').select(['decision', 'status']).execute();
    t.ok(audit.length >= 30, `${audit.length} audited requests`);
    t.ok(audit.some((a) => a.decision === 'refused' && a.status === 403));

    const logs = b.logs.join('');
    t.notOk(logs.includes(alpha), 'access token never logged');
    t.notOk(logs.includes(enrolmentCode), 'enrolment code never logged');
  });
}
