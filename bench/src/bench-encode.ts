// Encoding speed: (a) the clkhash-compatible encoder on FEBRL 4 dataset4a with clkhash's FEBRL
// schema, warm and cold caches, one core; (b) blindlink's own uk-person encoding of synthetic rows
// (1,000,000; 100,000 with --quick) through the whole `encode` command (CSV in, files out), on one
// thread and on every core, plus the bare per-row encoder on one core. The machine may be shared:
// the load average is printed so the figures can be read against it.
// --input CSV measures a CSV of the caller's instead of generated rows (its header names the uk-person
// fields it has and a record_id column: e.g. a blindlink-synth extract); every command run is
// repeated (--reps, default 3; 2 with --quick) so each figure is a range.
// Run: npx tsc -b bench && node bench/dist/bench-encode.js [--quick] [--rows N] [--input CSV] [--reps N]
import { createWriteStream, readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClkEncoder, parseClkSchema, pythonStrip } from '@blindlink/agency-client/clkhash';
import { formatDate, generatePopulation } from '@blindlink/synth';
import { csvLine, encodeCsv, type EncodeSummary } from '@blindlink/agency-client';
// Not (yet) in the package's exports map: reached by path until "./encode" is exported.
import { effectiveSchema, RecordEncoder, UK_PERSON } from '@blindlink/agency-client/encode';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const rowsArg = args.indexOf('--rows');
const ROWS = rowsArg >= 0 ? Number(args[rowsArg + 1]) : quick ? 100_000 : 1_000_000;
const inputArg = args.indexOf('--input');
const INPUT = inputArg >= 0 ? args[inputArg + 1] : undefined;
const repsArg = args.indexOf('--reps');
const REPS = repsArg >= 0 ? Number(args[repsArg + 1]) : quick ? 2 : 3;
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
const GOAL = 100_000;
/** Ratios of a range of rates to the 100,000 rows per CPU-second goal. */
const goal = (xs: number[]): string =>
  xs.length === 1
    ? (xs[0]! / GOAL).toFixed(2)
    : `${(Math.min(...xs) / GOAL).toFixed(2)}–${(Math.max(...xs) / GOAL).toFixed(2)}`;
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
  /** Per pass: [records/s wall, records per CPU-second]. */
  const run = (enc: ClkEncoder, clear: boolean): [number[], number[]] => {
    const out = new Uint8Array(enc.clkBytes);
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let p = 0; p < passes; p++) {
      if (clear) enc.clearCaches();
      const c0 = cpuSeconds();
      const t0 = performance.now();
      for (const r of rows) enc.encodeInto(r, out);
      wall.push(rows.length / ((performance.now() - t0) / 1000));
      cpu.push(rows.length / (cpuSeconds() - c0));
    }
    return [wall, cpu];
  };
  const enc = ClkEncoder.fromSecret(schema, secret);
  run(enc, true); // JIT warm-up
  const [cold, coldCpu] = run(enc, true);
  const [warm, warmCpu] = run(enc, false);
  clkhashColdCpu = Math.max(...coldCpu);
  console.log(`(a) clkhash schema, FEBRL 4 dataset4a (${rows.length} rows), one core, ${passes} passes each:`);
  console.log(
    `    cold caches (cleared before each pass): ${range(cold)} records/s wall, ${range(coldCpu)} per CPU-second`,
  );
  console.log(
    `    warm caches:                            ${range(warm)} records/s wall, ${range(warmCpu)} per CPU-second`,
  );
}

