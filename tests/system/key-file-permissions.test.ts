import t from 'tap';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSecretFile } from '../../agency-client/src/identity/key-files.js';
import { AGENCY_SIGNING_SEED_FILE, loadOrCreateAgencySigningKey } from '@blindlink/agency-client/identity';
import { loadOrCreateKey } from '../../broker/src/trust/key-files.js';
import { AGENCY_BIN, run } from '../helpers/processes.js';

// One rule on both sides: a key or secret file that group or others can read is refused, naming the
// file and the fix; an owner-only (0600) file is used.

const tmp = (name: string) => {
  const dir = mkdtempSync(join(tmpdir(), `blindlink-perm-${name}-`));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};
const mode = (file: string) => statSync(file).mode & 0o777;
const refusal = (file: string) => new RegExp(`${file}.*mode 644.*owner only \\(chmod 600\\)`);

t.test('broker: JWT and pseudonym keys are created 0600, and refused once others can read them', async (t) => {
  const dir = tmp('broker');
  for (const name of ['jwt-signing.key', 'pseudonym-master.key']) {
    const file = join(dir, name);
    const key = loadOrCreateKey(dir, name);
    t.equal(key.length, 32);
    t.equal(mode(file), 0o600, `${name} created owner-only`);
    t.same(loadOrCreateKey(dir, name), key, `${name} at 0600 is read back`);
    chmodSync(file, 0o644);
    t.throws(() => loadOrCreateKey(dir, name), refusal(file), `${name} at 0644 is refused`);
    chmodSync(file, 0o600);
    t.same(loadOrCreateKey(dir, name), key, `${name} at 0600 again is accepted`);
  }
});

t.test('agency: the signing seed is refused at 0644 and accepted at 0600', async (t) => {
  const dir = tmp('agency-seed');
  const key = await loadOrCreateAgencySigningKey(dir);
  const file = join(dir, AGENCY_SIGNING_SEED_FILE);
  t.equal(mode(file), 0o600);
  chmodSync(file, 0o644);
  await t.rejects(loadOrCreateAgencySigningKey(dir), refusal(file));
  chmodSync(file, 0o600);
  t.equal((await loadOrCreateAgencySigningKey(dir)).publicKeyBase64, key.publicKeyBase64);
});

t.test('agency: the linkage secret file is refused at 0644 and accepted at 0600', async (t) => {
  const dir = tmp('agency-secret');
  const file = join(dir, 'linkage.secret');
  writeFileSync(file, 'a shared linkage secret that only agencies hold\n', { mode: 0o644 });
  chmodSync(file, 0o644); // whatever the umask
  await t.rejects(readSecretFile(file), refusal(file));
  chmodSync(file, 0o600);
  t.equal(Buffer.from(await readSecretFile(file)).toString(), 'a shared linkage secret that only agencies hold');
  t.equal(readFileSync(file, 'utf8').length, 48, 'the file itself is untouched');

  // The CLI says so in one line and exits non-zero, before reading any input.
  const input = join(dir, 'in.csv');
  writeFileSync(input, 'record_id,given_name,surname,dob,sex,postcode\nA1,Ann,Smith,01/02/1990,F,M1 1AE\n');
  chmodSync(file, 0o644);
  const r = await run(AGENCY_BIN, ['encode', '--input', input, '--secret-file', file, '--out', join(dir, 'o.enc')]);
  t.equal(r.code, 1);
  t.match(r.stderr, /^blindlink-agency: error: .*owner only \(chmod 600\)/m);
});
