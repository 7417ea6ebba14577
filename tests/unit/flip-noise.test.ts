// The flip step's noise (agency-client/src/encode/hardening.ts FlipNoise) is exactly the documented
// construction: AES-256-CTR (node:crypto's own, as a reference) with the 96-bit nonce keyed BLAKE2b
// of the record id XOR keyed BLAKE2b of the field name, read as geometric gaps floor(ln u / ln(1−p))
// with one or two bytes read when they settle the gap (clear of an integer by 1e-9, against
// rounding), else four. Checked against a plain re-implementation, also past the noise budgeted per
// record, and for its rate.
import t from 'tap';
import { createCipheriv, randomBytes } from 'node:crypto';
import { Blake2bKeyed } from '@blindlink/agency-client/crypto';
import { FlipNoise, GapTable } from '@blindlink/agency-client/encode';

const UTF8 = new TextEncoder();

/** The noise of one field of one record, computed the slow, obvious way. */
function reference(key: Uint8Array, field: string, id: string, p: number, bytes: Uint8Array): Uint8Array {
  const mac = (personal: string, msg: Uint8Array) =>
    new Blake2bKeyed(key.subarray(32), { personal: UTF8.encode(personal) }).digest(msg);
  const nonce = mac('blindlink-flipn', UTF8.encode(id)).subarray(0, 12);
  const fieldConst = mac('blindlink-flipf', UTF8.encode(field));
  const iv = new Uint8Array(16);
  for (let i = 0; i < 12; i++) iv[i] = nonce[i]! ^ fieldConst[i]!;
  const stream = createCipheriv('aes-256-ctr', key.subarray(0, 32), iv).update(new Uint8Array(1 << 16));
  const logQ = Math.log1p(-p);
  const real = (w: number) => Math.log((w + 1) / (2 ** 32 + 1)) / logQ;
  // The gap of the range [lo, hi] of w, if its real value stays 1e-9 clear of an integer over it.
  const settled = (lo: number, hi: number) => {
    const k = Math.floor(real(hi));
    return real(hi) - k >= 1e-9 && real(lo) <= k + 1 - 1e-9 ? k : -1;
  };
  const out = new Uint8Array(bytes);
  let pos = 0;
  for (let i = -1; ; ) {
    // One byte, or two, if every 32-bit continuation of them gives one gap (with the margin); else four.
    let g = -1;
    for (const k of [1, 2, 4]) {
      let w = 0;
      for (let b = 0; b < k; b++) w = w * 256 + stream[pos + b]!;
      g = k === 4 ? Math.floor(real(w)) : settled(w * 2 ** (32 - 8 * k), (w + 1) * 2 ** (32 - 8 * k) - 1);
      if (g >= 0) {
        pos += k;
        break;
      }
    }
    i += 1 + g;
    if (i >= out.length * 8) return out;
    out[i >>> 3]! ^= 0x80 >>> (i & 7);
  }
}

t.test('equals the reference construction, per field and record', async (t) => {
  const key = randomBytes(64);
  const fields = [
    { name: 'given_name', bits: 1024, p: 0.2 },
    { name: 'surname', bits: 1024, p: 0.2 },
    { name: 'dob', bits: 256, p: 0.05 },
  ];
  const noise = new FlipNoise(key, fields);
  let same = 0;
  let checked = 0;
  for (let r = 0; r < 60; r++) {
    const id = r % 7 === 0 ? `Ŕecord ${r}` : `R${r}`;
    for (const f of fields) {
      const filter = new Uint8Array(randomBytes(f.bits / 8));
      const got = new Uint8Array(filter);
      noise.apply(got, f.name, id);
      checked++;
      if (Buffer.from(got).equals(reference(key, f.name, id, f.p, filter))) same++;
    }
  }
  t.equal(same, checked, 'every filter as the reference flips it');
  const a = new Uint8Array(128);
  const b = new Uint8Array(128);
  noise.apply(a, 'given_name', 'R1');
  noise.apply(b, 'surname', 'R1');
  t.not(Buffer.from(a).toString('hex'), Buffer.from(b).toString('hex'), 'fields of one record differ');
});