// (b) uk-person on synthetic rows, or on the CSV given with --input.
const dir = await mkdtemp(join(tmpdir(), 'bench-encode-'));
try {
  let input = join(dir, 'people.csv');
  let header = ['record_id', 'given_name', 'surname', 'dob', 'sex', 'address', 'postcode', 'nhs_number'];
  let sample: string[][] = [];
  if (INPUT !== undefined) {
    input = INPUT;
    const all = parse(readFileSync(INPUT, 'utf8'), { to: 100_001 }) as string[][];
    header = all.shift()!;
    sample = all;
    console.log(`(b) uk-person, ${INPUT} (first ${fmt(sample.length)} rows for the bare encoder; load ${load()})`);
  } else {
    const t0 = performance.now();
    const out = createWriteStream(input);
    const write = async (s: string): Promise<void> => {
      if (!out.write(s)) await once(out, 'drain');
    };
    await write(csvLine(header));
    let n = 0;
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
  }
  const present = UK_PERSON.fields.map((f) => f.name).filter((f) => header.includes(f));
  const ignore = header.filter((c) => c !== 'record_id' && !present.includes(c));

  const secret = new TextEncoder().encode('a benchmark secret of enough length');
  await writeFile(join(dir, 'secret'), 'x', { mode: 0o600 });
  const base = {
    input,
    secret,
    schema: 'uk-person',
    map: {},
    idColumn: 'record_id',
    ignore,
    onInvalid: 'skip' as const,
  };

  // Bare encoder, one core: no CSV parsing, no output; the first 100,000 rows. After a warm-up
  // pass (JIT), several cold passes (caches cleared before each, as the clkhash figure above),
  // then a warm one (caches kept from the pass before).
  {
    const ok = sample;
    const effective = effectiveSchema(UK_PERSON, present);
    const enc = new RecordEncoder({
      schema: effective,
      secret,
      columns: effective.fields.map((f) => header.indexOf(f.name)),
      idColumn: header.indexOf('record_id'),
      idName: 'record_id',
      width: header.length,
    });
    const token = 'AAAAAAAAAAAAAAAAAAAAAA';
    // In batches of 2,000 with their flip noise prepared at once, as the encode command runs it.
    const batches: string[][][] = [];
    for (let i = 0; i < ok.length; i += 2000) batches.push(ok.slice(i, i + 2000));
    const pass = (): void => {
      for (const b of batches) {
        enc.prepare(b);
        for (const r of b) enc.encode(r, token);
      }
    };
    pass();
    const timed = (): [number, number] => {
      const c0 = cpuSeconds();
      const t0 = performance.now();
      pass();
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
        `cold pass against the clkhash cold figure of this run); / the 100,000 goal: ${goal(coldCpu)}`,
    );
  }

  // The whole command (CSV in, files out), REPS times on one thread, then REPS times on every core.
  const commandRuns = async (threads: number): Promise<{ wall: number[]; cpu: number[]; last: EncodeSummary }> => {
    const wall: number[] = [];
    const cpu: number[] = [];
    let last: EncodeSummary | undefined;
    for (let r = 0; r < REPS; r++) {
      const c0 = cpuSeconds();
      last = await encodeCsv({ ...base, out: join(dir, `out-${threads}-${r}.enc`), threads });
      cpu.push(last.rows / (cpuSeconds() - c0));
      wall.push(last.rate);
      await rm(join(dir, `out-${threads}-${r}.enc`), { force: true });
      await rm(join(dir, `out-${threads}-${r}.enc.tokens.csv`), { force: true });
    }
    return { wall, cpu, last: last! };
  };
  const one = await commandRuns(1);
  const rssOne = process.memoryUsage().rss;
  console.log(
    `    encode command, 1 thread, ${REPS} runs: ${range(one.wall)} rows/s wall, ${range(one.cpu)} per ` +
      `CPU-second (${one.last.encoded} encoded, ${one.last.rows - one.last.encoded} rejected; load ${load()})`,
  );
  const many = await commandRuns(cores);
  const all = many.last;
  console.log(
    `    encode command, ${cores} threads, ${REPS} runs: ${range(many.wall)} rows/s wall on all cores ` +
      `(${range(many.wall.map((w) => w / cores))} per core), ${range(many.cpu)} per CPU-second of all threads ` +
      `(load ${load()})`,
  );
  console.log(
    `    speed-up over one thread: ${(Math.max(...many.wall) / Math.max(...one.wall)).toFixed(2)}× (best runs)`,
  );
  console.log(
    `    uk-person encode command, one thread, per CPU-second / clkhash cold: ` +
      `${(Math.max(...one.cpu) / clkhashColdCpu).toFixed(2)}; / the 100,000 goal: ${goal(one.cpu)}; ` +
      `with ${cores} threads, per CPU-second of all threads / the goal: ${goal(many.cpu)}; target ` +
      `${Math.max(...one.cpu) >= GOAL ? 'met' : 'not met'} (best run on one thread ${fmt(Math.max(...one.cpu))})`,
  );
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
