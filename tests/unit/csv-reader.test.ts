// The encode command's own CSV reader (agency-client/src/io/csv-reader.ts) against csv-parse with
// the options the command used before it (bom, relax_column_count, skip_empty_lines, info): the same
// rows, the same line per row, the same error code at the same line, whatever the chunking. A
// difference here would be a different record encoded, or a rejects file naming the wrong line.
import t from 'tap';
import { parse } from 'csv-parse/sync';
import { Readable } from 'node:stream';
import { CsvReader, csvRows } from '@blindlink/agency-client';

type Outcome = { rows: string[][]; lines: number[] } | { error: string; lines: number | undefined };

function withCsvParse(input: Buffer): Outcome {
  try {
    const items = parse(input, {
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
    }) as unknown as {
      record: string[];
      info: { lines: number };
    }[];
    return { rows: items.map((i) => i.record), lines: items.map((i) => i.info.lines) };
  } catch (e) {
    return { error: (e as { code: string }).code, lines: (e as { lines?: number }).lines };
  }
}

/** The reader fed `input` in chunks cut at `cuts`. */
function withReader(input: Buffer, cuts: number[]): Outcome {
  const reader = new CsvReader();
  const rows: string[][] = [];
  const lines: number[] = [];
  try {
    let from = 0;
    for (const c of [...cuts, input.length]) {
      const r = reader.push(input.subarray(from, c), false);
      rows.push(...r.records);
      lines.push(...r.lines);
      from = c;
    }
    const r = reader.push(null, true);
    rows.push(...r.records);
    lines.push(...r.lines);
    return { rows, lines };
  } catch (e) {
    return { error: (e as { code: string }).code, lines: (e as { lines?: number }).lines };
  }
}

/** A small seeded generator (xorshift32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const PIECES = ['a', 'bc', 'é', '€', ' ', ',', ',', '"', '""', '\n', '\r\n', '\r', '\u0000', 'x"y', '"q,r"', '\n\n'];

t.test('hand-picked inputs read as csv-parse reads them', async (t) => {
  const cases = [
    '',
    '\n',
    'a,b\n1,2\n',
    'a,b\r\n1,2\r\n\r\n3,4',
    'a,b\r1,2\r3',
    'a,b\n"x, y",2\n',
    'a,b\n"x\ny",2\n3,4\n',
    'a,b\n"x""y",2\n',
    'a,b\n"",\n',
    'a,b\nx"y,2\n',
    'a,b\n"x"y,2\n',
    'a,b\n"x\n',
    'a,b\n"x\n\n',
    'a,b\n"x"\u0000z,2\n',
    'a,b\n1\n1,2,3\n',
    '\ufeffa,b\n1,2\n',
    'a,b\n1,2\r\n3,4\n',
    'a,b\r\n1\n2,3\r\n',
    'a\n\n\nb\n',
    'a,b\n"é€",x\n',
    ',\n,,\n',
  ];
  for (const c of cases) {
    const input = Buffer.from(c);
    const expected = withCsvParse(input);
    for (const cuts of [[], [1], [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]])
      t.same(
        withReader(
          input,
          cuts.filter((x) => x < input.length),
        ),
        expected,
        JSON.stringify(c),
      );
  }
});

t.test('random inputs, cut into random chunks, read as csv-parse reads them', async (t) => {
  const next = rng(20261207);
  let same = 0;
  for (let n = 0; n < 3000; n++) {
    let s = next() < 0.1 ? '\ufeff' : '';
    const len = Math.floor(next() * 30);
    for (let i = 0; i < len; i++) s += PIECES[Math.floor(next() * PIECES.length)];
    const input = Buffer.from(s);
    const cuts: number[] = [];
    for (let c = 1; c < input.length; c++) if (next() < 0.2) cuts.push(c);
    const expected = withCsvParse(input);
    const got = withReader(input, cuts);
    if (JSON.stringify(got) === JSON.stringify(expected)) same++;
    else t.same(got, expected, `${JSON.stringify(s)} cut at ${cuts}`);
  }
  t.equal(same, 3000, 'every random input read alike');
});

t.test('a malformed row is reported by code and line, never by its content', async (t) => {
  const r = withReader(Buffer.from('a,b\n1,2\n3,x"secret"\n'), []);
  t.same(r, { error: 'INVALID_OPENING_QUOTE', lines: 3 });
  const reader = new CsvReader();
  let message = '';
  try {
    reader.push(Buffer.from('a,b\n"secret"z,2\n'), true);
  } catch (e) {
    message = (e as Error).message;
  }
  t.match(message, /CSV_INVALID_CLOSING_QUOTE at line 2/);
  t.notMatch(message, /secret/);
});

t.test('csvRows: a stream read chunk by chunk, and a UTF-16 file handed to csv-parse', async (t) => {
  const collect = async (chunks: Buffer[]): Promise<{ rows: string[][]; lines: number[] }> => {
    const rows: string[][] = [];
    const lines: number[] = [];
    for await (const r of csvRows(Readable.from(chunks))) {
      rows.push(...r.records);
      lines.push(...r.lines);
    }
    return { rows, lines };
  };
  const utf8 = Buffer.from('id,name\n1,"Zoë\nO""Neil"\n\n2,Ann\n');
  t.same(await collect([utf8.subarray(0, 5), utf8.subarray(5, 19), utf8.subarray(19)]), withCsvParse(utf8));
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('id,name\r\n1,Zoë\r\n', 'utf16le')]);
  const expected = withCsvParse(utf16);
  t.same(expected, {
    rows: [
      ['id', 'name'],
      ['1', 'Zoë'],
    ],
    lines: [1, 2],
  });
  t.same(await collect([utf16.subarray(0, 7), utf16.subarray(7)]), expected);
});
