// Encoding speed: (a) the clkhash-compatible encoder on FEBRL 4 dataset4a with clkhash's FEBRL
// schema, warm and cold caches, one core; (b) blindlink's own uk-person encoding of synthetic rows
// (1,000,000; 100,000 with --quick) through the whole `encode` command (CSV in, files out), on one
// thread and on every core, plus the bare per-row encoder on one core. The machine may be shared:
// the load average is printed so the figures can be read against it.
// Run: npx tsc -b bench && node bench/dist/bench-encode.js [--quick] [--rows N]
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClkEncoder, parseClkSchema, pythonStrip } from '@blindlink/agency-client/clkhash';
import { csvRow, formatDate, generatePopulation } from '@blindlink/agency-client/synth';
import { encodeCsv } from '@blindlink/agency-client';
// Not (yet) in the package's exports map: reached by path until "./encode" is exported.
import { effectiveSchema, RecordEncoder, UK_PERSON } from '@blindlink/agency-client/encode';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const rowsArg = args.indexOf('--rows');
const ROWS = rowsArg >= 0 ? Number(args[rowsArg + 1]) : quick ? 100_000 : 1_000_000;
const DATA = process.env.FEBRL4_DIR ?? '/work/shared/data/febrl4/';
const cores = availableParallelism();
const fmt = (n: number): string => Math.round(n).toLocaleString('en-GB');
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

console.log(`encoding benchmark: ${cores} cores, load average ${load()} (1/5/15 min), node ${process.version}`);

// (a) clkhash-compatible encoder, FEBRL 4 dataset4a.
{
  const schema = parseClkSchema(JSON.parse(await readFile(join(DATA, 'clkhash_schema_v3.json'), 'utf8')));
  const rows = (await readFile(join(DATA, 'dataset4a.csv'), 'utf8'))
    .split('\n')
    .slice(1)
    .filter((l) => l.length > 0)
    .map((l) => l.split(',').map(pythonStrip));
  const secret = new TextEncoder().encode('secret');
  const passes = quick ? 4 : 10;
  const run = (enc: ClkEncoder, clear: boolean): number => {
    const out = new Uint8Array(enc.clkBytes);
    let ms = 0;
    for (let p = 0; p < passes; p++) {
      if (clear) enc.clearCaches();
      const t0 = performance.now();
      for (const r of rows) enc.encodeInto(r, out);
      ms += performance.now() - t0;
    }
    return (passes * rows.length) / (ms / 1000);
  };
  const enc = ClkEncoder.fromSecret(schema, secret);
  run(enc, true); // JIT warm-up
  const cold = run(enc, true);
  const warm = run(enc, false);
  console.log(`(a) clkhash schema, FEBRL 4 dataset4a (${rows.length} rows), one core:`);
  console.log(`    cold caches (cleared before each pass): ${fmt(cold)} records/s`);
  console.log(`    warm caches:                            ${fmt(warm)} records/s`);
}

// (b) uk-person on synthetic rows.
const dir = await mkdtemp(join(tmpdir(), 'bench-encode-'));
try {
  const input = join(dir, 'people.csv');
  const t0 = performance.now();
  const out = createWriteStream(input);
  const write = async (s: string): Promise<void> => {
    if (!out.write(s)) await once(out, 'drain');
  };
  await write(csvRow(['record_id', 'given_name', 'surname', 'dob', 'sex', 'address', 'postcode', 'nhs_number']));
  let n = 0;
  const sample: string[][] = [];
  const formats = ['iso', 'dmy', 'dmon'] as const;
  outer: for (const h of generatePopulation(ROWS, 'bench-encode')) {
    for (const p of h.persons) {
      if (n >= ROWS) break outer;
      const row = [`R${n}`, p.givenName, p.surname, formatDate(p.dob, formats[n % 3]!), p.sex, h.address.line, h.address.postcode, p.nhsNumber];
      if (sample.length < 100_000) sample.push(row.map((v) => Buffer.from(v).toString())); // flat strings, as a CSV parser makes
      await write(csvRow(row));
      n++;
    }
  }
  out.end();
  await once(out, 'finish');
  console.log(`(b) uk-person, ${fmt(n)} synthetic rows (generated in ${((performance.now() - t0) / 1000).toFixed(1)} s; load ${load()})`);

  const secret = new TextEncoder().encode('a benchmark secret of enough length');
  await writeFile(join(dir, 'secret'), 'x');
  const base = { input, secret, schema: 'uk-person', map: {}, idColumn: 'record_id', ignore: [], onInvalid: 'skip' as const };

  // Bare encoder, one core: no CSV parsing, no output; the first 100,000 rows, twice (the first pass warms JIT and caches).
  {
    const ok = sample;
    const effective = effectiveSchema(UK_PERSON, UK_PERSON.fields.map((f) => f.name));
    const enc = new RecordEncoder({ schema: effective, secret, columns: [1, 2, 3, 4, 5, 6, 7], idColumn: 0, idName: 'record_id', width: 8 });
    const token = 'AAAAAAAAAAAAAAAAAAAAAA';
    for (const r of ok) enc.encode(r, token);
    enc.clearCaches();
    // CPU time of this thread as well as wall time: on a shared machine the wall clock overstates the cost.
    const timed = (): [number, number] => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (const r of ok) enc.encode(r, token);
      const cpu = process.cpuUsage(c0);
      return [ok.length / ((performance.now() - t0) / 1000), ok.length / ((cpu.user + cpu.system) / 1e6)];
    };
    const [coldWall, coldCpu] = timed();
    const [warmWall, warmCpu] = timed();
    console.log(`    bare record encoder, one core (${fmt(ok.length)} rows): cold caches ${fmt(coldWall)} records/s wall (${fmt(coldCpu)} per CPU-second); second pass ${fmt(warmWall)} wall (${fmt(warmCpu)} per CPU-second)`);
  }

  const one = await encodeCsv({ ...base, out: join(dir, 'one.enc'), threads: 1 });
  const rssOne = process.memoryUsage().rss;
  console.log(`    encode command, 1 thread:  ${fmt(one.rate)} rows/s (${one.seconds.toFixed(1)} s, ${one.encoded} encoded, ${one.rows - one.encoded} rejected; load ${load()})`);
  const all = await encodeCsv({ ...base, out: join(dir, 'all.enc'), threads: cores });
  console.log(`    encode command, ${cores} threads: ${fmt(all.rate)} rows/s = ${fmt(all.rate / cores)} per core (${all.seconds.toFixed(1)} s; load ${load()})`);
  console.log(`    speed-up over one thread: ${(all.rate / one.rate).toFixed(2)}×`);
  console.log(`    main-process RSS after the runs: ${(Math.max(rssOne, process.memoryUsage().rss) / 2 ** 20).toFixed(0)} MiB (peak ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB)`);
  const rejected = Object.entries(all.rejected).sort((a, b) => b[1] - a[1]).slice(0, 5);
  if (rejected.length) console.log(`    rejected by reason: ${rejected.map(([r, c]) => `${c} × ${r}`).join('; ')}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
