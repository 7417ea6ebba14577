import t from 'tap';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request, type Agent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import forge from 'node-forge';
import sodium from 'libsodium-wrappers';
import sumo from 'libsodium-wrappers-sumo';
import { Compile } from 'typebox/compile';
import {
  adminUnlock,
  agencyPeer,
  atRestAad,
  BrokerKeyring,
  CA_KEY_FILE,
  certificateConfirmation,
  certificateFingerprint,
  certificateThumbprint,
  checkCertificateBinding,
  checkEnrolmentCode,
  checkPasswordPolicy,
  createCa,
  DATA_KEY_FILE,
  DEFAULT_LOCKOUT_POLICY,
  EnvelopeError,
  generateRsaKeyPair,
  hashEnrolmentCode,
  hashPassword,
  INITIAL_LOCKOUT_STATE,
  issueClientCertificate,
  issueServerCertificate,
  loadOrCreateBrokerKeys,
  loadOrCreateCa,
  loadOrIssueServerCertificate,
  loginGate,
  mutualTlsServerOptions,
  needsRehash,
  newEnrolmentCode,
  nextLockoutState,
  openSubmission,
  RevocationList,
  SEALING_SEED_FILE,
  signCheckpoint,
  SIGNING_SEED_FILE,
  SubmissionEnvelope,
  SUBMISSION_ENVELOPE_ALG as BROKER_ALG,
  SUBMISSION_SIGNATURE_CONTEXT as BROKER_CONTEXT,
  submissionSignedMessage as brokerSignedMessage,
  verifyCheckpoint,
  verifyClientCertificate,
  verifyPassword,
  type CertificateAuthority,
  type LockoutPolicy,
  type LockoutState,
} from '@blindlink/broker/trust';
import {
  generateCsr,
  installClientCertificate,
  loadOrCreateAgencySigningKey,
  loadTlsIdentity,
  mtlsAgent,
  prepareEnrolment,
  sealSubmission,
  signingKeyFromSeed,
  SUBMISSION_ENVELOPE_ALG as CLIENT_ALG,
  SUBMISSION_SIGNATURE_CONTEXT as CLIENT_CONTEXT,
  submissionSignedMessage as clientSignedMessage,
  tlsAgentOptions,
} from '@blindlink/agency-client/identity';

const tmp = (name: string) => {
  const dir = mkdtempSync(join(tmpdir(), `blindlink-trust-${name}-`));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};
const mode = (file: string) => statSync(file).mode & 0o777;
const derOf = (pem: string) => new X509Certificate(pem).raw;
const ms = (start: number) => Math.round(performance.now() - start);

// One CA and one foreign CA for the whole file: RSA key generation is the slow part.
let ca: CertificateAuthority;
let otherCa: CertificateAuthority;
t.before(() => {
  const start = performance.now();
  ca = createCa();
  t.comment(`RSA-2048 CA key (node:crypto keygen + forge conversion) and self-signed certificate: ${ms(start)} ms`);
  otherCa = createCa();
});

t.test('RSA key generation time (node:crypto, converted to forge)', async (t) => {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    const { privateKey } = generateRsaKeyPair();
    times.push(ms(start));
    t.equal(privateKey.n.bitLength(), 2048);
  }
  t.comment(`RSA-2048 keygen: ${times.join(', ')} ms`);
});

t.test('the CA is created once in the key directory, key file 0600, and reloaded unchanged', async (t) => {
  const dir = tmp('ca');
  const first = loadOrCreateCa(dir);
  t.equal(mode(join(dir, CA_KEY_FILE)), 0o600, 'CA key file is owner-only');
  t.equal(mode(dir), 0o700, 'key directory is owner-only');
  t.equal(first.cert.subject.getField('CN').value, 'blindlink broker CA');
  t.ok(new X509Certificate(first.certPem).ca, 'CA certificate has basicConstraints cA');
  const again = loadOrCreateCa(dir);
  t.equal(again.certPem, first.certPem, 'second start reuses the CA certificate');
  t.equal(again.keyPem, first.keyPem, 'second start reuses the CA key');
  t.match(certificateFingerprint(first.certPem), /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/, 'fingerprint for pinning');
  chmodSync(join(dir, CA_KEY_FILE), 0o644);
  t.throws(() => loadOrCreateCa(dir), /must be readable by its owner only/, 'a world-readable CA key is refused');
});

t.test('client certificates from a CSR: CN forced, clientAuth, random serial, stable thumbprint', async (t) => {
  const { csrPem } = generateCsr('someone-else');
  const issued = issueClientCertificate(ca, csrPem, 'north-council', 90);
  const x = new X509Certificate(issued.certPem);
  t.equal(x.subject, 'CN=north-council', 'subject is the slug the CA chose, not the CSR subject');
  t.same(x.keyUsage, ['1.3.6.1.5.5.7.3.2'], 'extended key usage is clientAuth only');
  t.equal(x.ca, false, 'not a CA');
  t.ok(x.checkIssued(new X509Certificate(ca.certPem)), 'issued by the broker CA');
  t.match(issued.serialHex, /^[4-7][0-9a-f]{31}$/, '16-byte positive serial');
  t.equal(issued.serialHex, x.serialNumber.toLowerCase(), 'returned serial is the certificate serial');
  const expected = createHash('sha256').update(x.raw).digest('base64url');
  t.equal(issued.thumbprint, expected, 'thumbprint = base64url(sha256(DER))');
  t.equal(certificateThumbprint(issued.certPem), expected, 'thumbprint from PEM');
  t.equal(certificateThumbprint(x.raw), expected, 'thumbprint from DER');
  const second = issueClientCertificate(ca, csrPem, 'north-council', 90);
  t.not(second.serialHex, issued.serialHex, 'serials differ between issues');
  t.match(verifyClientCertificate(ca, issued.certPem), {
    ok: true,
    agency: 'north-council',
    serialHex: issued.serialHex,
    thumbprint: expected,
  });
  t.throws(() => issueClientCertificate(ca, csrPem, 'North Council', 90), /not an agency slug/);
  t.throws(() => issueClientCertificate(ca, csrPem, 'north-council', 0), /validityDays/);
});

