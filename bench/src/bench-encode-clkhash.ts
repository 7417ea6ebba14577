// Benchmark of the clkhash-compatible encoder on FEBRL 4 dataset4a (5,000 rows, clkhash's FEBRL
// schema). Prints records/s on one core with warm caches, with caches cleared before each pass
// of the 5,000 rows (repeats within a pass still hit), with caching disabled, the end-to-end
// command (CSV parsing + JSON writing included), and the worker-thread speed-up.
// Run: node bench/dist/bench-encode-clkhash.js   (CLKHASH_BENCH_REPEAT=n scales the run length)
import { readFile, mkdtemp, writeFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ClkEncoder,
  encodeClkhashCommand,
  inThreadEncoder,
  parseClkSchema,
  pythonStrip,
  workerPoolEncoder,
  type BatchEncoder,
} from '@blindlink/agency-client/clkhash';

const DATA = process.env.FEBRL4_DIR ?? '/work/shared/data/febrl4/';
const REPEAT = Number(process.env.CLKHASH_BENCH_REPEAT ?? '20');

const schemaJson: unknown = JSON.parse(await readFile(join(DATA, 'clkhash_schema_v3.json'), 'utf8'));
const schema = parseClkSchema(schemaJson);
const secret = new TextEncoder().encode('secret');
const rows = (await readFile(join(DATA, 'dataset4a.csv'), 'utf8'))
  .split('\n')
  .slice(1)
  .filter((l) => l.length > 0)
  .map((l) => l.split(',').map(pythonStrip));

const rate = (n: number, ms: number): string => `${Math.round(n / (ms / 1000)).toLocaleString('en-GB')} records/s`;

function timePasses(passes: number, makeEncoder: () => ClkEncoder, freshPerPass: boolean): number {
  const enc = makeEncoder();
  const out = new Uint8Array(enc.clkBytes);
  let ms = 0;
  for (let p = 0; p < passes; p++) {
    if (freshPerPass) enc.clearCaches();
    const t0 = performance.now();
    for (const r of rows) enc.encodeInto(r, out);
    ms += performance.now() - t0;
  }
  return ms;
}

console.log(`clkhash encoder benchmark: FEBRL 4 dataset4a, ${rows.length} rows, l=${schema.l}, one core unless stated`);

// Warm-up so the JIT has optimised the hot paths before anything is timed.
timePasses(2, () => ClkEncoder.fromSecret(schema, secret), true);

const warmEnc = ClkEncoder.fromSecret(schema, secret);
timePasses(1, () => warmEnc, false);
const warmMs = timePasses(REPEAT, () => warmEnc, false);
console.log(`warm caches (rows repeated ${REPEAT}×):          ${rate(REPEAT * rows.length, warmMs)}`);

const coldPasses = Math.max(2, Math.round(REPEAT / 4));
const coldMs = timePasses(coldPasses, () => ClkEncoder.fromSecret(schema, secret), true);
console.log(`cold caches (cleared before each 5,000-row pass): ${rate(coldPasses * rows.length, coldMs)}`);

const noCacheMs = timePasses(1, () => ClkEncoder.fromSecret(schema, secret, { cacheSize: 0 }), false);
console.log(`no caching at all (every token hashed):          ${rate(rows.length, noCacheMs)}`);

// End to end: CSV parse + validation + encoding + JSON output, fresh caches.
const dir = await mkdtemp(join(tmpdir(), 'clkhash-bench-'));
try {
  await writeFile(join(dir, 'secret'), 'secret\n', { mode: 0o600 });
  const e2e = await encodeClkhashCommand(
    {
      schema: join(DATA, 'clkhash_schema_v3.json'),
      secretFile: join(dir, 'secret'),
      input: join(DATA, 'dataset4a.csv'),
      out: join(dir, 'clks.json'),
      onInvalid: 'fail',
    },
    { warn: () => {} },
  );
  console.log(
    `end-to-end command on dataset4a.csv (cold):      ${rate(e2e.rows, e2e.seconds * 1000)} (` +
      `${e2e.seconds.toFixed(3)} s)`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}

// Worker threads: the same batches (warm caches) through the in-thread encoder and through a pool.
// Rows are cloned to the workers, so the main thread's share bounds the speed-up.
async function pipelineMs(encoder: BatchEncoder, batches: string[][][], warmup: string[][][]): Promise<number> {
  await Promise.all(warmup.map((b) => encoder.encode(b))); // JIT and caches of every thread
  const t0 = performance.now();
  const inFlight: Promise<unknown>[] = [];
  for (const b of batches) {
    inFlight.push(encoder.encode(b));
    if (inFlight.length >= 8) await inFlight.shift();
  }
  await Promise.all(inFlight);
  const ms = performance.now() - t0;
  await encoder.close();
  return ms;
}
const batches: string[][][] = [];
for (let r = 0; r < REPEAT; r++) for (let i = 0; i < rows.length; i += 1000) batches.push(rows.slice(i, i + 1000));
const total = batches.length * 1000;
const setup = { schemaJson, secret };
const cores = availableParallelism();
const warmup = Array.from({ length: Math.max(1, cores) }, () => batches.slice(0, 5)).flat();
const oneMs = await pipelineMs(inThreadEncoder(setup), batches, warmup);
console.log(`batch pipeline, 1 thread (incl. base64):         ${rate(total, oneMs)}`);
if (cores > 1) {
  const poolMs = await pipelineMs(workerPoolEncoder(setup, cores), batches, warmup);
  console.log(
    `batch pipeline, ${cores} worker threads:              ${rate(total, poolMs)} (speed-up ×` +
      `${(oneMs / poolMs).toFixed(2)} over 1 thread)`,
  );
} else {
  console.log('one core available: worker speed-up not measured');
}
