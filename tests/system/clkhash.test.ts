// clkhash-compatible encoder: bit-for-bit against clkhash 0.18.3's own CLKs for FEBRL 4, plus
// edge cases checked against reference vectors and hand-computed expectations.
// Imports the compiled module directly: the package root does not re-export clkhash yet.
import t from 'tap';
import { createHmac, hkdfSync } from 'node:crypto';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bitsForToken,
  ClkEncoder,
  ClkSchemaError,
  deriveFeatureKeys,
  encodeClkhashCommand,
  ngramTokens,
  numericTokens,
  parseClkSchema,
  parsePythonInt,
  prepareValue,
  readSecretFile,
  serializeClk,
  tokenize,
  type HashedFeature,
} from '@blindlink/agency-client/clkhash';
import { Blake2bKeyed, HmacMd5, HmacSha1 } from '@blindlink/agency-client/crypto';
import { AGENCY_BIN, run } from '../helpers/processes.js';

const FEBRL = '/work/shared/data/febrl4/';
const febrlSchemaJson = JSON.parse(await readFile(FEBRL + 'clkhash_schema_v3.json', 'utf8')) as Record<string, unknown>;
const febrlClks = (JSON.parse(await readFile(FEBRL + 'clkhash_dataset4a_clks.json', 'utf8')) as { clks: string[] })
  .clks;
const dir = await mkdtemp(join(tmpdir(), 'clkhash-test-'));
const secretFile = join(dir, 'secret.txt');
await writeFile(secretFile, 'secret\n', { mode: 0o600 });
const febrlSchemaFile = join(dir, 'febrl-schema.json');
await writeFile(febrlSchemaFile, JSON.stringify(febrlSchemaJson));

const noWarn = { warn: (l: string) => t.fail(`unexpected warning: ${l}`) };

t.test('FEBRL 4 dataset4a: all 5,000 CLKs equal clkhash 0.18.3 bit for bit', async (t) => {
  const out = join(dir, 'febrl-out.json');
  const summary = await encodeClkhashCommand(
    { schema: febrlSchemaFile, secretFile, input: FEBRL + 'dataset4a.csv', out, onInvalid: 'fail' },
    noWarn,
  );
  t.same(
    { rows: summary.rows, encoded: summary.encoded, rejected: summary.rejected },
    { rows: 5000, encoded: 5000, rejected: {} },
  );
  const ours = (JSON.parse(await readFile(out, 'utf8')) as { clks: string[] }).clks;
  t.equal(ours.length, febrlClks.length);
  const mismatches = ours.filter((c, i) => c !== febrlClks[i]).length;
  t.equal(mismatches, 0, 'no CLK differs');
  t.equal(
    await readFile(out, 'utf8'),
    await readFile(FEBRL + 'clkhash_dataset4a_clks.json', 'utf8'),
    'even the JSON text is identical',
  );
});

t.test('FEBRL 4 with two worker threads: same output, same order', async (t) => {
  const out = join(dir, 'febrl-out-workers.json');
  await encodeClkhashCommand(
    { schema: febrlSchemaFile, secretFile, input: FEBRL + 'dataset4a.csv', out, onInvalid: 'fail', workers: 2 },
    noWarn,
  );
  t.same((JSON.parse(await readFile(out, 'utf8')) as { clks: string[] }).clks, febrlClks);
});

t.test('FEBRL 4 with caches disabled (every token hashed afresh)', async (t) => {
  const schema = parseClkSchema(febrlSchemaJson);
  const enc = ClkEncoder.fromSecret(schema, 'secret', { cacheSize: 0 });
  const lines = (await readFile(FEBRL + 'dataset4a.csv', 'utf8')).split('\n').slice(1, 1001);
  let same = 0;
  lines.forEach((line, i) => {
    if (serializeClk(enc.encode(line.split(',').map((v) => v.trim()))) === febrlClks[i]) same++;
  });
  t.equal(same, 1000);
});

