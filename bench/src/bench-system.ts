/**
 * `npm run bench:system`: the whole path on real PostgreSQL through HTTPS, as a council with a resident
 * index would run it. `blindlink-broker serve --no-worker` and N `blindlink-broker worker` processes on a
 * fresh database; the agencies enrol, encode, submit, run and ask for releases with `blindlink-agency`
 * over mutual TLS, each command a separate process. Stages: enrol, encode, submit, a full run, then a
 * daily 1% change in every source (encode, submit) and an incremental run, then every release form the
 * policy grants; the runs and releases again for each worker count. Per stage: wall time, rows/s, peak
 * resident memory and CPU seconds of the broker, each worker and the agency program (CPU seconds say what a
 * stage cost apart from the machine's other load), and the p50/p99/max latency of a
 * probe request sent every 100 ms. Figures and targets met or missed, never assertions.
 *
 *   npm run bench:system -- [--agencies 16] [--rows 250000] [--workers 1,2] [--submit-parallel 4]
 *                           [--database-url postgres://postgres@127.0.0.1:5432] [--keep] [--worker-cpu-prof DIR]
 *
 * `--rows` is the mean rows per agency: the sources differ in size as real ones do (docs/runs.md).
 * Develop with `--agencies 4 --rows 10000`; the full size takes hours on a shared 2-core machine.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type Council, dailyChange, generateCouncil, releaseRequests, writePolicy } from './system/council.js';
import { MemorySampler, Probe, type ProbeFigures } from './system/monitor.js';
import { AGENCY_BIN, BROKER_BIN, type LongRunning, must, start } from './system/processes.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
};
const AGENCIES = Number(arg('agencies', '16'));
const ROWS = Number(arg('rows', '250000'));
const WORKERS = arg('workers', '1,2').split(',').map(Number);
const SUBMIT_PARALLEL = Number(arg('submit-parallel', '4'));
const SERVER = arg('database-url', 'postgres://postgres@127.0.0.1:5432').replace(/\/$/, '');
const KEEP = process.argv.includes('--keep');
/** `--worker-cpu-prof DIR`: each worker writes V8 CPU profiles (its main thread and the engine's) to DIR on exit. */
const WORKER_PROF = arg('worker-cpu-prof', '');
const PURPOSE = 'resident-index';
const TARGETS = { probeMaxMs: 1000, fullRunS: 300, incrementalRunS: 60, brokerRssMb: 4096 };

for (const [name, v] of [
  ['agencies', AGENCIES],
  ['rows', ROWS],
  ['submit-parallel', SUBMIT_PARALLEL],
] as const) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a whole number ≥ 1`);
}
if (AGENCIES < 2) throw new Error('--agencies must be at least 2 (council tax and police)');
if (WORKERS.some((w) => !Number.isInteger(w) || w < 1)) throw new Error('--workers must list whole numbers ≥ 1');

interface StageFigures {
  name: string;
  seconds: number;
  rows: number;
  peaks: Map<string, number>;
  cpu: Map<string, number>;
  probe: ProbeFigures;
  note?: string;
  kind?: 'full' | 'incremental';
}

const t0 = performance.now();
/** Ctrl-C or SIGTERM ends the stage under way: the report of the stages done, then the clean-up. */
const interrupted = new Promise<never>((_, reject) => {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => reject(new Error(`interrupted (${sig})`)));
});
interrupted.catch(() => {});
const log = (msg: string) =>
  process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(5)} s] ${msg}\n`);
const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

class Bench {
  readonly stages: StageFigures[] = [];
  readonly memory = new MemorySampler();
  probe: Probe | undefined;

  /** Time one stage; memory peaks and probe figures are those of this stage only. */
  async stage<T>(name: string, rows: number, f: () => Promise<T>, note?: (r: T) => string): Promise<T> {
    log(`${name}…`);
    this.memory.takePeaks();
    await this.probe?.take();
    const started = performance.now();
    const r = await Promise.race([f(), interrupted]);
    const seconds = (performance.now() - started) / 1000;
    const figures: StageFigures = {
      name,
      seconds,
      rows,
      ...this.memory.takePeaks(),
      probe: (await this.probe?.take()) ?? { sent: 0, failed: 0, p50: NaN, p99: NaN, max: NaN },
      ...(note ? { note: note(r) } : {}),
    };
    this.stages.push(figures);
    const peaks = [...figures.peaks]
      .map(([k, v]) => `${k} ${v.toFixed(0)} MB, ${(figures.cpu.get(k) ?? 0).toFixed(1)} CPU s`)
      .join('; ');
    const p = figures.probe;
    log(
      `${name}: ${seconds.toFixed(1)} s${figures.note ? ` — ${figures.note}` : ''}; peak RSS ${peaks}; probe ` +
        `p50/p99/max ${fmt(p.p50)}/${fmt(p.p99)}/${fmt(p.max)} ms, ${p.failed} of ${p.sent} lost`,
    );
    return r;
  }

