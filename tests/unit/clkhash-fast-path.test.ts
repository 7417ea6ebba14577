// The clkhash encoder's fast paths (integer-keyed n-grams for n ≤ 2, plain-digit integers, the
// value and token caches) against a straightforward reference built from the general tokeniser:
// token strings from tokenize(), bits from bitsForToken(), positions from uncached hashers, a
// bit-by-bit filter and fold. Values are adversarial: surrogate pairs, code units either side of
// 0x100 (the integer-key limit for bigrams), NUL, empty, long values either side of the fast
// path's length limit, and caches small enough to evict.
import t, { type Test } from 'tap';
import {
  BlakeTokenHasher,
  bitsForToken,
  ClkEncoder,
  deriveFeatureKeys,
  DoubleTokenHasher,
  parseClkSchema,
  parsePythonInt,
  prepareValue,
  tokenize,
  ValueStore,
  type ClkSchema,
  type HashedFeature,
} from '@blindlink/agency-client/clkhash';
import { seededRandom } from '@blindlink/broker/prng';

const SECRET = 'fast path';

/** CLK of a row computed the slow, obvious way; a string is the issue code of an invalid value. */
function referenceEncoder(schema: ClkSchema): (row: string[]) => Uint8Array | string {
  const keys = deriveFeatureKeys(new TextEncoder().encode(SECRET), schema.kdf, schema.features.length);
  const hashL = schema.l * 2 ** schema.xorFolds;
  const hashers = schema.features.map((f, i) => {
    if (f.ignored) return null;
    return f.hash.type === 'blakeHash'
      ? new BlakeTokenHasher(keys[i]!.key1, hashL, f.encoding)
      : new DoubleTokenHasher(keys[i]!.key1, keys[i]!.key2, hashL, f.encoding, f.hash.preventSingularity);
  });
  return (row) => {
    const bits = new Uint8Array(hashL);
    for (let c = 0; c < schema.features.length; c++) {
      const f = schema.features[c]!;
      if (f.ignored) continue;
      const prepared = prepareValue(f, row[c]!);
      if (!prepared.ok) return prepared.code;
      const tokens = tokenize(f.comparison, prepared.value);
      tokens.forEach((token, i) => {
        const k = bitsForToken(f.strategy, tokens.length, i);
        const positions = hashers[c]!.positions(token, k);
        for (let j = 0; j < k; j++) bits[positions[j]!] = 1;
      });
    }
    let n = hashL;
    for (let f = 0; f < schema.xorFolds; f++) {
      n /= 2;
      for (let j = 0; j < n; j++) bits[j]! ^= bits[j + n]!;
    }
    const out = new Uint8Array(Math.ceil(schema.l / 8));
    for (let j = 0; j < schema.l; j++) if (bits[j]) out[j >> 3]! |= 0x80 >> (j & 7);
    return out;
  };
}

/** Encodes each row with the encoder; a string is the issue code of an invalid row. */
function encodeAll(enc: ClkEncoder, rows: string[][]): (string | Uint8Array)[] {
  return rows.map((r) => {
    const out = new Uint8Array(enc.clkBytes);
    const issue = enc.encodeInto(r, out);
    return issue === null ? out : issue.code;
  });
}

const hex = (x: Uint8Array | string): string => (typeof x === 'string' ? x : Buffer.from(x).toString('hex'));

/** Every row through fresh encoders (default, tiny and no caches), each row twice so caches hit. */
function checkAgainstReference(
  t: Test,
  schema: ClkSchema,
  rows: string[][],
  label: string,
  cacheSizes = [100_000, 3, 1, 0],
): void {
  const expected = rows.map(referenceEncoder(schema)).map(hex);
  const twice = [...rows, ...rows.slice().reverse()];
  const expectedTwice = [...expected, ...expected.slice().reverse()];
  for (const cacheSize of cacheSizes) {
    const got = encodeAll(ClkEncoder.fromSecret(schema, SECRET, { cacheSize }), twice).map(hex);
    const bad = got.findIndex((g, i) => g !== expectedTwice[i]);
    t.equal(
      bad,
      -1,
      `${label}, cacheSize ${cacheSize}${bad >= 0 ? `: first mismatch on ${JSON.stringify(twice[bad])}` : ''}`,
    );
  }
}