// Vectors from an independent Python (hashlib/hmac) transcription of clkhash 0.18.3's algorithm,
// itself checked against the FEBRL CLKs above. They cover SHA512, no salt, no info, keySize 32,
// xor_folds, bitsPerToken > 32 (two BLAKE2b MACs), positional/exact/numeric, missing values with
// replacement, dates, non-ASCII and astral characters, utf-16 tokens, l not a power of two.
const VECTORS: { name: string; secret: string; schema: unknown; rows: string[][]; clks: string[] }[] = [
  {
    name: 'sha512-folds-mixed',
    secret: 'correct horse',
    schema: {
      version: 3,
      clkConfig: {
        l: 512,
        xor_folds: 1,
        kdf: {
          type: 'HKDF',
          hash: 'SHA512',
          keySize: 32,
        },
      },
      features: [
        {
          identifier: 'id',
          ignored: true,
        },
        {
          identifier: 'name',
          format: {
            type: 'string',
            encoding: 'utf-8',
            maxLength: 30,
          },
          hashing: {
            comparison: {
              type: 'ngram',
              n: 2,
            },
            strategy: {
              bitsPerToken: 15,
            },
            hash: {
              type: 'doubleHash',
              prevent_singularity: true,
            },
          },
        },
        {
          identifier: 'code',
          format: {
            type: 'string',
            pattern: '[A-Z]{2}[0-9]+',
          },
          hashing: {
            comparison: {
              type: 'exact',
            },
            strategy: {
              bitsPerToken: 40,
            },
          },
        },
        {
          identifier: 'dob',
          format: {
            type: 'date',
            format: '%d/%m/%Y',
          },
          hashing: {
            comparison: {
              type: 'ngram',
              n: 1,
              positional: true,
            },
            strategy: {
              bitsPerFeature: 50,
            },
            missingValue: {
              sentinel: 'NA',
              replaceWith: '',
            },
          },
        },
        {
          identifier: 'age',
          format: {
            type: 'integer',
            minimum: 0,
            maximum: 130,
          },
          hashing: {
            comparison: {
              type: 'numeric',
              thresholdDistance: 3,
              resolution: 2,
            },
            strategy: {
              bitsPerFeature: 33,
            },
          },
        },
        {
          identifier: 'city',
          format: {
            type: 'string',
          },
          hashing: {
            comparison: {
              type: 'ngram',
              n: 3,
            },
            strategy: {
              bitsPerFeature: 70,
            },
            missingValue: {
              sentinel: '',
              replaceWith: 'unknown',
            },
          },
        },
      ],
    },
    rows: [
      ['1', 'josé', 'AB12', '03/04/1975', '42', 'leeds'],
      ['2', 'zoë 🙂', 'QX9', 'NA', '+042', ''],
      ['3', '', 'ZZ0000', '29/02/2000', '7', 'st. albans'],
      ['4', 'a', 'CD1', '1/2/1903', '0', 'x'],
    ],
    clks: [
      'CYVJCmdM+EocDQzAAESM5cCCKKjgrq5IOGWESBhAnJgMQgSgq0CRRoCYYWDpe3achoIBtWeo8KRAYYVJwiLvow==',
      'EYI3kuYR9PwQB4hPoEAxKLNgYIKgoSQCQpINeKoc4hClMQYmEggwSCBhwgFgISZTEFsnDaGAcsJzERjIcCQRAw==',
      'cZICViDIpJeQBgEKUEyiBKYWqAoooACBAGMdSBQCgQKCQWADKCRALtG+QIngASgInAKBKLMoEAIegQIQIUCDjA==',
      'QZBJAEEG8CSWZUCAAQc0DTRMJMkAsAaRQgAPSAACMHL0EWAhCu7JhKgAuSFYQBkOSBsFWrsAJAAJeGgRlQpkAA==',
    ],
  },
  {
    name: 'l1000-doublehash-info-only',
    secret: 's3cr3t-ü',
    schema: {
      version: 3,
      clkConfig: {
        l: 1000,
        kdf: {
          type: 'HKDF',
          hash: 'SHA256',
          info: 'aW5mbyBvbmx5',
        },
      },
      features: [
        {
          identifier: 'given',
          format: {
            type: 'string',
            encoding: 'utf-16',
            case: 'lower',
          },
          hashing: {
            comparison: {
              type: 'ngram',
              n: 1,
            },
            strategy: {
              bitsPerFeature: 120,
            },
            hash: {
              type: 'doubleHash',
            },
          },
        },
        {
          identifier: 'weight',
          format: {
            type: 'string',
          },
          hashing: {
            comparison: {
              type: 'numeric',
              thresholdDistance: 2.5,
              resolution: 3,
              fractional_precision: 1,
            },
            strategy: {
              bitsPerToken: 6,
            },
            hash: {
              type: 'doubleHash',
            },
          },
        },
        {
          identifier: 'sex',
          format: {
            type: 'enum',
            values: ['m', 'f', 'x'],
          },
          hashing: {
            comparison: {
              type: 'exact',
            },
            strategy: {
              bitsPerToken: 30,
            },
            hash: {
              type: 'doubleHash',
            },
          },
        },
      ],
    },
    rows: [
      ['anna', '12.35', 'f'],
      ['bob', '80', 'm'],
      ['çé', '-3.05', 'x'],
    ],
    clks: [
      'IQAAAoAASCgAAQOAAAhgCAACAAAKoECAAIAACA4CxAAAAEAQAoYAyABAABCGAAgARACAFAEIAICACoAQCIAAgAhAkACAAIAIDAC' +
        'AgAKAiIgmAIAAgAAYoASgABAACCEhgAAQAAgBAKABHAAAAQGAAJgAACEIEQAYAArCAAo=',
      'gJggKCAQgAAIJCJAwAIMBACACACJBhCBAAgBQhCCRAwAQoAAAIgACJEACAAGAKAACCBEgAAAiAgAkACZAQAAoAAIAECGBAAICCC' +
        'AABhFCBCAghgAAoQAEChIgIAAAAEQAMCCCCAAAQBECIECgAgAAQCQgAAsKAAYAUEOEAA=',
      'SATAAEJAQCEQAhCAMAlwBBUABBYEAAUBhQCFAARgAUQhAEOSAQEpAADSIUBAQABoAECQEAAYBDCOUABSBAYhBAAUkAYJZAAFAAk' +
        'CCQABAKEUgEAMYCBEIkACUAARABAAkBAQSBABJABGEAQBDAEEpgEQQwIBIBEAEQAAyBA=',
    ],
  },
];

