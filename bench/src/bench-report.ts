/**
 * `npm run bench:report [-- --persons N,N] [-- --repeat R]`: CPU seconds of the per-submission privacy
 * report (every attack, the shipped background, no truth: as the job runs it) on the synthetic GP extract
 * encoded with the default scheme, and its digest. Each size runs R reports one after another in one
 * kept report thread (jobs/privacy-thread.ts), so the first includes the thread's start and background
 * tables and the rest show a kept thread's cost. CPU is the whole process's (the thread's included).
 * Figures, not assertions; the digest must not change when only speed changes (privacy-digest.test.ts).
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg, tmpdir } from 'node:os';
import type { EncodedHeader, EncodedRecord } from '@blindlink/protocol';
import { threadReport } from '@blindlink/broker/privacy-thread';
import { encodeAgencies, synthAgencies } from './quality.js';

const arg = (name: string): string | undefined =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined;
const SIZES = (arg('--persons') ?? '800,20000').split(',').map(Number);
const REPEAT = Number(arg('--repeat') ?? 2);
const WORK = join(tmpdir(), `blindlink-bench-report-${process.pid}`);

for (const persons of SIZES) {
  const data = join(WORK, `synth-${persons}`);
  mkdirSync(data, { recursive: true });
  await synthAgencies(data, persons, 'bench-report', ['nhs_gp']);
  await encodeAgencies(data, data, ['nhs_gp'], 'uk-person');
  const lines = readFileSync(join(data, 'nhs_gp.enc'), 'utf8').trim().split('\n');
  const source = {
    name: 'nhs_gp',
    header: JSON.parse(lines[0]!) as EncodedHeader,
    records: lines.slice(1).map((l) => JSON.parse(l) as EncodedRecord),
  };
  for (let i = 0; i < REPEAT; i++) {
    const load = loadavg()[0]!.toFixed(1);
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    const report = await threadReport({ source, notes: [] });
    const used = process.cpuUsage(cpu);
    console.log(
      `${persons} persons, ${source.records.length} records, report ${i + 1}: ` +
        `${((used.user + used.system) / 1e6).toFixed(2)} s CPU, ` +
        `${((performance.now() - t0) / 1000).toFixed(2)} s wall, ` +
        `load ${load}, ${report.digest}`,
    );
  }
}
rmSync(WORK, { recursive: true, force: true });