t.test('verifyClientCertificate refuses other CAs, expired, not-yet-valid and non-client certificates', async (t) => {
  const { csrPem } = generateCsr('x');
  const foreign = issueClientCertificate(otherCa, csrPem, 'north-council', 30);
  t.same(verifyClientCertificate(ca, foreign.certPem), { ok: false, reason: 'not issued by this broker CA' });
  const now = new Date('2026-03-01T00:00:00Z');
  const issued = issueClientCertificate(ca, csrPem, 'north-council', 30, now);
  t.match(verifyClientCertificate(ca, issued.certPem, new Date('2026-03-20T00:00:00Z')), { ok: true });
  t.same(verifyClientCertificate(ca, issued.certPem, new Date('2026-04-01T00:00:00Z')), {
    ok: false,
    reason: 'certificate expired',
  });
  t.same(verifyClientCertificate(ca, issued.certPem, new Date('2026-02-28T00:00:00Z')), {
    ok: false,
    reason: 'certificate not yet valid',
  });
  const server = issueServerCertificate(ca, ['localhost'], []);
  t.same(verifyClientCertificate(ca, server.certPem), {
    ok: false,
    reason: 'certificate is not for client authentication',
  });
  t.same(verifyClientCertificate(ca, ca.certPem), {
    ok: false,
    reason: 'a CA certificate is not a client certificate',
  });
  t.same(verifyClientCertificate(ca, 'garbage'), { ok: false, reason: 'not a certificate' });
});

t.test('tampered or weak CSRs are refused', async (t) => {
  const { csrPem } = generateCsr('north-council');
  // Flip one bit of the signature.
  const flipped = forge.pki.certificationRequestFromPem(csrPem);
  const sig = flipped.signature as string;
  flipped.signature = sig.slice(0, -1) + String.fromCharCode(sig.charCodeAt(sig.length - 1) ^ 1);
  t.throws(
    () => issueClientCertificate(ca, forge.pki.certificationRequestToPem(flipped), 'north-council', 30),
    /signature does not verify/,
  );
  // Swap in someone else's public key, keeping the original signature: no proof of possession.
  const swapped = forge.pki.certificationRequestFromPem(csrPem);
  swapped.publicKey = generateRsaKeyPair().publicKey;
  swapped.certificationRequestInfo = null;
  t.throws(
    () => issueClientCertificate(ca, forge.pki.certificationRequestToPem(swapped), 'north-council', 30),
    /signature does not verify/,
  );
  // Change the subject after signing.
  const renamed = forge.pki.certificationRequestFromPem(csrPem);
  renamed.setSubject([{ name: 'commonName', value: 'admin' }]);
  renamed.certificationRequestInfo = null;
  t.throws(
    () => issueClientCertificate(ca, forge.pki.certificationRequestToPem(renamed), 'north-council', 30),
    /signature does not verify/,
  );
  // A properly signed CSR for a 1024-bit key.
  const small = forge.pki.rsa.generateKeyPair({ bits: 1024 });
  const weak = forge.pki.createCertificationRequest();
  weak.publicKey = small.publicKey;
  weak.setSubject([{ name: 'commonName', value: 'north-council' }]);
  weak.sign(small.privateKey, forge.md.sha256.create());
  t.throws(
    () => issueClientCertificate(ca, forge.pki.certificationRequestToPem(weak), 'north-council', 30),
    /at least 2048/,
  );
  t.throws(() => issueClientCertificate(ca, 'not a csr', 'north-council', 30), /certificate signing request/);
});