t.test('reference vectors for edge-case schemas', async (t) => {
  for (const c of VECTORS) {
    const enc = ClkEncoder.fromSecret(parseClkSchema(c.schema), c.secret);
    t.same(
      c.rows.map((r) => serializeClk(enc.encode(r))),
      c.clks,
      c.name,
    );
    const cold = ClkEncoder.fromSecret(parseClkSchema(c.schema), c.secret, { cacheSize: 0 });
    t.same(
      c.rows.map((r) => serializeClk(cold.encode(r))),
      c.clks,
      `${c.name} (no cache)`,
    );
  }
});

t.test('tokenisers', async (t) => {
  t.same(ngramTokens('clkhash', 2, false), [' c', 'cl', 'lk', 'kh', 'ha', 'as', 'sh', 'h ']);
  t.same(ngramTokens('clkhash', 2, true), ['1  c', '2 cl', '3 lk', '4 kh', '5 ha', '6 as', '7 sh', '8 h ']);
  t.same(ngramTokens('4223', 1, true), ['1 4', '2 2', '3 2', '4 3'], 'n = 1: no padding');
  t.same(ngramTokens('ab', 3, false), ['  a', ' ab', 'ab ', 'b  ']);
  t.same(ngramTokens('a🙂', 2, false), [' a', 'a🙂', '🙂 '], 'code points, not UTF-16 units');
  t.same(ngramTokens('', 2, true), [], 'empty value: no tokens');
  t.same(tokenize({ type: 'exact' }, 'whole value'), ['whole value']);
  t.same(tokenize({ type: 'exact' }, ''), []);
  // clkhash's documented example: threshold 8, resolution 2, x = 25.
  t.same(numericTokens('25', 8, 2, 0), ['88', '96', '104', '112', '120']);
  t.same(numericTokens('', 8, 2, 0), []);
  t.equal(numericTokens('12.35', 2.5, 3, 1).length, 7, '2·resolution + 1 tokens');
  t.throws(() => numericTokens('abc', 1, 1, 0), /not a number/);
});

