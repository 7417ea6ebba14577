/**
 * `npm run bench:link`: the linkage engine at scale.
 *  1. the Dice kernel beside a C loop compiled -O3 -march=native, in the same run (bench-kernel);
 *  2. two sources of one million synthetic records each (1024-bit CLKs, clustered in families, keyed
 *     blocking tokens) linked end to end — blocking, scoring, entities, ids — with time, peak memory
 *     and pair completeness (share of true pairs that end in one entity).
 * `--quick`: 100,000 per source and a short kernel run.
 */
import { randomUUID } from 'node:crypto';
import { link, type EngineSource } from '@blindlink/broker';
import { runKernelBench } from './bench-kernel.js';
import { syntheticData } from './bench-blocking.js';

const quick = process.argv.includes('--quick');
const n = Number(process.argv.find((a) => a.startsWith('--n='))?.slice(4) ?? (quick ? 100_000 : 1_000_000));

console.log('## Dice kernel (one core) beside C -O3 -march=native');
await runKernelBench(quick ? { nA: 500, nB: 5000, repeats: 1 } : {});

console.log(`\n## Two sources of ${n.toLocaleString('en-GB')} synthetic records, end to end`);
const g0 = performance.now();
const data = syntheticData(n);
console.log(`generated in ${((performance.now() - g0) / 1000).toFixed(1)} s (not counted)`);
const source = (name: string, set: typeof data.A, blocks: Uint8Array[]): EngineSource => ({
  name,
  duplicateFree: true,
  tokens: Array.from({ length: set.count }, (_, i) => String(i)),
  clkBits: set.bits,
  clks: Array.from({ length: set.count }, (_, i) => set.get(i)),
  fieldSpecs: [],
  fieldMasks: new Uint8Array(set.count),
  fields: new Array(set.count).fill(null),
  blocks,
});
const A = source('a', data.A, data.blocksA);
const B = source('b', data.B, data.blocksB);

const cpu0 = process.cpuUsage();
const t0 = performance.now();
const result = link([A, B], { diceThreshold: 0.8, runId: randomUUID() });
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);

let together = 0;
for (let k = 0; k < data.truth.length; k += 2) {
  if (result.entityIds[data.truth[k]!] === result.entityIds[n + data.truth[k + 1]!]) together++;
}
const truePairs = data.truth.length / 2;
console.log(
  `linked in ${seconds.toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU (target: under 60 s)`,
);
console.log(
  `stage times: ${Object.entries(result.stats.seconds)
    .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
    .join(', ')}`,
);
console.log(`peak resident memory: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
console.log(
  `candidate pairs: ${result.stats.candidatePairs.toLocaleString('en-GB')} (` +
    `${(result.stats.candidatePairs / n).toFixed(2)} per record); links accepted: ` +
    `${result.stats.linksAccepted.toLocaleString('en-GB')}; entities: ` +
    `${result.stats.entities.toLocaleString('en-GB')}`,
);
console.log(
  `true pairs linked into one entity: ${together.toLocaleString('en-GB')} of ` +
    `${truePairs.toLocaleString('en-GB')} = ${(together / truePairs).toFixed(4)} ` +
    `(target pair completeness ≥ 0.995)`,
);
console.log(`scoring: ${result.scoring.reasoning.join(' ')}`);
