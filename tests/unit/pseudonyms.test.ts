// Per-purpose pseudonyms: keyed, stable across runs, separated between purposes, recipients and kinds.
import t from 'tap';
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import {
  DEFAULT_PSEUDONYM_BYTES,
  deriveRecipientKey,
  derivePurposeKey,
  pseudonym,
  pseudonymiser,
} from '@blindlink/broker/pseudonyms';

const master = Buffer.alloc(32, 7);
const ids = Array.from({ length: 5000 }, (_, i) => `entity-${i.toString(36)}-${i * 7919}`);

/** The construction written out independently: HKDF-SHA256 with length-prefixed info, then HMAC-SHA256. */
function lp(fields: string[]): Buffer {
  return Buffer.concat(
    fields.flatMap((f) => {
      const b = Buffer.from(f, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32BE(b.length);
      return [len, b];
    }),
  );
}
const SALT = Buffer.from('blindlink/pseudonym-key/v1');

t.test('known construction: HKDF per purpose (and recipient), HMAC-SHA256 truncated to 128 bits', async (t) => {
  const purposeKey = Buffer.from(hkdfSync('sha256', master, SALT, lp(['purpose', 'troubled-families']), 32));
  t.same(derivePurposeKey(master, 'troubled-families'), purposeKey);
  const want = createHmac('sha256', purposeKey)
    .update(lp(['entity', 'E1']))
    .digest()
    .subarray(0, 16)
    .toString('base64url');
  t.equal(pseudonym('E1', purposeKey), want);
  t.equal(want.length, 22);
  t.equal(DEFAULT_PSEUDONYM_BYTES, 16);
  const recipientKey = Buffer.from(hkdfSync('sha256', purposeKey, SALT, lp(['recipient', 'team-north']), 32));
  t.same(deriveRecipientKey(purposeKey, 'team-north'), recipientKey);
  t.equal(
    pseudonym('E1', purposeKey, 'team-north'),
    createHmac('sha256', recipientKey)
      .update(lp(['entity', 'E1']))
      .digest()
      .subarray(0, 16)
      .toString('base64url'),
  );
});

t.test('stable across runs: same master key and purpose give the same pseudonyms', async (t) => {
  const run1 = pseudonymiser(master, 'school-places');
  const run2 = pseudonymiser(Buffer.from(master), 'school-places');
  t.same(ids.map(run1), ids.map(run2));
  t.equal(new Set(ids.map(run1)).size, ids.length, 'distinct ids get distinct pseudonyms');
  const other = pseudonymiser(Buffer.alloc(32, 8), 'school-places');
  t.equal(ids.filter((id) => run1(id) === other(id)).length, 0, 'another master key, other pseudonyms');
});

t.test('two purposes cannot be joined', async (t) => {
  const a = ids.map(pseudonymiser(master, 'troubled-families'));
  const b = ids.map(pseudonymiser(master, 'council-tax-fraud'));
  const setA = new Set(a);
  t.equal(b.filter((p) => setA.has(p)).length, 0, 'no value appears under both purposes');
  // No order is shared either: sorting by one purpose's pseudonym says nothing about the other's.
  // For independent keys about half of all index pairs agree in order; a linkable scheme gives ~all.
  let agree = 0;
  let total = 0;
  for (let i = 0; i < 2000; i += 2) {
    total++;
    if ((a[i] as string) < (a[i + 1] as string) === (b[i] as string) < (b[i + 1] as string)) agree++;
  }
  t.ok(Math.abs(agree / total - 0.5) < 0.07, `order agreement ${(agree / total).toFixed(3)} ≈ 0.5`);
  // Bits are uncorrelated: XOR of the two pseudonyms of one id has about half its bits set.
  let ones = 0;
  for (let i = 0; i < 1000; i++) {
    const x = Buffer.from(a[i] as string, 'base64url');
    const y = Buffer.from(b[i] as string, 'base64url');
    for (let k = 0; k < x.length; k++) {
      let v = (x[k] as number) ^ (y[k] as number);
      while (v) {
        ones += v & 1;
        v >>= 1;
      }
    }
  }
  t.ok(Math.abs(ones / (1000 * 128) - 0.5) < 0.01, 'pseudonyms of one id under two purposes differ in half their bits');
  // Purpose names that concatenate alike still get different keys.
  t.not(derivePurposeKey(master, 'ab').toString('hex'), derivePurposeKey(master, 'a').toString('hex'));
});

t.test('per-recipient and per-kind variants', async (t) => {
  const purposeKey = derivePurposeKey(master, 'supporting-families');
  const plain = ids.slice(0, 500).map((id) => pseudonym(id, purposeKey));
  const north = ids.slice(0, 500).map((id) => pseudonym(id, purposeKey, 'team-north'));
  const south = ids.slice(0, 500).map(pseudonymiser(master, 'supporting-families', { recipient: 'team-south' }));
  t.same(
    ids.slice(0, 500).map(pseudonymiser(master, 'supporting-families', { recipient: 'team-north' })),
    north,
    'pseudonymiser and pseudonym agree',
  );
  const sets = [new Set(plain), new Set(north), new Set(south)];
  t.equal(
    north.filter((p) => sets[0]!.has(p) || sets[2]!.has(p)).length,
    0,
    'recipients cannot pool what they were given',
  );
  const household = pseudonymiser(master, 'supporting-families', { kind: 'household' });
  t.equal(
    ids.slice(0, 500).filter((id) => household(id) === pseudonym(id, purposeKey)).length,
    0,
    'a household pseudonym never equals a person pseudonym',
  );
  t.equal(pseudonym('E1', purposeKey, undefined, { bytes: 32 }).length, 43);
});

t.test('bad keys and names are refused', async (t) => {
  t.throws(() => derivePurposeKey(randomBytes(16), 'x'), /32 bytes/);
  t.throws(() => derivePurposeKey(master, ''), /purpose/);
  t.throws(() => deriveRecipientKey(derivePurposeKey(master, 'x'), ''), /recipient/);
  t.throws(() => pseudonym('', derivePurposeKey(master, 'x')), /id/);
  t.throws(() => pseudonymiser(master, 'x', { bytes: 8 }), /16\.\.32/);
});