t.test('bits per token vs bits per feature', async (t) => {
  const perFeature = { type: 'bitsPerFeature' as const, bitsPerFeature: 10 };
  t.same(
    [0, 1, 2].map((i) => bitsForToken(perFeature, 3, i)),
    [4, 3, 3],
    'first B mod T tokens get one more',
  );
  t.same(
    [0, 1, 2, 3].map((i) => bitsForToken(perFeature, 4, i)),
    [3, 3, 2, 2],
  );
  t.same(
    [0, 1].map((i) => bitsForToken({ type: 'bitsPerToken', bitsPerToken: 7 }, 2, i)),
    [7, 7],
  );
  // Same value, same keys: bitsPerToken 100 on one token sets more bits than bitsPerFeature 100 over 8 tokens.
  const mk = (strategy: object) =>
    parseClkSchema({
      version: 3,
      clkConfig: { l: 1024, kdf: { type: 'HKDF' } },
      features: [
        { identifier: 'x', format: { type: 'string' }, hashing: { comparison: { type: 'ngram', n: 2 }, strategy } },
      ],
    });
  const pop = (b: Uint8Array) => b.reduce((s, x) => s + x.toString(2).replace(/0/g, '').length, 0);
  const perToken = pop(ClkEncoder.fromSecret(mk({ bitsPerToken: 100 }), 'k').encode(['abcdefg']));
  const feature = pop(ClkEncoder.fromSecret(mk({ bitsPerFeature: 100 }), 'k').encode(['abcdefg']));
  t.ok(perToken > 400 && feature <= 100 && feature > 80, `popcounts ${perToken} vs ${feature}`);
});