// Code units at the edges of the fast path: NUL, space, ASCII, 0x7f/0x80 (UTF-8 width), 0xff and
// 0x100 (bigram key limit), Cyrillic, CJK, edges of the surrogate range, U+FFFF, astral (a pair).
const ALPHABET = [
  '\0',
  ' ',
  'a',
  'b',
  'z',
  '7',
  '\x7f',
  '\x80',
  'é',
  '\xff',
  '\u0100',
  'Ж',
  '中',
  '\ud7ff',
  '\ue000',
  '\uffff',
  '🙂',
  '𝄞',
];

function adversarialValues(seed: number, count: number): string[] {
  const next = seededRandom(seed);
  const fixed = [
    '',
    'a',
    ' ',
    'ab',
    'aa',
    'aaaa',
    'abab',
    '\0',
    '\0\0',
    'Ж',
    'éé',
    'aЖ',
    'Жa',
    '🙂',
    'a🙂',
    '🙂🙂',
    '\xff\u0100',
    ' a ',
    'clkhash',
  ];
  const random = Array.from({ length: count }, () => {
    const len = Math.floor(next() * 12) + 1;
    let s = '';
    for (let i = 0; i < len; i++) s += ALPHABET[Math.floor(next() * (next() < 0.6 ? 5 : ALPHABET.length))]!;
    return s;
  });
  return [...fixed, ...random];
}

function schemaOf(l: number, xorFolds: number, features: object[]): ClkSchema {
  return parseClkSchema({
    version: 3,
    clkConfig: { l, xor_folds: xorFolds, kdf: { type: 'HKDF', hash: 'SHA256' } },
    features,
  });
}

t.test('n-grams (n = 1, 2, 3, positional or not) match the general path', async (t) => {
  const values = adversarialValues(1, 40);
  for (const n of [1, 2, 3]) {
    for (const positional of [false, true]) {
      for (const encoding of ['utf-8', 'utf-16', 'utf-32']) {
        for (const hash of [
          { type: 'blakeHash' },
          { type: 'doubleHash' },
          { type: 'doubleHash', prevent_singularity: true },
        ]) {
          for (const strategy of [
            { bitsPerToken: 3 },
            { bitsPerToken: 40 },
            { bitsPerFeature: 7 },
            { bitsPerFeature: 150 },
          ]) {
            const schema = schemaOf(1024, 0, [
              {
                identifier: 'x',
                format: { type: 'string', encoding },
                hashing: { comparison: { type: 'ngram', n, positional }, strategy, hash },
              },
            ]);
            checkAgainstReference(
              t,
              schema,
              values.map((v) => [v]),
              `n=${n} positional=${positional} ${encoding} ${hash.type}` +
                `${hash.prevent_singularity ? '+ps' : ''} ${JSON.stringify(strategy)}`,
            );
          }
        }
      }
    }
  }
});

t.test('filter sizes: two words, not whole words, folded, sparse entries', async (t) => {
  const values = adversarialValues(2, 30);
  const feature = (id: string, n: number, positional: boolean, hash: object, strategy: object) => ({
    identifier: id,
    format: { type: 'string', encoding: 'utf-8' },
    hashing: { comparison: { type: 'ngram', n, positional }, strategy, hash },
  });
  const twoFeatures = (hash: object) => [
    feature('a', 2, false, hash, { bitsPerFeature: 60 }),
    feature('b', 1, true, hash, { bitsPerToken: 2 }),
  ];
  const rows = values.map((v, i) => [v, values[(i * 7) % values.length]!]);
  checkAgainstReference(t, schemaOf(64, 0, twoFeatures({ type: 'blakeHash' })), rows, 'l = 64');
  checkAgainstReference(t, schemaOf(1000, 0, twoFeatures({ type: 'doubleHash' })), rows, 'l = 1000 (doubleHash)');
  checkAgainstReference(t, schemaOf(24, 0, twoFeatures({ type: 'doubleHash' })), rows, 'l = 24 (less than a word)');
  checkAgainstReference(t, schemaOf(256, 2, twoFeatures({ type: 'blakeHash' })), rows, 'l = 256, xor_folds 2');
  checkAgainstReference(
    t,
    schemaOf(8192, 1, twoFeatures({ type: 'blakeHash' })),
    rows,
    'l = 8192, xor_folds 1 (sparse entries)',
  );
});