t.test('server certificate: SANs and serverAuth; stored and re-issued only when needed', async (t) => {
  const issued = issueServerCertificate(ca, ['localhost', 'broker.example'], ['127.0.0.1', '::1']);
  const x = new X509Certificate(issued.certPem);
  t.equal(x.checkHost('broker.example'), 'broker.example');
  t.equal(x.checkIP('127.0.0.1'), '127.0.0.1');
  t.equal(x.checkIP('::1'), '::1');
  t.equal(x.checkHost('other.example'), undefined);
  t.same(x.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'serverAuth only');
  t.ok(x.checkPrivateKey(createPrivateKey(issued.keyPem)), 'the returned key belongs to the certificate');

  const dir = tmp('server-cert');
  const first = loadOrIssueServerCertificate(dir, ca, { hostnames: ['localhost'], ips: ['127.0.0.1'] });
  t.equal(first.issued, true);
  t.equal(mode(join(dir, 'server.key.pem')), 0o600);
  const second = loadOrIssueServerCertificate(dir, ca, { hostnames: ['localhost'], ips: ['127.0.0.1'] });
  t.equal(second.issued, false, 'reused on the next start');
  t.equal(second.certPem, first.certPem);
  t.equal(
    loadOrIssueServerCertificate(dir, ca, { hostnames: ['localhost', 'broker.example'], ips: ['127.0.0.1'] }).issued,
    true,
    're-issued for a new hostname',
  );
  t.equal(
    loadOrIssueServerCertificate(dir, otherCa, { hostnames: ['localhost'], ips: [] }).issued,
    true,
    're-issued when the CA changed',
  );
  const late = new Date(Date.now() + 350 * 86_400_000);
  t.equal(
    loadOrIssueServerCertificate(dir, otherCa, { hostnames: ['localhost'], ips: [] }, late).issued,
    true,
    're-issued near expiry',
  );
});

t.test('revocation list', async (t) => {
  const list = new RevocationList([['4A0B', new Date('2026-01-01T00:00:00Z')]]);
  t.equal(list.isRevoked('4a0b'), true, 'case does not matter');
  t.equal(list.isRevoked('00:4A:0B'), true, 'colons and leading zeros do not matter');
  t.equal(list.isRevoked('4a0c'), false);
  list.revoke('5555', new Date('2030-01-01T00:00:00Z'));
  t.equal(list.isRevoked('5555', new Date('2029-12-31T00:00:00Z')), false, 'a future revocation is not yet in force');
  t.equal(list.isRevoked('5555', new Date('2030-01-01T00:00:00Z')), true);
  list.revoke('4a0b', new Date('2027-01-01T00:00:00Z'));
  t.same(list.revokedAt('4a0b'), new Date('2026-01-01T00:00:00Z'), 'revoking again keeps the first time');
  t.equal(list.size, 2);
});

// --- a real TLS handshake ----------------------------------------------------------------------

interface Seen {
  status: number;
  body: { ok: boolean; agency?: string; thumbprint?: string; serialHex?: string; reason?: string; bound?: unknown };
  clientSawServerAuthorized: boolean;
  serverThumbprint: string;
  reusedSocket: boolean;
}

function get(port: number, agent: Agent, headers: Record<string, string> = {}): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', method: 'GET', agent, headers }, (res) => {
      const socket = res.socket as TLSSocket;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
          clientSawServerAuthorized: socket.authorized,
          serverThumbprint: certificateThumbprint(socket.getPeerCertificate().raw),
          reusedSocket: req.reusedSocket,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