t.test('values: missing values, integers, dates, strings', async (t) => {
  const schema = parseClkSchema({
    version: 3,
    clkConfig: { l: 64, kdf: { type: 'HKDF' } },
    features: [
      {
        identifier: 'n',
        format: { type: 'integer', minimum: 1, maximum: 99 },
        hashing: {
          comparison: { type: 'exact' },
          strategy: { bitsPerToken: 1 },
          missingValue: { sentinel: 'N/A', replaceWith: '0' },
        },
      },
      {
        identifier: 'd',
        format: { type: 'date', format: '%Y-%m-%d' },
        hashing: { comparison: { type: 'exact' }, strategy: { bitsPerToken: 1 } },
      },
      {
        identifier: 's',
        format: { type: 'string', case: 'upper', minLength: 2, maxLength: 3, encoding: 'ascii' },
        hashing: { comparison: { type: 'exact' }, strategy: { bitsPerToken: 1 } },
      },
      {
        identifier: 'p',
        format: { type: 'string', pattern: '[a-c]+' },
        hashing: { comparison: { type: 'exact' }, strategy: { bitsPerToken: 1 } },
      },
    ],
  });
  const [n, d, s, p] = schema.features as HashedFeature[];
  t.same(prepareValue(n!, 'N/A'), { ok: true, value: '0' }, 'sentinel replaced, not validated');
  t.same(prepareValue(n!, ' +042 '), { ok: true, value: '42' }, 'Python int(): sign, spaces, leading zeros');
  t.same(prepareValue(n!, '1_0'), { ok: true, value: '10' }, 'Python int(): underscores');
  t.match(prepareValue(n!, '100'), { ok: false, code: 'maximum' });
  t.match(prepareValue(n!, '0'), { ok: false, code: 'minimum' });
  t.match(prepareValue(n!, '4.0'), { ok: false, code: 'integer' });
  t.equal(parsePythonInt('٤٢'), 42n, 'Unicode digits, as Python');
  t.same(prepareValue(d!, '1999-1-5'), { ok: true, value: '19990105' }, 'strptime accepts unpadded fields');
  t.match(prepareValue(d!, '1999-02-29'), { ok: false, code: 'date' });
  t.match(prepareValue(d!, '1999-02-01x'), { ok: false, code: 'date', reason: /unconverted data/ });
  t.same(prepareValue(s!, 'AB'), { ok: true, value: 'AB' });
  t.match(prepareValue(s!, 'Ab'), { ok: false, code: 'case' });
  t.match(prepareValue(s!, 'A'), { ok: false, code: 'min-length' });
  t.match(prepareValue(s!, 'ABCD'), { ok: false, code: 'max-length' });
  t.match(prepareValue(s!, 'ÄB'), { ok: false, code: 'encoding' });
  t.same(prepareValue(p!, 'abc'), { ok: true, value: 'abc' });
  t.match(prepareValue(p!, 'abcd'), { ok: false, code: 'pattern' }, 'pattern must match the whole value');
  const bad = prepareValue(n!, 'secret-ish 123');
  t.ok(!bad.ok && !bad.reason.includes('secret-ish'), 'reasons never quote the value');
});

t.test('key derivation: HKDF over SHA256 and SHA512, ignored features included', async (t) => {
  const salt = Buffer.from('salty');
  const info = Buffer.from('info');
  for (const hash of ['SHA256', 'SHA512'] as const) {
    const keys = deriveFeatureKeys(Buffer.from('pw'), { type: 'HKDF', hash, salt, info, keySize: 40 }, 3);
    const all = Buffer.from(hkdfSync(hash.toLowerCase(), 'pw', salt, info, 2 * 3 * 40));
    t.same(Buffer.from(keys[2]!.key1), all.subarray(4 * 40, 5 * 40), `${hash} key1 of feature 2`);
    t.same(Buffer.from(keys[2]!.key2), all.subarray(5 * 40, 6 * 40), `${hash} key2 of feature 2`);
  }
  const noSalt = deriveFeatureKeys(Buffer.from('pw'), { type: 'HKDF', hash: 'SHA512', keySize: 64 }, 1);
  t.same(
    Buffer.from(noSalt[0]!.key1),
    Buffer.from(hkdfSync('sha512', 'pw', Buffer.alloc(64), Buffer.alloc(0), 128)).subarray(0, 64),
    'no salt = HashLen zero bytes',
  );
});

t.test('xor folding: l bits after folding an l·2^f filter', async (t) => {
  const base = { type: 'HKDF' };
  const features = [
    {
      identifier: 'x',
      format: { type: 'string' },
      hashing: { comparison: { type: 'ngram', n: 2 }, strategy: { bitsPerFeature: 300 } },
    },
  ];
  const unfolded = ClkEncoder.fromSecret(
    parseClkSchema({ version: 3, clkConfig: { l: 1024, kdf: base }, features }),
    'k',
  ).encode(['folding']);
  const folded = ClkEncoder.fromSecret(
    parseClkSchema({ version: 3, clkConfig: { l: 512, xor_folds: 1, kdf: base }, features }),
    'k',
  ).encode(['folding']);
  t.same(Buffer.from(folded), Buffer.from(unfolded.subarray(0, 64).map((b, i) => b ^ unfolded[64 + i]!)));
  const twice = ClkEncoder.fromSecret(
    parseClkSchema({ version: 3, clkConfig: { l: 256, xor_folds: 2, kdf: base }, features }),
    'k',
  ).encode(['folding']);
  t.same(Buffer.from(twice), Buffer.from(folded.subarray(0, 32).map((b, i) => b ^ folded[32 + i]!)));
});