t.test('long values either side of the fast-path length limit', async (t) => {
  const next = seededRandom(3);
  const long = (len: number, alphabet: string) =>
    Array.from({ length: len }, () => alphabet[Math.floor(next() * alphabet.length)]!).join('');
  // The limit is 2^14 - 2 code units; the positional index must stay exact beyond it. Every
  // positional token is distinct, so these are hashed afresh: one cache size keeps this quick.
  const values = [long(16382, 'ab'), long(16382, 'aé中'), long(16383, 'ab'), long(16384, 'aé中')];
  for (const [n, positional] of [
    [1, true],
    [2, true],
    [2, false],
  ] as const) {
    const schema = schemaOf(1024, 0, [
      {
        identifier: 'x',
        format: { type: 'string' },
        hashing: {
          comparison: { type: 'ngram', n, positional },
          strategy: { bitsPerToken: 1 },
          hash: { type: 'doubleHash' },
        },
      },
    ]);
    checkAgainstReference(
      t,
      schema,
      values.map((v) => [v]),
      `n=${n} positional=${positional}`,
      [100_000],
    );
  }
});

t.test('ascii encoding, exact comparison, missing values, integer features', async (t) => {
  const schema = schemaOf(512, 0, [
    {
      identifier: 'a',
      format: { type: 'string', encoding: 'ascii' },
      hashing: { comparison: { type: 'ngram', n: 2 }, strategy: { bitsPerFeature: 90 } },
    },
    {
      identifier: 'e',
      format: { type: 'string' },
      hashing: { comparison: { type: 'exact' }, strategy: { bitsPerToken: 33 } },
    },
    {
      identifier: 'm',
      format: { type: 'string' },
      hashing: {
        comparison: { type: 'ngram', n: 2, positional: true },
        strategy: { bitsPerFeature: 50 },
        missingValue: { sentinel: 'NA', replaceWith: 'unknown' },
      },
    },
    {
      identifier: 'i',
      format: { type: 'integer', minimum: 5, maximum: 123456 },
      hashing: { comparison: { type: 'ngram', n: 1, positional: true }, strategy: { bitsPerFeature: 100 } },
    },
  ]);
  const rows = [
    ['abc', 'x', 'NA', '42'],
    ['abc', 'x', 'na', '0042'],
    ['', '', '', '123456'],
    ['a', 'Ж🙂', 'a', '+17'],
    ['z', '\0', 'NA', '1_000'],
    ['é', 'x', 'x', '42'], // not ascii: invalid
    ['a', 'x', 'x', '4'], // below the minimum
    ['a', 'x', 'x', '0000123457'], // above the maximum
    ['a', 'x', 'x', '٤٢'], // Unicode digits
    ['a', 'x', 'x', ' 42 '],
    ['a', 'x', 'x', '\ud800'], // lone surrogate: invalid
  ];
  checkAgainstReference(t, schema, rows, 'mixed features');
});

t.test('plain-digit integers: same value and bounds checks as Python int()', async (t) => {
  const feature = (format: object) =>
    schemaOf(64, 0, [
      {
        identifier: 'i',
        format: { type: 'integer', ...format },
        hashing: { comparison: { type: 'exact' }, strategy: { bitsPerToken: 1 } },
      },
    ]).features[0] as HashedFeature;
  const unbounded = feature({});
  const bounded = feature({ minimum: 10, maximum: 10000 });
  const inputs = [
    '0',
    '00',
    '000',
    '7',
    '007',
    '10',
    '0010',
    '9',
    '09',
    '10000',
    '010000',
    '10001',
    '123456789012345',
    '1234567890123456',
    '99999999999999999999',
    '-0',
    '-12',
    '+5',
    ' 7',
    '7 ',
    '1_000',
    '٤٢',
    '１２',
    '',
    'abc',
    '0x10',
    '1e3',
  ];
  for (const s of inputs) {
    const v = parsePythonInt(s);
    t.same(
      prepareValue(unbounded, s),
      v === null
        ? { ok: false, code: 'integer', reason: 'value is not a base-10 integer' }
        : { ok: true, value: v.toString() },
      `unbounded ${JSON.stringify(s)}`,
    );
    const b = prepareValue(bounded, s);
    const expected = v === null ? 'integer' : v < 10n ? 'minimum' : v > 10000n ? 'maximum' : v.toString();
    t.equal(b.ok ? b.value : b.code, expected, `bounded ${JSON.stringify(s)}`);
  }
});