t.test(
  'mutual TLS on 127.0.0.1: both sides authenticate, revocation bites at once, tokens bind to the certificate',
  async (t) => {
    const server = issueServerCertificate(ca, ['localhost'], ['127.0.0.1']);
    const revocations = new RevocationList();
    const httpsServer = createServer(
      mutualTlsServerOptions({ keyPem: server.keyPem, certPem: server.certPem, caPem: ca.certPem }),
      (req, res) => {
        const check = agencyPeer(req.socket as TLSSocket, revocations);
        // The "token" here is just its cnf claim, sent as JSON in a header, to exercise the binding check.
        const claims = req.headers['x-test-cnf'] ? { cnf: JSON.parse(String(req.headers['x-test-cnf'])) } : undefined;
        const bound = claims ? checkCertificateBinding(claims, check.ok ? check.peer.der : null) : undefined;
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify(
            check.ok
              ? {
                  ok: true,
                  agency: check.peer.agency,
                  thumbprint: check.peer.thumbprint,
                  serialHex: check.peer.serialHex,
                  bound,
                }
              : { ok: false, reason: check.reason, bound },
          ),
        );
      },
    );
    await new Promise<void>((r) => httpsServer.listen(0, '127.0.0.1', r));
    const port = (httpsServer.address() as AddressInfo).port;
    const agents: Agent[] = [];
    const agentFor = (m: Parameters<typeof mtlsAgent>[0]) => {
      const a = mtlsAgent(m);
      agents.push(a);
      return a;
    };
    t.teardown(async () => {
      for (const a of agents) a.destroy();
      httpsServer.closeAllConnections();
      await new Promise((r) => httpsServer.close(r));
    });

    // The agency side, through the client package: enrol into a key directory, install, load.
    const agencyDir = tmp('agency');
    const enrol = await prepareEnrolment(agencyDir, 'north-council');
    const issued = issueClientCertificate(ca, enrol.csrPem, 'north-council', 30);
    installClientCertificate(agencyDir, issued.certPem, ca.certPem);
    const identity = loadTlsIdentity(agencyDir);

    const agent = agentFor(identity);
    const seen = await get(port, agent);
    t.equal(seen.clientSawServerAuthorized, true, 'client verified the broker against the pinned CA');
    t.equal(seen.serverThumbprint, server.thumbprint, 'client saw the broker certificate');
    t.match(
      seen.body,
      { ok: true, agency: 'north-council', serialHex: issued.serialHex },
      'server authenticated the agency',
    );
    t.equal(
      seen.body.thumbprint,
      issued.thumbprint,
      "thumbprint of the peer certificate's raw DER = thumbprint at issue",
    );

    // Certificate-bound token: accepted over its own certificate, refused over another.
    const cnf = JSON.stringify(certificateConfirmation(issued.thumbprint).cnf);
    t.same((await get(port, agent, { 'x-test-cnf': cnf })).body.bound, { ok: true });
    const otherIssued = issueClientCertificate(ca, generateCsrPem('south-council').csrPem, 'south-council', 30);
    const otherAgent = agentFor({ caPem: ca.certPem, certPem: otherIssued.certPem, keyPem: generateCsrPem.lastKey });
    const viaOther = await get(port, otherAgent, { 'x-test-cnf': cnf });
    t.match(viaOther.body, { ok: true, agency: 'south-council' });
    t.same(
      viaOther.body.bound,
      { ok: false, reason: 'token was issued for another client certificate' },
      'a token presented over another certificate is refused',
    );
    t.same(checkCertificateBinding({}, derOf(issued.certPem)), {
      ok: false,
      reason: 'token is not bound to a client certificate',
    });
    t.same(checkCertificateBinding({ cnf: { 'x5t#S256': issued.thumbprint } }, null), {
      ok: false,
      reason: 'no client certificate was presented',
    });

    // No client certificate: the connection works (people's routes) but no agency is recognised.
    const anonymous = await get(port, agentFor({ caPem: ca.certPem }));
    t.same(anonymous.body, { ok: false, reason: 'no client certificate was presented' });

    // A certificate from another CA: the handshake completes (rejectUnauthorized false) but it is not authorized.
    const { csrPem: foreignCsr, privateKeyPem: foreignKey } = generateCsr('north-council');
    const foreign = issueClientCertificate(otherCa, foreignCsr, 'north-council', 30);
    const foreignSeen = await get(port, agentFor({ caPem: ca.certPem, certPem: foreign.certPem, keyPem: foreignKey }));
    t.equal(foreignSeen.body.ok, false);
    t.match(
      foreignSeen.body.reason,
      /^client certificate not accepted: /,
      'a client certificate from another CA is not authorized',
    );

    // The broker's server certificate (serverAuth only) presented as a client certificate.
    const asClient = await get(port, agentFor({ caPem: ca.certPem, certPem: server.certPem, keyPem: server.keyPem }));
    t.equal(asClient.body.ok, false, 'a server certificate does not identify an agency');
    t.comment(`server certificate presented as client certificate: ${asClient.body.reason}`);

    // The client refuses a broker whose certificate is not from the pinned CA.
    const pinnedElsewhere = agentFor({ caPem: otherCa.certPem, certPem: identity.certPem, keyPem: identity.keyPem });
    await t.rejects(
      get(port, pinnedElsewhere),
      /self.signed|unable to (get|verify)|certificate/i,
      'client refuses a broker not signed by the pinned CA',
    );

    // Revocation takes effect on the already-open keep-alive connection.
    revocations.revoke(issued.serialHex, new Date());
    const afterRevoke = await get(port, agent);
    t.equal(afterRevoke.reusedSocket, true, 'same TLS connection as before');
    t.same(afterRevoke.body, { ok: false, reason: 'client certificate has been revoked' });
  },
);

// A tiny helper so the test can hold on to the key of the last CSR it generated.
function generateCsrPem(slug: string): { csrPem: string } {
  const { csrPem, privateKeyPem } = generateCsr(slug);
  generateCsrPem.lastKey = privateKeyPem;
  return { csrPem };
}
generateCsrPem.lastKey = '';

t.test('tlsAgentOptions shape and the agency identity store', async (t) => {
  t.same(tlsAgentOptions({ caPem: 'CA' }), { ca: ['CA'], minVersion: 'TLSv1.2', rejectUnauthorized: true });
  t.same(tlsAgentOptions({ caPem: 'CA', certPem: 'C', keyPem: 'K' }), {
    ca: ['CA'],
    cert: 'C',
    key: 'K',
    minVersion: 'TLSv1.2',
    rejectUnauthorized: true,
  });
  t.throws(() => tlsAgentOptions({ caPem: 'CA', certPem: 'C' }), /needs its private key/);

  const dir = tmp('identity');
  t.throws(() => installClientCertificate(dir, ca.certPem), /no certificate request is pending/);
  const req = await prepareEnrolment(dir, 'north-council');
  t.equal(mode(join(dir, 'tls.key.pending.pem')), 0o600);
  t.equal(mode(join(dir, 'agency-signing.ed25519.seed')), 0o600);
  const wrongKey = issueClientCertificate(ca, generateCsr('north-council').csrPem, 'north-council', 30);
  t.throws(() => installClientCertificate(dir, wrongKey.certPem, ca.certPem), /not for the pending key/);
  const fromOther = issueClientCertificate(otherCa, req.csrPem, 'north-council', 30);
  t.throws(() => installClientCertificate(dir, fromOther.certPem, ca.certPem), /not issued by the broker CA/);
  const good = issueClientCertificate(ca, req.csrPem, 'north-council', 30);
  installClientCertificate(dir, good.certPem, ca.certPem);
  t.equal(loadTlsIdentity(dir).certPem, good.certPem);
  t.equal(mode(join(dir, 'tls.key.pem')), 0o600);
  // Renewal: a new pending key; the old key stays in use until the new certificate is installed.
  const renewal = await prepareEnrolment(dir, 'north-council');
  t.equal(loadTlsIdentity(dir).certPem, good.certPem, 'still the old identity during renewal');
  t.equal(renewal.signingPublicKey, req.signingPublicKey, 'the signing key is kept across renewal');
  t.throws(
    () =>
      installClientCertificate(
        dir,
        issueClientCertificate(ca, renewal.csrPem, 'north-council', 30).certPem,
        otherCa.certPem,
      ),
    /differs from the one pinned/,
  );
  const renewed = issueClientCertificate(ca, renewal.csrPem, 'north-council', 30);
  installClientCertificate(dir, renewed.certPem);
  t.equal(loadTlsIdentity(dir).certPem, renewed.certPem);
});