t.test('xorFolds is ignored (as clkhash does) with a warning', async (t) => {
  const features = [
    {
      identifier: 'x',
      format: { type: 'string' },
      hashing: { comparison: { type: 'ngram', n: 2 }, strategy: { bitsPerFeature: 100 } },
    },
  ];
  const warnings: string[] = [];
  const withKey = parseClkSchema(
    { version: 3, clkConfig: { l: 512, xorFolds: 1, kdf: { type: 'HKDF' } }, features },
    (l) => warnings.push(l),
  );
  t.equal(warnings.length, 1);
  t.match(warnings[0], /xorFolds.*ignored.*xor_folds/);
  t.equal(withKey.xorFolds, 0);
  const plain = parseClkSchema({ version: 3, clkConfig: { l: 512, kdf: { type: 'HKDF' } }, features });
  t.same(ClkEncoder.fromSecret(withKey, 'k').encode(['abc']), ClkEncoder.fromSecret(plain, 'k').encode(['abc']));
});

t.test('schema errors name the problem', async (t) => {
  const f = (hashing: object, format: object = { type: 'string' }) => ({ identifier: 'x', format, hashing });
  const ok = { comparison: { type: 'ngram', n: 2 }, strategy: { bitsPerToken: 2 } };
  t.throws(() => parseClkSchema({ version: 2, clkConfig: { l: 8, kdf: { type: 'HKDF' } }, features: [] }), /version 3/);
  t.throws(
    () => parseClkSchema({ version: 3, clkConfig: { l: 1000, kdf: { type: 'HKDF' } }, features: [f(ok)] }),
    /features\[0\]\.hashing\.hash: blakeHash needs .* power of two/,
  );
  t.doesNotThrow(() =>
    parseClkSchema({
      version: 3,
      clkConfig: { l: 1000, kdf: { type: 'HKDF' } },
      features: [f({ ...ok, hash: { type: 'doubleHash' } })],
    }),
  );
  t.throws(
    () =>
      parseClkSchema({
        version: 3,
        clkConfig: { l: 8, kdf: { type: 'HKDF' } },
        features: [f({ comparison: ok.comparison, strategy: { bitsPerToken: 2, bitsPerFeature: 3 } })],
      }),
    /exactly one of bitsPerToken or bitsPerFeature/,
  );
  t.throws(
    () => parseClkSchema({ version: 3, clkConfig: { l: 8, kdf: { type: 'HKDF', hash: 'MD5' } }, features: [f(ok)] }),
    /kdf\.hash/,
  );
  t.throws(
    () =>
      parseClkSchema({
        version: 3,
        clkConfig: { l: 8, kdf: { type: 'HKDF' } },
        features: [f(ok, { type: 'date', format: '%Q' })],
      }),
    /%Q is not supported/,
  );
  t.throws(
    () =>
      parseClkSchema({
        version: 3,
        clkConfig: { l: 8, kdf: { type: 'HKDF' } },
        features: [f({ ...ok, hash: { type: 'blakeHash', prevent_singularity: true } })],
      }),
    ClkSchemaError,
  );
});