  /** An agency command, its memory sampled as `agency`. */
  agency(args: string[], env: Record<string, string>) {
    let pid = 0;
    return must(AGENCY_BIN, args, env, (p) => {
      pid = p;
      this.memory.track(p, 'agency');
    }).finally(() => this.memory.untrack(pid));
  }
}

async function createDatabase(name: string): Promise<void> {
  const c = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await c.connect();
  try {
    await c.query(`drop database if exists ${name}`);
    await c.query(`create database ${name}`);
  } finally {
    await c.end();
  }
}

async function dropDatabase(name: string): Promise<void> {
  const c = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await c.connect();
  try {
    await c.query(`drop database if exists ${name} with (force)`);
  } finally {
    await c.end();
  }
}

/** The operator: register every agency, load the policy, an IG lead approves it. Returns the enrolment codes. */
async function operator(work: string, dataDir: string, env: Record<string, string>, council: Council) {
  const codes: Record<string, string> = {};
  for (const a of council.agencies) {
    const r = await must(BROKER_BIN, ['agency', 'register', a.slug, '--data-dir', dataDir], env);
    codes[a.slug] = JSON.parse(r.stdout).enrolmentCode;
  }
  const policyFile = join(work, 'policy.yaml');
  const policyId = writePolicy(policyFile, council, PURPOSE);
  await must(BROKER_BIN, ['policy', 'load', policyFile, '--data-dir', dataDir], env);
  const ig = await must(BROKER_BIN, ['user', 'add', 'iona', '--role', 'ig-lead', '--data-dir', dataDir], env);
  writeFileSync(join(work, 'iona.pw'), JSON.parse(ig.stdout).password + '\n', { mode: 0o600 });
  await must(
    BROKER_BIN,
    [
      'policy',
      'approve',
      policyId,
      '1',
      '--as',
      'iona',
      '--password-file',
      join(work, 'iona.pw'),
      '--data-dir',
      dataDir,
    ],
    env,
  );
  return codes;
}

/** Where a run's time went, as its worker recorded it (load, engine stages, store), seconds. */
async function runSeconds(databaseUrl: string, runId: string): Promise<string> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const r = await c.query('select stats from run where id = $1', [runId]);
    const seconds = (r.rows[0]?.stats as { seconds?: Record<string, number> } | null)?.seconds ?? {};
    return Object.entries(seconds)
      .map(([k, v]) => `${k} ${v.toFixed(1)}`)
      .join(', ');
  } finally {
    await c.end();
  }
}