// --- submission envelopes -------------------------------------------------------------------------

t.test('envelope format constants agree on both sides', async (t) => {
  t.equal(CLIENT_ALG, BROKER_ALG);
  t.equal(CLIENT_CONTEXT, BROKER_CONTEXT);
  const digest = createHash('sha256').update('x').digest('hex');
  t.same(clientSignedMessage(digest), brokerSignedMessage(digest), 'same signed bytes');
  t.equal(clientSignedMessage(digest).length, BROKER_CONTEXT.length + 1 + 32);
});

t.test('submission seal (agency) and open (broker)', async (t) => {
  await sodium.ready;
  const broker = await BrokerKeyring.fromSeeds({
    signingSeed: new Uint8Array(32).fill(1),
    sealingSeed: new Uint8Array(32).fill(2),
    dataKey: new Uint8Array(32).fill(3),
  });
  const agency = await loadOrCreateAgencySigningKey(tmp('agency-sign'));
  const intruder = await signingKeyFromSeed(new Uint8Array(32).fill(9));
  const body = new Uint8Array(
    Buffer.from(JSON.stringify({ header: { agency: 'north-council' }, records: [{ token: 'r1', clk: 'AAAA' }] })),
  );
  const check = Compile(SubmissionEnvelope);

  const envelope = await sealSubmission(body, broker.sealingPublicKeyBase64, agency.secretKey);
  t.ok(check.Check(envelope), 'envelope matches the TypeBox wire schema');
  t.equal(envelope.alg, 'ed25519+x25519-sealedbox');
  t.equal(envelope.digest, createHash('sha256').update(body).digest('hex'));
  t.notOk(
    Buffer.from(envelope.sealed, 'base64').includes(Buffer.from('north-council')),
    'the payload is not readable in the envelope',
  );
  const opened = await openSubmission(envelope, agency.publicKeyBase64, broker);
  t.same(Buffer.from(opened.body), Buffer.from(body), 'round trip');
  t.equal(opened.signature, envelope.signature, 'signature kept for non-repudiation');
  t.equal(opened.digest, envelope.digest);
  t.ok(
    sodium.crypto_sign_verify_detached(
      Buffer.from(opened.signature, 'base64'),
      brokerSignedMessage(opened.digest),
      agency.publicKey,
    ),
    'stored signature verifies later from the public key alone',
  );

  const refusal = async (p: Promise<unknown>, problem: string, message: string, what: string) => {
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    t.ok(err instanceof EnvelopeError, `${what}: EnvelopeError`);
    t.match(err, { problem, message }, what);
  };

  // Flip a byte inside the sealed ciphertext.
  const sealed = Buffer.from(envelope.sealed, 'base64');
  sealed[sealed.length - 5]! ^= 0x01;
  await refusal(
    openSubmission({ ...envelope, sealed: sealed.toString('base64') }, agency.publicKey, broker),
    'sealed-box',
    'cannot open sealed box',
    'tampered payload',
  );
  // Signed by someone else, or checked against the wrong agency's key.
  const byIntruder = await sealSubmission(body, broker.sealingPublicKey, intruder.secretKey);
  await refusal(
    openSubmission(byIntruder, agency.publicKey, broker),
    'signature',
    'signature does not verify',
    'wrong signer',
  );
  // Digest altered in transit: the signature no longer covers it.
  const otherDigest = createHash('sha256').update('other').digest('hex');
  await refusal(
    openSubmission({ ...envelope, digest: otherDigest }, agency.publicKey, broker),
    'signature',
    'signature does not verify',
    'altered digest',
  );
  // A correctly signed digest that is not the digest of the sealed body.
  const signedOther = sodium.crypto_sign_detached(clientSignedMessage(otherDigest), agency.secretKey);
  await refusal(
    openSubmission(
      { ...envelope, digest: otherDigest, signature: Buffer.from(signedOther).toString('base64') },
      agency.publicKey,
      broker,
    ),
    'digest',
    'digest mismatch',
    'digest mismatch',
  );
  // Sealed to another broker.
  const otherBroker = await BrokerKeyring.fromSeeds({
    signingSeed: new Uint8Array(32).fill(4),
    sealingSeed: new Uint8Array(32).fill(5),
    dataKey: new Uint8Array(32).fill(6),
  });
  const toOther = await sealSubmission(body, otherBroker.sealingPublicKey, agency.secretKey);
  await refusal(
    openSubmission(toOther, agency.publicKey, broker),
    'sealed-box',
    'cannot open sealed box',
    'sealed to another broker',
  );
  // Malformed fields.
  await refusal(
    openSubmission({ ...envelope, signature: 'not base64!' }, agency.publicKey, broker),
    'bad-envelope',
    'envelope signature is not base64',
    'bad base64',
  );
  await refusal(
    openSubmission({ ...envelope, alg: 'none' as typeof envelope.alg }, agency.publicKey, broker),
    'bad-envelope',
    'unsupported envelope algorithm "none"',
    'bad alg',
  );
  t.notOk(check.Check({ ...envelope, extra: 1 }), 'schema refuses extra fields');
  await t.rejects(sealSubmission(body, new Uint8Array(31), agency.secretKey), /32-byte X25519/);
});

