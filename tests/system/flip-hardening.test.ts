// The `flip` hardening step (randomised response per record) at the agency, and the broker's
// de-biased Dice for flipped filters.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeCsv } from '@blindlink/agency-client';
import { parseEncodingSchema, UK_PERSON_UNHARDENED } from '@blindlink/agency-client/encode';
import { debiasedDice } from '@blindlink/broker';
import { seededRandom } from '@blindlink/broker/prng';

const SECRET = new TextEncoder().encode('a shared linkage secret that only agencies hold');
const HEADER = ['record_id', 'given_name', 'surname', 'dob', 'sex', 'address', 'postcode'];
const FLIPPED = ['given_name', 'surname', 'dob'];

function schemaWith(hardening: unknown[]): unknown {
  return { ...JSON.parse(JSON.stringify(UK_PERSON_UNHARDENED)), id: 'flip-test', hardening };
}

let n = 0;
async function encode(dir: string, rows: string[][], hardening: unknown[]) {
  const k = n++;
  const input = join(dir, `in${k}.csv`);
  writeFileSync(input, [HEADER, ...rows].map((r) => r.join(',')).join('\n') + '\n');
  const schema = join(dir, `schema${k}.json`);
  writeFileSync(schema, JSON.stringify(schemaWith(hardening)));
  const out = join(dir, `out${k}.enc`);
  await encodeCsv({
    input,
    out,
    secret: SECRET,
    schema,
    map: {},
    idColumn: 'record_id',
    ignore: [],
    onInvalid: 'fail',
    threads: 1,
  });
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  return {
    header: JSON.parse(lines[0]!),
    records: lines.slice(1).map((l) => JSON.parse(l) as { fields: Record<string, string>; blocks?: string[] }),
  };
}

const bitsOf = (b64: string) => Buffer.from(b64, 'base64');
function differingBits(a: Buffer, b: Buffer): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    let x = a[i]! ^ b[i]!;
    while (x) {
      d += x & 1;
      x >>= 1;
    }
  }
  return d;
}

t.test('the schema checks the flip step', async (t) => {
  const bad = (hardening: unknown[]) => () => parseEncodingSchema(schemaWith(hardening), 's.json');
  t.throws(
    bad([{ step: 'flip', probability: 0.1, fields: ['given_name'] }, { step: 'balance' }]),
    /flip must be the last hardening step/,
  );
  t.throws(
    bad([{ step: 'flip', probability: 0.5, fields: ['given_name'] }]),
    /probability: must be a number above 0 and at most 0.45/,
  );
  t.throws(bad([{ step: 'flip', probability: 0, fields: ['given_name'] }]), /probability/);
  t.throws(
    bad([{ step: 'flip', probability: 0.1, fields: ['middle_name'] }]),
    /names "middle_name", which is not among the schema's fields/,
  );
  t.throws(bad([{ step: 'flip', probability: 0.1, fields: [] }]), /must list at least one field to flip/);
  t.throws(bad([{ step: 'flip', probability: 0.1, fields: ['given_name'], from: 'x' }]), /unknown property "from"/);
  t.same(parseEncodingSchema(schemaWith([{ step: 'flip', probability: 0.1, fields: FLIPPED }]), 's.json').hardening, [
    { step: 'flip', probability: 0.1, fields: FLIPPED },
  ]);
});