t.test('a record needing more noise than budgeted gets the stream that follows', async (t) => {
  const key = randomBytes(64);
  // Declared at 64 bits, applied to 4,096: the budget runs out many times over.
  const noise = new FlipNoise(key, [{ name: 'f', bits: 64, p: 0.3 }]);
  for (const id of ['a', 'b', 'c']) {
    const filter = new Uint8Array(512);
    const got = new Uint8Array(filter);
    noise.apply(got, 'f', id);
    t.same(Buffer.from(got), Buffer.from(reference(key, 'f', id, 0.3, filter)), `record ${id}`);
  }
});

t.test('records prepared in a batch get the stream they would get alone', async (t) => {
  const key = randomBytes(64);
  const fields = [
    { name: 'given_name', bits: 1024, p: 0.2 },
    { name: 'dob', bits: 64, p: 0.3 },
  ];
  const noise = new FlipNoise(key, fields);
  // Rows skipped (never applied), an id met twice in a row, one prepared but met out of order, one
  // never prepared, and a filter past its budget (dob declared at 64 bits, applied to 4,096).
  noise.prepare(['R0', 'R1', 'R2', 'R3', 'R4', 'R5', 'R6']);
  const order = ['R0', 'R2', 'R2', 'R5', 'R3', 'X9', 'R6'];
  let same = 0;
  for (const id of order) {
    const a = new Uint8Array(randomBytes(128));
    const b = new Uint8Array(randomBytes(512));
    const ga = new Uint8Array(a);
    const gb = new Uint8Array(b);
    noise.apply(ga, 'given_name', id);
    noise.apply(gb, 'dob', id);
    const ok =
      Buffer.from(ga).equals(reference(key, 'given_name', id, 0.2, a)) &&
      Buffer.from(gb).equals(reference(key, 'dob', id, 0.3, b));
    if (ok) same++;
  }
  t.equal(same, order.length, 'every record as the reference flips it');
});

t.test('the flipped share is p', async (t) => {
  const noise = new FlipNoise(randomBytes(64), [{ name: 'f', bits: 1024, p: 0.2 }]);
  let flipped = 0;
  const n = 2000;
  for (let r = 0; r < n; r++) {
    const f = new Uint8Array(128);
    noise.apply(f, 'f', `id${r}`);
    for (const x of f) for (let v = x; v; v &= v - 1) flipped++;
  }
  const share = flipped / (n * 1024);
  // Standard deviation of the share: sqrt(0.16 / 2,048,000) ≈ 0.00028.
  t.ok(Math.abs(share - 0.2) < 0.0015, `share ${share.toFixed(5)} within 0.0015 of 0.2`);
});

t.test('gap tables settle most draws in one byte and agree with the formula', async (t) => {
  for (const p of [0.2, 0.05, 0.45, 0.001]) {
    const table = new GapTable(p);
    const gap = (w: number) => Math.floor(Math.log((w + 1) / (2 ** 32 + 1)) / Math.log1p(-p));
    let wrong = 0;
    for (let b = 0; b < 65536; b++) {
      const g = table.two[b]!;
      if (g >= 0 && (gap(b * 65536) !== g || gap(b * 65536 + 65535) !== g)) wrong++;
      // A settled first byte settles every second byte after it, to the same gap.
      const g1 = table.one[b >>> 8]!;
      if (g1 >= 0 && g !== g1) wrong++;
    }
    t.equal(wrong, 0, `p ${p}: every settled entry is the gap of its whole range`);
  }
  t.ok(new GapTable(0.2).bytesPerDraw < 1.2, 'p = 0.2 reads under 1.2 bytes a draw');
});