// --- broker keys and encryption at rest ------------------------------------------------------------

t.test('broker keys: created 0600, reloaded identically; at-rest encryption binds to its row', async (t) => {
  const dir = tmp('broker-keys');
  const keys = await loadOrCreateBrokerKeys(dir);
  for (const f of [SIGNING_SEED_FILE, SEALING_SEED_FILE, DATA_KEY_FILE])
    t.equal(mode(join(dir, f)), 0o600, `${f} is owner-only`);
  t.equal(Buffer.from(keys.signingPublicKeyBase64, 'base64').length, 32);
  t.equal(Buffer.from(keys.sealingPublicKeyBase64, 'base64').length, 32);
  t.match(keys.keyId, /^ed25519:[0-9a-f]{16}$/);
  const reloaded = await loadOrCreateBrokerKeys(dir);
  t.equal(reloaded.signingPublicKeyBase64, keys.signingPublicKeyBase64);
  t.equal(reloaded.sealingPublicKeyBase64, keys.sealingPublicKeyBase64);

  const rowA = atRestAad('submission-1', 'row-a');
  const rowB = atRestAad('submission-1', 'row-b');
  const clk = new Uint8Array(Buffer.from('clk bits for row a'));
  const ct = keys.encryptAtRest(clk, rowA);
  t.equal(ct.length, 24 + clk.length + 16, 'nonce ‖ ciphertext ‖ tag');
  t.same(Buffer.from(reloaded.decryptAtRest(ct, rowA)), Buffer.from(clk), 'round trip, also after reload');
  t.notSame(Buffer.from(keys.encryptAtRest(clk, rowA)), Buffer.from(ct), 'fresh nonce each time');
  t.throws(() => keys.decryptAtRest(ct, rowB), /cannot decrypt at-rest data/, 'moved to another row: refused');
  t.throws(
    () => keys.decryptAtRest(ct, atRestAad('submission-2', 'row-a')),
    /cannot decrypt/,
    'moved to another submission: refused',
  );
  const ctB = keys.encryptAtRest(new Uint8Array(Buffer.from('clk bits for row b')), rowB);
  t.throws(() => keys.decryptAtRest(ctB, rowA), /cannot decrypt/, 'swapped rows: refused');
  const flipped = new Uint8Array(ct);
  flipped[30]! ^= 1;
  t.throws(() => keys.decryptAtRest(flipped, rowA), /cannot decrypt/, 'altered byte: refused');
  t.throws(() => keys.decryptAtRest(ct.subarray(0, 30), rowA), /too short/);
  t.notSame(Buffer.from(atRestAad('ab', 'c')), Buffer.from(atRestAad('a', 'bc')), 'aad parts are unambiguous');
  const otherKeys = await loadOrCreateBrokerKeys(tmp('broker-keys-2'));
  t.throws(() => otherKeys.decryptAtRest(ct, rowA), /cannot decrypt/, 'another data key: refused');

  writeFileSync(join(dir, DATA_KEY_FILE), Buffer.alloc(16).toString('base64'));
  await t.rejects(loadOrCreateBrokerKeys(dir), /holds 16 bytes; expected 32/);
  chmodSync(join(dir, SIGNING_SEED_FILE), 0o640);
  await t.rejects(loadOrCreateBrokerKeys(dir), /readable by its owner only/);
});

// --- audit checkpoints ------------------------------------------------------------------------------

t.test('audit checkpoints: signed, verifiable offline with the public key only, tamper-evident', async (t) => {
  const keys = await BrokerKeyring.fromSeeds({
    signingSeed: new Uint8Array(32).fill(7),
    sealingSeed: new Uint8Array(32).fill(8),
    dataKey: new Uint8Array(32).fill(9),
  });
  const other = await BrokerKeyring.fromSeeds({
    signingSeed: new Uint8Array(32).fill(10),
    sealingSeed: new Uint8Array(32).fill(8),
    dataKey: new Uint8Array(32).fill(9),
  });
  const head = { seq: 42, hash: createHash('sha256').update('head').digest('hex') };
  const cp = signCheckpoint(keys, head, new Date('2026-05-01T12:00:00Z'));
  t.match(cp, { seq: 42, hash: head.hash, at: '2026-05-01T12:00:00.000Z', brokerKeyId: keys.keyId });
  const pub = keys.signingPublicKeyBase64; // all a verifier needs
  t.same(await verifyCheckpoint(cp, pub), { ok: true });
  t.same(
    await verifyCheckpoint(JSON.parse(JSON.stringify(cp)), keys.signingPublicKey),
    { ok: true },
    'survives JSON storage',
  );
  for (const [field, value] of [
    ['seq', 41],
    ['hash', createHash('sha256').update('rewritten').digest('hex')],
    ['at', '2026-05-02T12:00:00.000Z'],
  ] as const) {
    t.same(
      await verifyCheckpoint({ ...cp, [field]: value }, pub),
      { ok: false, reason: 'signature does not verify' },
      `altered ${field}`,
    );
  }
  t.match(await verifyCheckpoint(cp, other.signingPublicKey), { ok: false, reason: /signed by key/ }, 'another key');
  t.same(
    await verifyCheckpoint({ ...cp, brokerKeyId: other.keyId }, other.signingPublicKey),
    { ok: false, reason: 'signature does not verify' },
    'relabelled to another key',
  );
  t.match(await verifyCheckpoint({ ...cp, signature: '!!' }, pub), { ok: false, reason: /not base64/ });
  t.match(await verifyCheckpoint({ ...cp, hash: 'XYZ' }, pub), { ok: false, reason: /hash must be/ });
  t.throws(() => signCheckpoint(keys, { seq: -1, hash: head.hash }), /seq/);
});

