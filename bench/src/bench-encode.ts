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
import { formatDate, generatePopulation } from '@blindlink/synth';
import { csvLine, encodeCsv } from '@blindlink/agency-client';
// Not (yet) in the package's exports map: reached by path until "./encode" is exported.
import { effectiveSchema, RecordEncoder, UK_PERSON } from '@blindlink/agency-client/encode';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const rowsArg = args.indexOf('--rows');
const ROWS = rowsArg >= 0 ? Number(args[rowsArg + 1]) : quick ? 100_000 : 1_000_000;
const DATA = process.env.FEBRL4_DIR ?? '/work/shared/data/febrl4/';
const cores = availableParallelism();
const fmt = (n: number): string => Math.round(n).toLocaleString('en-GB');
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
/** CPU time of the whole process (every thread) in seconds: on a shared machine wall time overstates the cost. */
const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const range = (xs: number[]): string =>
  xs.length === 1 ? fmt(xs[0]!) : `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;
let clkhashColdCpu = 0;

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
  const run = (enc: ClkEncoder, clear: boolean): [number, number] => {
    const out = new Uint8Array(enc.clkBytes);
    let ms = 0;
    let cpu = 0;
    for (let p = 0; p < passes; p++) {
      if (clear) enc.clearCaches();
      const c0 = cpuSeconds();
      const t0 = performance.now();
      for (const r of rows) enc.encodeInto(r, out);
      ms += performance.now() - t0;
      cpu += cpuSeconds() - c0;
    }
    return [(passes * rows.length) / (ms / 1000), (passes * rows.length) / cpu];
  };
  const enc = ClkEncoder.fromSecret(schema, secret);
  run(enc, true); // JIT warm-up
  const [cold, coldCpu] = run(enc, true);
  const [warm, warmCpu] = run(enc, false);
  clkhashColdCpu = coldCpu;
  console.log(`(a) clkhash schema, FEBRL 4 dataset4a (${rows.length} rows), one core:`);
  console.log(
    `    cold caches (cleared before each pass): ${fmt(cold)} records/s wall (${fmt(coldCpu)} per CPU-second)`,
  );
  console.log(
    `    warm caches:                            ${fmt(warm)} records/s wall (${fmt(warmCpu)} per CPU-second)`,
  );
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
  await write(csvLine(['record_id', 'given_name', 'surname', 'dob', 'sex', 'address', 'postcode', 'nhs_number']));
  let n = 0;
  const sample: string[][] = [];
  const formats = ['iso', 'dmy', 'dmon'] as const;
  outer: for (const h of generatePopulation(ROWS, 'bench-encode')) {
    for (const p of h.persons) {
      if (n >= ROWS) break outer;
      const row = [
        `R${n}`,
        p.givenName,
        p.surname,
        formatDate(p.dob, formats[n % 3]!),
        p.sex,
        h.address.line,
        h.address.postcode,
        p.nhsNumber,
      ];
      // flat strings, as a CSV parser makes
      if (sample.length < 100_000) sample.push(row.map((v) => Buffer.from(v).toString()));
      await write(csvLine(row));
      n++;
    }
  }
  out.end();
  await once(out, 'finish');
  console.log(
    `(b) uk-person, ${fmt(n)} synthetic rows (generated in ${((performance.now() - t0) / 1000).toFixed(1)}` +
      ` s; load ${load()})`,
  );

  const secret = new TextEncoder().encode('a benchmark secret of enough length');
  await writeFile(join(dir, 'secret'), 'x', { mode: 0o600 });
  const base = {
    input,
    secret,
    schema: 'uk-person',
    map: {},
    idColumn: 'record_id',
    ignore: [],
    onInvalid: 'skip' as const,
  };

  // Bare encoder, one core: no CSV parsing, no output; the first 100,000 rows. After a warm-up
  // pass (JIT), several cold passes (caches cleared before each, as the clkhash figure above),
  // then a warm one (caches kept from the pass before).
  {
    const ok = sample;
    const effective = effectiveSchema(
      UK_PERSON,
      UK_PERSON.fields.map((f) => f.name),
    );
    const enc = new RecordEncoder({
      schema: effective,
      secret,
      columns: [1, 2, 3, 4, 5, 6, 7],
      idColumn: 0,
      idName: 'record_id',
      width: 8,
    });
    const token = 'AAAAAAAAAAAAAAAAAAAAAA';
    for (const r of ok) enc.encode(r, token);
    const timed = (): [number, number] => {
      const c0 = cpuSeconds();
      const t0 = performance.now();
      for (const r of ok) enc.encode(r, token);
      return [ok.length / ((performance.now() - t0) / 1000), ok.length / (cpuSeconds() - c0)];
    };
    const coldWall: number[] = [];
    const coldCpu: number[] = [];
    for (let p = 0; p < (quick ? 3 : 5); p++) {
      enc.clearCaches();
      const [w, c] = timed();
      coldWall.push(w);
      coldCpu.push(c);
    }
    const [warmWall, warmCpu] = timed();
    const bestCold = Math.max(...coldCpu);
    console.log(
      `    bare record encoder, one core (${fmt(ok.length)} rows), ${coldCpu.length} cold passes: ` +
        `${range(coldWall)} records/s wall, ${range(coldCpu)} per CPU-second`,
    );
    console.log(`    bare record encoder, warm pass: ${fmt(warmWall)} records/s wall, ${fmt(warmCpu)} per CPU-second`);
    console.log(
      `    uk-person cold / clkhash cold, per CPU-second: ${(bestCold / clkhashColdCpu).toFixed(2)} (best ` +
        `cold pass against the clkhash cold figure of this run)`,
    );
  }

  let c0 = cpuSeconds();
  const one = await encodeCsv({ ...base, out: join(dir, 'one.enc'), threads: 1 });
  const oneCpu = cpuSeconds() - c0;
  const rssOne = process.memoryUsage().rss;
  console.log(
    `    encode command, 1 thread:  ${fmt(one.rate)} rows/s wall, ${fmt(one.rows / oneCpu)} per ` +
      `CPU-second (${one.seconds.toFixed(1)} s, ${one.encoded} encoded, ${one.rows - one.encoded} rejected; ` +
      `load ${load()})`,
  );
  c0 = cpuSeconds();
  const all = await encodeCsv({ ...base, out: join(dir, 'all.enc'), threads: cores });
  const allCpu = cpuSeconds() - c0;
  console.log(
    `    encode command, ${cores} threads: ${fmt(all.rate)} rows/s = ${fmt(all.rate / cores)} per core wall, ` +
      `${fmt(all.rows / allCpu)} per CPU-second of all threads (${all.seconds.toFixed(1)} s; load ${load()})`,
  );
  console.log(`    speed-up over one thread: ${(all.rate / one.rate).toFixed(2)}×`);
  console.log(
    `    main-process RSS after the runs: ` +
      `${(Math.max(rssOne, process.memoryUsage().rss) / 2 ** 20).toFixed(0)} MiB (peak ` +
      `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB)`,
  );
  const rejected = Object.entries(all.rejected)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5);
  if (rejected.length) console.log(`    rejected by reason: ${rejected.map(([r, c]) => `${c} × ${r}`).join('; ')}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
