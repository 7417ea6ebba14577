// The speed work on blindlink's own encoder must not change a single output bit: every
// configuration in helpers/encode-golden.ts (uk-person, with invalid fields left out, salted,
// salted without its salt's source, a schema with balance and xor-fold hardening), with the
// default caches, with caching off and with tiny caches that evict all the time, must give the
// encodings recorded in fixtures/uk-person-golden.txt before that work began (re-recorded once for
// uk-person version 3 and sorted blocking tokens, after the version-2 digests were checked to still
// hold with the speed work and the flip step merged; and again for encoder version 2, whose flip
// noise comes from AES-CTR: only the flipped configurations changed, the balance/xor-fold one did not). Then the whole
// encode command (CSV parsing, batches, worker threads, JSON output) must write, for each row, the
// line the record encoder gives for that row and its token.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeCsv, readTokenMap } from '@blindlink/agency-client';
import { RecordEncoder } from '@blindlink/agency-client/encode';
import { collapseWhitespace, isBlank, normaliseAddress } from '@blindlink/agency-client/normalise';
import { lcg32 } from '@blindlink/broker/prng';
import { normaliseAddressRef } from '../helpers/address-reference.js';
import {
  digestOf,
  GOLDEN_CONFIGS,
  GOLDEN_HEADER,
  GOLDEN_SECRET,
  goldenRows,
  goldenSetup,
  goldenToken,
  resultText,
} from '../helpers/encode-golden.js';

const golden = readFileSync(new URL('../fixtures/uk-person-golden.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l !== '')
  .map((l) => l.split(' ').slice(1));
const rows = goldenRows();

t.equal(golden.length, rows.length, 'one golden line per row');

GOLDEN_CONFIGS.forEach((config, c) => {
  for (const cacheSize of [undefined, 0, 2]) {
    const enc = new RecordEncoder(goldenSetup(config, cacheSize));
    const wrong: string[] = [];
    // Twice over: the second pass is served from the caches the first one filled.
    for (let pass = 0; pass < (cacheSize === undefined ? 2 : 1); pass++) {
      rows.forEach((row, i) => {
        const got = digestOf(resultText(enc.encode(row, goldenToken(i))));
        if (got !== golden[i]![c] && wrong.length < 5)
          wrong.push(`pass ${pass} row ${i} (${row[0]}): ${resultText(enc.encode(row, goldenToken(i))).slice(0, 200)}`);
      });
    }
    t.same(wrong, [], `${config.name}, cache size ${cacheSize ?? 'default'}: every row as recorded`);
  }
});

const csv = (v: string): string => (/[",\n\r]/.test(v) || v !== v.trim() ? `"${v.replace(/"/g, '""')}"` : v);

t.test('the encode command writes what the record encoder gives, on one thread and on a worker pool', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'encode-equivalence-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // The command trims nothing but the id; rows it cannot parse as CSV (none here) would differ.
  const usable = rows.filter(
    (r) => r.length === GOLDEN_HEADER.length && r[0]!.trim() !== '' && !r.some((v) => /[\r\n]/.test(v)),
  );
  const input = join(dir, 'in.csv');
  writeFileSync(input, [GOLDEN_HEADER, ...usable].map((r) => r.map(csv).join(',')).join('\n') + '\n');
  const byId = new Map(usable.map((r) => [r[0]!.trim(), r]));
  const config = GOLDEN_CONFIGS[1]!; // uk-person, invalid fields left out, band as an attribute
  const reference = new RecordEncoder(goldenSetup(config));
  for (const threads of [1, 2]) {
    const out = join(dir, `out${threads}.enc`);
    const summary = await encodeCsv({
      input,
      out,
      secret: GOLDEN_SECRET,
      schema: 'uk-person',
      map: {},
      idColumn: 'record_id',
      ignore: [],
      attributes: ['band'],
      onInvalid: 'missing',
      threads,
      batchRows: 97,
    });
    const lines = readFileSync(out, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .slice(1);
    const tokens = readTokenMap(`${out}.tokens.csv`);
    t.equal(lines.length, summary.encoded, `${threads} thread(s): one line per encoded row`);
    const wrong: string[] = [];
    for (const line of lines) {
      const token = (JSON.parse(line) as { token: string }).token;
      const row = byId.get(tokens.get(token) ?? '');
      const expected = row ? reference.encode(row, token) : { reason: 'unknown token' };
      if (!('line' in expected) || expected.line !== line) wrong.push(line.slice(0, 120));
    }
    t.same(wrong.slice(0, 3), [], `${threads} thread(s): every line as the record encoder gives it`);
    t.equal(
      summary.encoded + Object.values(summary.rejected).reduce((s, n) => s + n, 0),
      usable.length,
      `${threads} thread(s): every row encoded or rejected`,
    );
  }
});

t.test('normaliser fast paths equal the regular expressions they stand in for', async (t) => {
  // The original one-line definitions, kept here as the oracles.
  const isBlankRef = (raw: string): boolean => raw.replace(/[\s\u200B-\u200D\uFEFF]/gu, '') === '';
  const collapseRef = (text: string): string => text.replace(/\s+/gu, ' ').trim();
  const alphabet = [
    ' ',
    ' ',
    '\t',
    '\n',
    '\r',
    '\v',
    '\f',
    'a',
    'Z',
    '0',
    '9',
    "'",
    '`',
    '-',
    ',',
    '.',
    '/',
    '&',
    'é',
    '\u00a0',
    '\u200b',
    '\ufeff',
    '\u2019',
    '\u00ad',
    '\u2028',
    '\u3000',
    '\x7f',
    '\x01',
    '😀',
  ];
  const word = lcg32(12345);
  const rand = (n: number): number => word() % n;
  const wrong: string[] = [];
  for (let i = 0; i < 20000; i++) {
    let s = '';
    for (let j = rand(12); j > 0; j--) s += alphabet[rand(alphabet.length)];
    if (isBlank(s) !== isBlankRef(s)) wrong.push(`isBlank ${JSON.stringify(s)}`);
    if (collapseWhitespace(s) !== collapseRef(s)) wrong.push(`collapseWhitespace ${JSON.stringify(s)}`);
    const address = `${s} 12 ${s}st, ${s}`;
    const a = normaliseAddress(address);
    const b = normaliseAddressRef(address);
    if (JSON.stringify(a) !== JSON.stringify(b)) wrong.push(`normaliseAddress ${JSON.stringify(address)}`);
  }
  t.same(wrong.slice(0, 5), [], '20,000 random strings');
});