// --- people: passwords, policy, lockout --------------------------------------------------------------

t.test('passwords: Argon2id hash and verify', async (t) => {
  let start = performance.now();
  const hash = await hashPassword('correct horse battery staple');
  const hashMs = ms(start);
  t.match(hash, /^\$argon2id\$v=19\$m=65536,t=2,p=1\$/, 'Argon2id, INTERACTIVE limits');
  start = performance.now();
  t.equal(await verifyPassword(hash, 'correct horse battery staple'), true);
  const verifyMs = ms(start);
  t.comment(`Argon2id (t=2, 64 MiB) hash ${hashMs} ms, verify ${verifyMs} ms`);
  t.equal(await verifyPassword(hash, 'correct horse battery stapl'), false, 'wrong password');
  t.equal(await verifyPassword(null, 'correct horse battery staple'), false, 'unknown user');
  t.equal(await verifyPassword('not a hash', 'x'), false, 'garbage hash is false, not an exception');
  t.not(await hashPassword('correct horse battery staple'), hash, 'salted: same password, different hash');
  t.equal(
    await verifyPassword(await hashPassword('caf\u00e9 au lait 2026'), 'cafe\u0301 au lait 2026'),
    true,
    'composed and decomposed accents match (NFC)',
  );
  t.equal(await needsRehash(hash), false);
  await sumo.ready;
  const stronger = sumo.crypto_pwhash_str(
    'pw',
    sumo.crypto_pwhash_OPSLIMIT_INTERACTIVE + 1,
    sumo.crypto_pwhash_MEMLIMIT_INTERACTIVE,
  );
  t.equal(await needsRehash(stronger), true, 'other parameters need rehash');
  t.equal(await needsRehash('$2b$10$abcdefghijklmnopqrstuv'), true, 'another algorithm needs rehash');
  await t.rejects(hashPassword('x'.repeat(1025)), /longer than 1024/);
  t.equal(await verifyPassword(hash, 'x'.repeat(5000)), false);
});

t.test('password policy', async (t) => {
  t.same(checkPasswordPolicy('Tr0ub4dor&3-horse'), { ok: true });
  t.same(checkPasswordPolicy('correct horse battery'), { ok: true }, 'letters and spaces are two kinds');
  t.same(checkPasswordPolicy('short1A'), { ok: false, reasons: ['must be at least 12 characters long (it has 7)'] });
  t.same(checkPasswordPolicy('alllowercaseletters'), {
    ok: false,
    reasons: ['must mix at least two kinds of character (it has only lower-case letters)'],
  });
  t.same(checkPasswordPolicy('123456789012'), {
    ok: false,
    reasons: ['must mix at least two kinds of character (it has only digits)'],
  });
  t.match(checkPasswordPolicy('aaaaaaaaaaaa'), {
    ok: false,
    reasons: [
      'must mix at least two kinds of character (it has only lower-case letters)',
      'must not be one character repeated',
    ],
  });
  t.same(checkPasswordPolicy('jane.doe-2026!!', { username: 'Jane.Doe' }), {
    ok: false,
    reasons: ['must not contain the user name'],
  });
  t.same(checkPasswordPolicy('😀😀😀😀😀😀😀😀😀😀😀a'), { ok: true }, 'length counts characters, not UTF-16 units');
  t.match(checkPasswordPolicy('😀😀😀😀😀😀'), { ok: false, reasons: [/it has 6/] });
});

