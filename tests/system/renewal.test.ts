import t from 'tap';
import { BrokerClient } from '@blindlink/agency-client';
import { loadTlsIdentity, mtlsAgent } from '@blindlink/agency-client/identity';
import { call, testBroker } from '../helpers/in-process.js';

t.test('an agency renews its certificate: the new one works, the old one is refused at once', async (t) => {
  const b = await testBroker(t, 'postgres');
  const old = loadTlsIdentity(b.keyDirs.alpha!);
  const oldAgent = mtlsAgent(old);
  t.teardown(() => oldAgent.destroy());
  t.equal((await call(b, 'POST', '/v1/token', { agent: oldAgent })).status, 200, 'the current certificate works');

  const client = new BrokerClient(b.url, b.keyDirs.alpha!);
  t.teardown(() => client.close());
  const r = await client.renew();
  t.ok(r.notAfter.getTime() > Date.now() + 300 * 86_400_000, 'a year-long certificate');
  const renewed = loadTlsIdentity(b.keyDirs.alpha!);
  t.not(renewed.certPem, old.certPem, 'a new certificate is installed');
  t.not(renewed.keyPem, old.keyPem, 'for a new key');

  const refused = await call(b, 'POST', '/v1/token', { agent: oldAgent });
  t.equal(refused.status, 401);
  t.match(refused.json.error.message, /revoked/);
  const newAgent = mtlsAgent(renewed);
  t.teardown(() => newAgent.destroy());
  t.equal((await call(b, 'POST', '/v1/token', { agent: newAgent })).status, 200, 'the new certificate works');
});