t.test('token positions: the first k for any k are a prefix of those for more', async (t) => {
  const keys = deriveFeatureKeys(
    new TextEncoder().encode(SECRET),
    { type: 'HKDF', hash: 'SHA256', keySize: 64 },
    1,
  )[0]!;
  const hashers = [
    new BlakeTokenHasher(keys.key1, 1024, 'utf-8'),
    new DoubleTokenHasher(keys.key1, keys.key2, 1000, 'utf-8', false),
  ];
  for (const h of hashers) {
    const long = h.positions('1 ab', 300);
    t.ok(long.length >= 300);
    for (const k of [1, 31, 32, 33, 100]) {
      const short = h.positions('1 ab', k);
      t.ok(short.length >= k);
      t.same([...short.subarray(0, k)], [...long.subarray(0, k)], `${h.constructor.name} k=${k}`);
    }
  }
});

t.test('value store: keys compared in full, bits read back exactly, bounded by generations', async (t) => {
  const nw = 4;
  const read = (store: ValueStore, at: number): number[] => {
    const data = store.data;
    const n = data[at]!;
    if (n === nw) return [...data.subarray(at + 1, at + 1 + nw)];
    const words = [0, 0, 0, 0];
    for (let i = at + 1; i <= at + n; i += 2) words[data[i]!] = data[i + 1]!;
    return words;
  };
  const keys = [
    '',
    'a',
    'b',
    'ab',
    'ba',
    'a\0',
    '\0a',
    'abc',
    'abd',
    '\u8000',
    '\uffff',
    '\uffff\u8000',
    '🙂',
    'x'.repeat(101),
    'x'.repeat(100),
  ];
  const wordsOf = (i: number): number[] =>
    [
      [0, 0, 0, 0],
      [1, 0, 0, 0],
      [0, 0, -1, 0],
      [i, i << 8, i << 16, 1 << 31],
    ][i % 4]!;
  for (const [label, hash] of [
    ['constant hash: every key collides', () => 7],
    ['real hash', undefined],
  ] as const) {
    const store = new ValueStore(100, nw, hash);
    keys.forEach((k, i) => {
      t.equal(store.find(k), -1, `${label}: ${JSON.stringify(k)} not there yet`);
      t.same(read(store, store.add(k, Int32Array.from(wordsOf(i)))), wordsOf(i));
    });
    keys.forEach((k, i) => {
      t.same(read(store, store.find(k)), wordsOf(i), `${label}: ${JSON.stringify(k)} read back`);
    });
    t.equal(store.find('abe'), -1, `${label}: unknown key`);
  }
  // limit 4: generations of 2; whatever is found must carry its own bits, and at most 4 are found.
  const small = new ValueStore(4, nw, () => 1);
  keys.forEach((k, i) => {
    small.add(k, Int32Array.from(wordsOf(i)));
  });
  const found = keys.map((k, i) => ({ k, at: small.find(k), i })).filter((e) => e.at >= 0);
  t.ok(found.length >= 2 && found.length <= 4, `${found.length} entries kept`);
  for (const e of keys.map((k, i) => ({ k, i }))) {
    const at = small.find(e.k);
    if (at >= 0) t.same(read(small, at), wordsOf(e.i), `kept ${JSON.stringify(e.k)} intact`);
  }
  t.same(read(small, small.find(keys.at(-1)!)), wordsOf(keys.length - 1), 'the newest entry is kept');
  const none = new ValueStore(0, nw);
  t.same(read(none, none.add('a', Int32Array.from([5, 0, 0, 0]))), [5, 0, 0, 0], 'limit 0: bits still returned');
  t.equal(none.find('a'), -1, 'limit 0: nothing kept');
});