t.test('lockout: delays grow, lock after N, refused attempts do not count, success resets', async (t) => {
  const policy: LockoutPolicy = DEFAULT_LOCKOUT_POLICY;
  let now = Date.parse('2026-01-01T00:00:00Z');
  let s: LockoutState = INITIAL_LOCKOUT_STATE;
  const delays: number[] = [];
  for (let i = 1; i < policy.lockAfter; i++) {
    t.same(loginGate(s, new Date(now)), { allowed: true }, `attempt ${i} allowed`);
    s = nextLockoutState(s, 'failure', new Date(now));
    t.equal(s.failures, i);
    delays.push(s.nextAttemptAt! - now);
    // Too soon: refused, and a refused attempt changes nothing.
    const gate = loginGate(s, new Date(now + 1));
    t.match(gate, { allowed: false, reason: 'slow-down' });
    t.same(nextLockoutState(s, 'failure', new Date(now + 1)), s, 'an early attempt does not count');
    t.same(nextLockoutState(s, 'success', new Date(now + 1)), s, 'an early attempt cannot succeed');
    now = s.nextAttemptAt!;
  }
  t.same(delays, [1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000], 'exponential from 1 s');
  s = nextLockoutState(s, 'failure', new Date(now));
  t.match(s, { failures: 10, locked: true, lockedUntil: now + 30 * 60 * 1000 }, 'locked after 10 failures');
  t.match(loginGate(s, new Date(now + 29 * 60 * 1000)), { allowed: false, reason: 'locked', retryAfterMs: 60 * 1000 });
  t.same(
    nextLockoutState(s, 'success', new Date(now + 60_000)),
    s,
    'the right password does not open a locked account',
  );
  const afterWindow = new Date(now + 30 * 60 * 1000);
  t.same(loginGate(s, afterWindow), { allowed: true }, 'lock window passed');
  t.match(
    nextLockoutState(s, 'failure', afterWindow),
    { failures: 1, locked: false },
    'count starts again after the window',
  );
  t.same(adminUnlock(), INITIAL_LOCKOUT_STATE);

  // Success resets the count.
  let r = nextLockoutState(INITIAL_LOCKOUT_STATE, 'failure', new Date(0));
  r = nextLockoutState(r, 'failure', new Date(1000));
  t.equal(r.failures, 2);
  r = nextLockoutState(r, 'success', new Date(3000));
  t.same(r, INITIAL_LOCKOUT_STATE);

  // Admin-only unlock, and the delay cap.
  const strict: LockoutPolicy = { baseDelayMs: 1000, maxDelayMs: 5000, lockAfter: 5, lockWindowMs: null };
  let q: LockoutState = INITIAL_LOCKOUT_STATE;
  let at = 0;
  const capped: number[] = [];
  for (let i = 0; i < 5; i++) {
    q = nextLockoutState(q, 'failure', new Date(at), strict);
    if (!q.locked) capped.push(q.nextAttemptAt! - at);
    at = q.nextAttemptAt ?? at;
  }
  t.same(capped, [1000, 2000, 4000, 5000], 'delay capped');
  t.match(q, { locked: true, lockedUntil: null });
  t.same(
    loginGate(q, new Date(at + 365 * 86_400_000), strict),
    { allowed: false, reason: 'locked', retryAfterMs: null },
    'stays locked until an admin unlocks',
  );
});

// --- enrolment codes ----------------------------------------------------------------------------------

t.test('enrolment codes: 160 bits, human-friendly, hash stored, checked in constant time', async (t) => {
  const { code, hash } = newEnrolmentCode();
  t.match(code, /^([0-9A-HJKMNP-TV-Z]{4}-){7}[0-9A-HJKMNP-TV-Z]{4}$/, 'eight groups of four Crockford base32 symbols');
  t.match(hash, /^sha256:[0-9a-f]{64}$/);
  t.notOk(hash.includes(code.replace(/-/g, '')), 'the stored hash is not the code');
  t.equal(checkEnrolmentCode(code, hash), true);
  t.equal(checkEnrolmentCode(code.toLowerCase().replace(/-/g, ' '), hash), true, 'case and separators ignored');
  t.equal(checkEnrolmentCode(code.replace(/0/g, 'O').replace(/1/g, 'I'), hash), true, 'look-alike letters accepted');
  const last = code.at(-1) === '0' ? '1' : '0';
  t.equal(checkEnrolmentCode(code.slice(0, -1) + last, hash), false, 'one symbol wrong');
  t.equal(checkEnrolmentCode('', hash), false);
  t.equal(checkEnrolmentCode(code, 'sha256:short'), false, 'a malformed stored hash is false, not an exception');
  t.equal(checkEnrolmentCode(code, newEnrolmentCode().hash), false, 'another code');
  t.equal(hashEnrolmentCode(code.toLowerCase()), hash);
  // Every one of the 32 positions shows every one of the 32 symbols over 2000 codes: no fixed bits,
  // so 32 × 5 = 160 bits. (Chance of a false failure with uniform codes: about 1024 × e^-63.)
  const seen = Array.from({ length: 32 }, () => new Set<string>());
  const codes = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const c = newEnrolmentCode().code.replace(/-/g, '');
    codes.add(c);
    [...c].forEach((ch, pos) => {
      seen[pos]!.add(ch);
    });
  }
  t.equal(codes.size, 2000, 'no repeats');
  t.same(
    seen.map((s) => s.size),
    Array(32).fill(32),
    'all symbols at all positions',
  );
});

t.test('key files are written owner-only even under a permissive umask', async (t) => {
  const old = process.umask(0o000);
  try {
    const dir = tmp('umask');
    await loadOrCreateBrokerKeys(dir);
    loadOrCreateCa(dir);
    for (const f of [SIGNING_SEED_FILE, SEALING_SEED_FILE, DATA_KEY_FILE, CA_KEY_FILE])
      t.equal(mode(join(dir, f)), 0o600, f);
    t.equal(readFileSync(join(dir, 'ca.cert.pem'), 'utf8').startsWith('-----BEGIN CERTIFICATE-----'), true);
  } finally {
    process.umask(old);
  }
});