/** Run `f` over `items`, at most `n` at once. */
async function inParallel<T>(items: T[], n: number, f: (item: T) => Promise<unknown>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(n, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await f(item);
    }),
  );
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'bench-system-'));
  const dbName = `blindlink_bench_system_${process.pid}`;
  const databaseUrl = `${SERVER}/${dbName}`;
  const env = { DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' };
  const dataDir = join(work, 'broker');
  const bench = new Bench();
  const workers: LongRunning[] = [];
  let broker: LongRunning | undefined;
  await createDatabase(dbName);
  log(
    `work in ${work}, database ${dbName}; load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  const load: number[] = [];
  const loadTimer = setInterval(() => load.push(loadavg()[0]!), 10_000);
  loadTimer.unref();
  try {
    const council = await bench.stage('generate (blindlink-synth)', 0, () => generateCouncil(work, AGENCIES, ROWS));
    const total = (day: number) => council.agencies.reduce((s, a) => s + a.rows[day]!, 0);
    bench.stages.at(-1)!.rows = total(0);
    log(
      `${council.agencies.length} agencies, ${total(0).toLocaleString('en-GB')} rows from ` +
        `${council.persons.map((p) => p.toLocaleString('en-GB')).join(' + ')} persons: ` +
        council.agencies.map((a) => `${a.slug} ${a.rows[0]}`).join(', '),
    );
    const codes = await operator(work, dataDir, env, council);

    broker = await start(
      BROKER_BIN,
      ['serve', '--no-worker', '--port', '0', '--data-dir', dataDir],
      env,
      /listening on (https:\/\/\S+)/,
    );
    bench.memory.track(broker.pid, 'broker');
    const url = (broker as LongRunning & { match: RegExpMatchArray }).match[1]!;
    const caFile = join(dataDir, 'keys', 'ca.cert.pem');
    bench.probe = new Probe(new URL('/v1/broker', url).href, readFileSync(caFile, 'utf8'));
    bench.probe.start();
    const agencyEnv = { BLINDLINK_BROKER: url };
    const keyDir = (slug: string) => join(work, 'keys', slug);
    const secret = join(work, 'linkage.secret');
    writeFileSync(secret, 'bench-system linkage secret, held by the agencies only\n', { mode: 0o600 });

    await bench.stage('enrol', 0, async () => {
      for (const a of council.agencies) {
        await bench.agency(
          ['enrol', '--agency', a.slug, '--code', codes[a.slug]!, '--ca-file', caFile, '--key-dir', keyDir(a.slug)],
          agencyEnv,
        );
      }
    });

    const enc = (slug: string, day: number) => join(work, `enc-${day}`, `${slug}.enc`);
    const encodeAndSubmit = async (day: number, label: string) => {
      mkdirSync(join(work, `enc-${day}`), { recursive: true });
      await bench.stage(`${label}encode`, total(day), async () => {
        for (const a of council.agencies) {
          await bench.agency(
            [
              'encode',
              '--input',
              a.csv[day]!,
              '--secret-file',
              secret,
              '--out',
              enc(a.slug, day),
              '--ignore',
              a.header
                .filter((h) => h !== 'record_id' && !a.identifiers.includes(h) && !a.attributes.includes(h))
                .join(','),
              ...(a.attributes.length ? ['--attributes', a.attributes.join(',')] : []),
              '--on-invalid',
              'missing',
            ],
            {},
          );
          log(`  encoded ${a.slug}: ${a.rows[day]!.toLocaleString('en-GB')} rows`);
        }
      });
      await bench.stage(`${label}submit (${SUBMIT_PARALLEL} at once)`, total(day), () =>
        inParallel(council.agencies, SUBMIT_PARALLEL, (a) =>
          bench
            .agency(['submit', '--key-dir', keyDir(a.slug), '--purpose', PURPOSE, '--in', enc(a.slug, day)], agencyEnv)
            .then(() => log(`  submitted ${a.slug}`)),
        ),
      );
    };
    await encodeAndSubmit(0, '');

    const ct = council.slug('council_tax')!;
    const common = ['--key-dir', keyDir(ct), '--purpose', PURPOSE];
    const linkRun = async (name: string, rows: number, kind: 'full' | 'incremental') => {
      await bench.stage(
        name,
        rows,
        async () => {
          // A worker that dies (out of memory) would leave the run waiting for a takeover that never comes.
          const died = Promise.race(workers.map((w, i) => w.exited.then((how) => `worker ${i + 1} ${how}`)));
          const r = await Promise.race([
            bench.agency(['run', ...common, ...(kind === 'full' ? ['--full'] : [])], agencyEnv),
            died.then((why) => Promise.reject(new Error(`${name}: ${why}`))),
          ]);
          const status = JSON.parse(r.stdout) as {
            mode: string;
            modeReason: string | null;
            matchedPairs: number;
            runId: string;
          };
          return { status, seconds: await runSeconds(databaseUrl, status.runId) };
        },
        ({ status: r, seconds }) =>
          `${r.mode}, ${r.matchedPairs.toLocaleString('en-GB')} matched pairs; ${seconds}` +
          (r.mode === kind ? '' : ` — expected ${kind}: ${r.modeReason}`),
      );
      bench.stages.at(-1)!.kind = kind;
    };

    let day = 0;
    for (const n of WORKERS) {
      const tag = `[${n} worker${n > 1 ? 's' : ''}] `;
      for (let i = 0; i < n; i++) {
        const prof = WORKER_PROF ? ['--cpu-prof', `--cpu-prof-dir=${WORKER_PROF}`] : [];
        const w = await start(BROKER_BIN, ['worker', '--data-dir', dataDir], env, undefined, prof);
        bench.memory.track(w.pid, `worker ${i + 1}`);
        workers.push(w);
      }
      await linkRun(`${tag}full run`, total(day), 'full');
      day++;
      const changed = await dailyChange(work, council, day);
      log(`day ${day}: ${changed.toLocaleString('en-GB')} rows changed across the agencies`);
      await encodeAndSubmit(day, `${tag}daily 1%: `);
      await linkRun(`${tag}incremental run`, total(day), 'incremental');
      for (const r of releaseRequests(council)) {
        const out = join(work, `release-${r.form}-${n}`);
        await bench.stage(`${tag}release ${r.form}`, 0, () =>
          bench.agency([...r.args, ...common, '--tokens', `${enc(ct, day)}.tokens.csv`, '--out', out], agencyEnv),
        );
      }
      for (const w of workers.splice(0)) {
        bench.memory.untrack(w.pid);
        await w.stop();
      }
    }
    report(bench, council.agencies.length, total(0), load, true);
  } catch (err) {
    // What completed is still worth its figures: say which stage failed and why.
    log(`FAILED: ${err instanceof Error ? err.message : String(err)}`);
    report(bench, AGENCIES, bench.stages[0]?.rows ?? 0, load, false);
    process.exitCode = 1;
  } finally {
    clearInterval(loadTimer);
    bench.probe?.stop();
    bench.memory.stop();
    for (const w of workers) await w.stop();
    await broker?.stop();
    if (!KEEP) {
      await dropDatabase(dbName);
      rmSync(work, { recursive: true, force: true });
    } else log(`kept ${work} and database ${dbName}`);
  }
}

function report(bench: Bench, agencies: number, rows: number, load: number[], completed: boolean): void {
  const labels = [...new Set(bench.stages.flatMap((s) => [...s.peaks.keys()]))].sort((a, b) =>
    a === 'broker' ? -1 : b === 'broker' ? 1 : a.localeCompare(b),
  );
  console.log(
    `\n## bench:system — ${agencies} agencies, ${rows.toLocaleString('en-GB')} rows ` +
      `(mean ${Math.round(rows / agencies).toLocaleString('en-GB')} per agency), PostgreSQL, ` +
      `workers ${WORKERS.join(', ')}; load average (1 min) during the bench ` +
      `${fmt(Math.min(...load), 1)}–${fmt(Math.max(...load), 1)}\n`,
  );
  const head = [
    'stage',
    'wall s',
    'rows/s',
    ...labels.map((l) => `${l} MB / CPU s`),
    'probe p50 ms',
    'p99',
    'max',
    'lost',
  ];
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map(() => '---').join('|')}|`);
  for (const s of bench.stages) {
    const cells = [
      `${s.name}${s.note ? ` (${s.note})` : ''}`,
      fmt(s.seconds, 1),
      s.rows ? fmt(s.rows / s.seconds) : '',
      ...labels.map((l) => (s.peaks.has(l) ? `${fmt(s.peaks.get(l)!)} / ${fmt(s.cpu.get(l) ?? NaN, 1)}` : '–')),
      fmt(s.probe.p50),
      fmt(s.probe.p99),
      fmt(s.probe.max),
      `${s.probe.failed}/${s.probe.sent}`,
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
  const runs = bench.stages.filter((s) => s.kind);
  const brokerPeak = Math.max(...bench.stages.map((s) => s.peaks.get('broker') ?? 0));
  const check = (ok: boolean, what: string) => console.log(`${ok ? 'met   ' : 'MISSED'}  ${what}`);
  console.log('\n### Targets');
  check(completed, `completes on this machine (${agencies} agencies, ${rows.toLocaleString('en-GB')} rows)`);
  const probeMax = Math.max(...runs.map((s) => s.probe.max));
  const lost = runs.reduce((n, s) => n + s.probe.failed, 0);
  if (runs.length === 0) console.log('–       no run was reached: the run targets were not measured');
  else
    check(
      probeMax < TARGETS.probeMaxMs && lost === 0,
      `probe max latency during runs < ${TARGETS.probeMaxMs} ms: ${fmt(probeMax)} ms, ${lost} probes lost`,
    );
  for (const s of runs) {
    const limit = s.kind === 'full' ? TARGETS.fullRunS : TARGETS.incrementalRunS;
    check(s.seconds < limit, `${s.name} < ${limit} s: ${fmt(s.seconds, 1)} s`);
  }
  if (brokerPeak === 0) console.log('–       the broker was not started: its memory was not measured');
  else check(brokerPeak < TARGETS.brokerRssMb, `broker RSS < ${TARGETS.brokerRssMb} MB: peak ${fmt(brokerPeak)} MB`);
  if (AGENCIES !== 16 || ROWS !== 250_000)
    console.log('(the targets are set for --agencies 16 --rows 250000; this run was smaller)');
}

await main();