t.test('crypto primitives', async (t) => {
  const key = Buffer.from('k'.repeat(70));
  for (const msg of ['', 'ab', 'x'.repeat(55), 'y'.repeat(56), 'z'.repeat(130)]) {
    t.equal(
      Buffer.from(new HmacSha1(key).mac(Buffer.from(msg))).toString('hex'),
      createHmac('sha1', key).update(msg).digest('hex'),
      `HMAC-SHA1 ${msg.length}`,
    );
    t.equal(
      Buffer.from(new HmacMd5(key.subarray(0, 64)).mac(Buffer.from(msg))).toString('hex'),
      createHmac('md5', key.subarray(0, 64)).update(msg).digest('hex'),
      `HMAC-MD5 ${msg.length}`,
    );
  }
  // Python: hashlib.blake2b(msg, key=key, salt=salt).hexdigest()
  const range = Uint8Array.from({ length: 64 }, (_, i) => i);
  t.equal(
    Buffer.from(new Blake2bKeyed(range, { salt: Buffer.from('1') }).digest(Buffer.from('ab'))).toString('hex'),
    '3f0f1a3286a096e69cb538e05a97a2831619469ea58e6f79f719eb520acbe4a487f6e53ac8edc8d9c5373b063ff08ca8dea50' +
      '1ede8f15e15a634440794e5b385',
  );
  t.equal(
    Buffer.from(
      new Blake2bKeyed(Buffer.from('key'), { salt: Buffer.from('12') }).digest(Buffer.from('x'.repeat(200))),
    ).toString('hex'),
    '1e28d8e6c90597b73ba2486c4d896a87b1a010da86b77bc5f39891aa00323d2d1fcdb1c239e905f22b88d37eec8f8bc24c11c' +
      '6c5942aa116b994ca1ba86cdd9b',
  );
  t.equal(
    Buffer.from(new Blake2bKeyed(Buffer.from('key'), { salt: Buffer.from('0') }).digest(new Uint8Array(0))).toString(
      'hex',
    ),
    'eae1766138fd3b2ba5d01b6faceddbb014e449ddbc2a50e185828f05450e4c2816c09dee4fc84a87b3cf8b96cf986cfe3025e' +
      '642250b0357428a2d0d183d2f3a',
  );
});

t.test('command: invalid rows are reported with row, line, column and reason', async (t) => {
  const csv = [
    'rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, state, ' +
      'date_of_birth, soc_sec_id',
    'rec-1, ann, lee, 8, a street, , town, 4223, nsw, 19151111, 1',
    'rec-2, bob, ray, 9, b street, , town, 12345, vic, 19161214, 2',
    'rec-3, cat, fox, 10, c street, , town, 4000, qld',
    'rec-4, dan, roe, x1, d street, , town, 4000, qld, 19700101, 4',
    'rec-5, eve, kim, 11, e street, , town, 4001, sa, 19700102, 5',
  ].join('\n');
  const input = join(dir, 'bad.csv');
  await writeFile(input, csv);
  const out = join(dir, 'bad-out.json');
  await t.rejects(
    encodeClkhashCommand({ schema: febrlSchemaFile, secretFile, input, out, onInvalid: 'fail' }, noWarn),
    { message: /row 2 \(line 3\): column 8 'postcode': integer is above the maximum 9999/ },
  );
  t.notOk(existsSync(out), 'no output on failure');
  t.same(
    (await readdir(dir)).filter((f) => f.endsWith('.tmp')),
    [],
    'no temp file left behind',
  );

  const warnings: string[] = [];
  const summary = await encodeClkhashCommand(
    { schema: febrlSchemaFile, secretFile, input, out, onInvalid: 'skip' },
    { warn: (l) => warnings.push(l) },
  );
  t.same(summary.rejected, { maximum: 1, 'column-count': 1, integer: 1 });
  t.equal(summary.rows, 5);
  t.equal(summary.encoded, 2);
  t.match(warnings.join('\n'), /row 3 \(line 4\): expected 11 columns, found 9/);
  t.match(warnings.join('\n'), /row 4 \(line 5\): column 4 'street_number': value is not a base-10 integer/);
  t.notMatch(warnings.join('\n'), /x1|12345/, 'warnings do not quote values');
  const clks = (JSON.parse(await readFile(out, 'utf8')) as { clks: string[] }).clks;
  const enc = ClkEncoder.fromSecret(parseClkSchema(febrlSchemaJson), 'secret');
  const expectRow = (line: string) => serializeClk(enc.encode(line.split(',').map((v) => v.trim())));
  t.same(clks, [expectRow(csv.split('\n')[1]!), expectRow(csv.split('\n')[5]!)], 'valid rows kept, in input order');
});