t.test('flipped filters: equal values differ per record, each record is stable, the rate is as declared', async (t) => {
  const dir = t.testdir({});
  const rows = Array.from({ length: 400 }, (_, i) => [
    `R${i}`,
    'Olivia',
    'Smith',
    '01/02/1980',
    'F',
    `${i + 1} High Street`,
    'M1 1AE',
  ]);
  const flip = [{ step: 'flip', probability: 0.1, fields: FLIPPED }];
  const plain = await encode(dir, rows, []);
  const a = await encode(dir, rows, flip);
  const again = await encode(dir, rows, flip);

  const spec = Object.fromEntries(
    (a.header.fieldFilters as { field: string; flip?: number }[]).map((f) => [f.field, f.flip]),
  );
  t.same(
    spec,
    { given_name: 0.1, surname: 0.1, dob: 0.1, sex: undefined, address: undefined, postcode: undefined },
    "the header declares each filter's flip probability",
  );
  t.ok((a.header.hardening as string[]).includes('flip:0.1:given_name+surname+dob'));
  t.not(plain.header.schema.fingerprint, a.header.schema.fingerprint, 'flipping changes the fingerprint');

  for (const f of FLIPPED) {
    const distinct = new Set(a.records.map((r) => r.fields[f]));
    t.equal(distinct.size, rows.length, `${f}: no two records of one value share a filter`);
    t.same(
      again.records.map((r) => r.fields[f]),
      a.records.map((r) => r.fields[f]),
      `${f}: a record re-encoded gets the same noise`,
    );
    let diff = 0;
    let bits = 0;
    a.records.forEach((r, i) => {
      const x = bitsOf(r.fields[f]!);
      diff += differingBits(x, bitsOf(plain.records[i]!.fields[f]!));
      bits += x.length * 8;
    });
    t.ok(Math.abs(diff / bits - 0.1) < 0.006, `${f}: ${(diff / bits).toFixed(4)} of bits flipped (declared 0.1)`);
  }
  for (const f of ['sex', 'postcode'])
    t.same(
      a.records.map((r) => r.fields[f]),
      plain.records.map((r) => r.fields[f]),
      `${f} is not flipped`,
    );
});

t.test('blocking tokens are listed in sorted order, not in the order of their keys', async (t) => {
  const dir = t.testdir({});
  const rows = Array.from({ length: 50 }, (_, i) => [
    `B${i}`,
    `Name${String.fromCharCode(97 + (i % 26))}`,
    `Surname${String.fromCharCode(97 + ((i * 7) % 26))}`,
    `0${1 + (i % 9)}/0${1 + (i % 9)}/19${50 + i}`,
    i % 2 ? 'M' : 'F',
    '',
    'M1 1AE',
  ]);
  const { records } = await encode(dir, rows, []);
  const sorted = records.filter(
    (r) => (r.blocks?.length ?? 0) > 1 && r.blocks!.join() === [...r.blocks!].sort().join(),
  ).length;
  t.equal(
    sorted,
    records.filter((r) => (r.blocks?.length ?? 0) > 1).length,
    'every record with several tokens lists them sorted',
  );
  t.ok(records.filter((r) => (r.blocks?.length ?? 0) > 2).length > 40, 'most records carry three tokens or more');
});

t.test('de-biased Dice recovers the clean Dice of flipped filters', async (t) => {
  const rnd = seededRandom(7);
  const L = 256;
  for (const [p, sharedBits, ownBits] of [
    [0.1, 60, 0],
    [0.1, 40, 20],
    [0.2, 50, 10],
    [0.05, 10, 50],
  ] as const) {
    const truth = (2 * sharedBits) / (2 * (sharedBits + ownBits));
    let raw = 0;
    let fixed = 0;
    const trials = 3000;
    for (let k = 0; k < trials; k++) {
      const a = new Uint8Array(L);
      const b = new Uint8Array(L);
      // sharedBits set in both, ownBits set in each alone (disjoint), at random places.
      const order = Array.from({ length: L }, (_, i) => i).sort(() => rnd() - 0.5);
      for (const i of order.slice(0, sharedBits)) {
        a[i] = 1;
        b[i] = 1;
      }
      for (const i of order.slice(sharedBits, sharedBits + ownBits)) a[i] = 1;
      for (const i of order.slice(sharedBits + ownBits, sharedBits + 2 * ownBits)) b[i] = 1;
      for (let i = 0; i < L; i++) {
        if (rnd() < p) a[i] = 1 - a[i]!;
        if (rnd() < p) b[i] = 1 - b[i]!;
      }
      let pa = 0;
      let pb = 0;
      let c = 0;
      for (let i = 0; i < L; i++) {
        pa += a[i]!;
        pb += b[i]!;
        c += a[i]! & b[i]!;
      }
      const observed = (2 * c) / (pa + pb);
      raw += observed;
      fixed += debiasedDice(observed, pa, pb, L, p);
    }
    raw /= trials;
    fixed /= trials;
    // Equal values: estimates above 1 are clamped to 1, so their mean sits a little below it.
    const tolerance = truth === 1 ? 0.04 : 0.02;
    t.ok(
      Math.abs(fixed - truth) < tolerance,
      `p ${p}, clean Dice ${truth.toFixed(3)}: de-biased mean ${fixed.toFixed(3)}`,
    );
    t.ok(Math.abs(raw - truth) > 0.04, `p ${p}: raw mean ${raw.toFixed(3)} is biased`);
  }
});