t.test(
  "CLI by default: an invalid value becomes its feature's missing-value sentinel where the schema has one",
  async (t) => {
    const csv = [
      'rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, state, ' +
        'date_of_birth, soc_sec_id',
      'rec-1, ann, lee, 8, a street, , town, 4223, nsw, 19151111, 1',
      'rec-2, bob, ray, 9, b street, , town, 12345, vic, 19161214, 2', // postcode: no sentinel, row left out
      'rec-3, cat, fox, 10, c street, , town, 4000, qld', // too few columns, row left out
      'rec-4, dan, roe, x1, d street, , town, 4000, qld, 19700101, 4', // street_number: sentinel '', kept
    ].join('\n');
    const input = join(dir, 'forgiving.csv');
    await writeFile(input, csv);
    const out = join(dir, 'forgiving.json');
    const r = await run(AGENCY_BIN, [
      'encode',
      '--format',
      'clkhash',
      '--schema',
      febrlSchemaFile,
      '--secret-file',
      secretFile,
      '--input',
      input,
      '--out',
      out,
    ]);
    t.equal(r.code, 0, r.stderr);
    t.match(r.stderr, /2 of 4 rows encoded/);
    t.match(r.stderr, /invalid values left missing \(rows kept\): street_number 1/);
    t.match(r.stderr, /forgiving\.json\.rejects\.csv \(it stays here: never sent\)/);
    t.notMatch(r.stderr, /x1|12345|\bdan\b/, 'no value on the terminal');
    t.same(
      (await readFile(`${out}.rejects.csv`, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => l.split(',').slice(0, 4).join(',')),
      ['row,line,record_id,field', '2,3,,postcode', '3,4,,', '4,5,,street_number'],
    );
    const clks = (JSON.parse(await readFile(out, 'utf8')) as { clks: string[] }).clks;
    const enc = ClkEncoder.fromSecret(parseClkSchema(febrlSchemaJson), 'secret');
    const row = (line: string) => line.split(',').map((v) => v.trim());
    const asMissing = row(csv.split('\n')[4]!);
    asMissing[3] = '';
    t.same(
      clks,
      [serializeClk(enc.encode(row(csv.split('\n')[1]!))), serializeClk(enc.encode(asMissing))],
      'x1 encoded as clkhash encodes a missing street number',
    );
  },
);

t.test('command: header names checked against feature identifiers', async (t) => {
  const input = join(dir, 'header.csv');
  await writeFile(
    input,
    'rec_id,first,surname,street_number,address_1,address_2,suburb,postcode,state,date_of_birth,soc_sec_id\n',
  );
  const warnings: string[] = [];
  const r = await encodeClkhashCommand(
    { schema: febrlSchemaFile, secretFile, input, out: join(dir, 'h.json'), onInvalid: 'fail' },
    { warn: (l) => warnings.push(l) },
  );
  t.equal(r.rows, 0);
  t.same(warnings, [
    "CSV header column 2 is 'first' but schema feature 2 is 'given_name'; columns are matched by position",
  ]);
  t.equal(await readFile(join(dir, 'h.json'), 'utf8'), '{"clks": []}');
});

t.test('secret file: UTF-8, one trailing newline stripped', async (t) => {
  const p = join(dir, 's2.txt');
  await writeFile(p, 'pa ss\n\n', { mode: 0o600 });
  t.equal(Buffer.from(await readSecretFile(p)).toString(), 'pa ss\n');
  await writeFile(p, 'pass\r\n');
  t.equal(Buffer.from(await readSecretFile(p)).toString(), 'pass');
  await writeFile(p, '\n');
  await t.rejects(readSecretFile(p), /empty/);
});
