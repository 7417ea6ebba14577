/**
 * `npm run bench:pairs`: where the candidate pairs of a many-source run come from, in process (no
 * HTTP, no database). Builds the system bench's council (two boroughs of the generator's eight
 * sources, `--rows` the mean per agency), encodes it with uk-person, and blocks every partition the
 * way a run does (`linkPartition`), then breaks its pairs down against the generator's truth:
 * within a source or across, from keyed tokens, from CLK LSH or from the exact pass, true or false,
 * token-block sizes, and the floor (a person held k times has k(k−1)/2 true pairs).
 * `--link` also links the whole council and prints the pairwise precision and recall over every
 * source. `--time` only blocks every partition as a run's jobs do (each source versioned, as a run's
 * loader sends it, so prepared once) and prints the CPU and wall seconds and a digest of every
 * partition's pairs, similarities and LSH plan: the same digest, the same blocking. Figures, not
 * assertions.
 *
 *   node bench/dist/bench-pairs.js [--agencies 16] [--rows 5000] [--work DIR] [--link | --time]
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import {
  checkCompatible,
  link,
  linkPartition,
  planPartitions,
  prepareSources,
  readSource,
  type EngineSource,
} from '@blindlink/broker';
import { lshPairs, tokenBlockPairs, type PairList } from '@blindlink/broker/blocking';
import { candidatesAbove, dice } from '@blindlink/broker/kernel';
import { encodeAgencies, synthAgencies } from './quality.js';

const arg = (name: string, def: string) => {
  const k = process.argv.indexOf(`--${name}`);
  return k >= 0 ? process.argv[k + 1]! : def;
};
const AGENCIES = Number(arg('agencies', '16'));
const ROWS = Number(arg('rows', '5000'));
const WORK = arg('work', join(tmpdir(), `blindlink-bench-pairs-${AGENCIES}x${ROWS}`));
const LINK = process.argv.includes('--link');
const TIME = process.argv.includes('--time');

/** The system bench's order (bench/src/system/council.ts); a second borough past eight. */
const SOURCES = ['council_tax', 'police', 'nhs_gp', 'electoral_roll', 'housing_benefit', 'schools', 'dwp', 'probation'];
/** Rows per person over the eight sources (the generator's mix: 2.79 at 57,385 persons). */
const ROWS_PER_PERSON = 2.79;

interface Loaded {
  sources: EngineSource[];
  /** Per source, per record: a dense person number (boroughs apart). */
  person: Int32Array[];
}

async function load(): Promise<Loaded> {
  const boroughs = Math.ceil(AGENCIES / SOURCES.length);
  const sources: EngineSource[] = [];
  const person: Int32Array[] = [];
  const personIds = new Map<string, number>();
  for (let b = 0; b < boroughs; b++) {
    const here = SOURCES.slice(0, Math.min(SOURCES.length, AGENCIES - b * SOURCES.length));
    const persons = Math.ceil((ROWS * here.length) / ROWS_PER_PERSON);
    const data = join(WORK, `borough-${b + 1}`);
    const enc = join(WORK, `enc-${b + 1}`);
    const cached = join(enc, 'records.json');
    let tokenPerson: Record<string, string>;
    if (existsSync(cached)) tokenPerson = JSON.parse(readFileSync(cached, 'utf8')) as Record<string, string>;
    else {
      mkdirSync(enc, { recursive: true });
      const t0 = performance.now();
      const { personOfRecord } = await synthAgencies(data, persons, `bench-system-borough-${b + 1}`, here);
      const t1 = performance.now();
      const tokenToRecord = await encodeAgencies(data, enc, here, 'uk-person');
      const t2 = performance.now();
      console.log(
        `borough ${b + 1}: ${persons} persons generated in ${((t1 - t0) / 1000).toFixed(0)} s, ` +
          `encoded in ${((t2 - t1) / 1000).toFixed(0)} s`,
      );
      tokenPerson = {};
      for (const [token, rec] of tokenToRecord) tokenPerson[token] = personOfRecord.get(rec) ?? '';
      writeFileSync(cached, JSON.stringify(tokenPerson));
    }
    for (const a of here) {
      const s = readSource(join(enc, `${a}.enc`), false);
      sources.push({
        ...s,
        name: `${a}-${b + 1}`,
        ...(a === 'council_tax' ? { population: 'adults' as const } : {}),
        ...(a === 'schools' ? { population: 'children' as const } : {}),
      });
      person.push(
        Int32Array.from(s.tokens, (t) => {
          const p = `${b}:${tokenPerson[t] ?? `unknown-${t}`}`;
          const known = personIds.get(p);
          if (known !== undefined) return known;
          personIds.set(p, personIds.size);
          return personIds.size - 1;
        }),
      );
    }
  }
  return { sources, person };
}

interface Tally {
  pairs: number;
  truePairs: number;
}
const tally = (): Tally => ({ pairs: 0, truePairs: 0 });

function countTrue(list: PairList, pa: Int32Array, pb: Int32Array, t: Tally): void {
  t.pairs += list.length;
  for (let k = 0; k < list.length; k++) if (pa[list.a[k]!] === pb[list.b[k]!]) t.truePairs++;
}

/** True pairs between sources i and j (i = j: inside i): Σ over persons of n_i·n_j, or C(n_i, 2). */
function truePairsOf(pa: Int32Array, pb: Int32Array, within: boolean): number {
  const count = new Map<number, number>();
  for (const p of pb) count.set(p, (count.get(p) ?? 0) + 1);
  if (within) {
    let s = 0;
    for (const n of count.values()) s += (n * (n - 1)) / 2;
    return s;
  }
  let s = 0;
  for (const p of pa) s += count.get(p) ?? 0;
  return s;
}

/** The true pairs of A × B that `list` lacks, by their record-level CLK Dice. */
function missedTrue(mine: EngineSource[], list: PairList, pa: Int32Array, pb: Int32Array, hist: number[]): void {
  const found = new Set<number>();
  for (let k = 0; k < list.length; k++) found.add(list.a[k]! * 2 ** 21 + list.b[k]!);
  const byPerson = new Map<number, number[]>();
  for (const [j, p] of pb.entries()) byPerson.set(p, [...(byPerson.get(p) ?? []), j]);
  pa.forEach((p, i) => {
    for (const j of byPerson.get(p) ?? []) {
      if (found.has(i * 2 ** 21 + j)) continue;
      const d = dice(mine[0]!.clks[i]!, mine[1]!.clks[j]!);
      hist[Math.max(0, Math.min(19, Math.floor(d * 20)))]!++;
    }
  });
}

/** Token-block sizes (records on the larger side) and the pairs each size class gives, across sources. */
function blockSizes(
  tokensA: readonly (Uint8Array | null)[],
  tokensB: readonly (Uint8Array | null)[],
  into: number[][],
) {
  const count = (side: readonly (Uint8Array | null)[]) => {
    const m = new Map<string, number>();
    for (const t of side) {
      if (!t) continue;
      for (let o = 0; o < t.length; o += 16) {
        const k = Buffer.from(t.buffer, t.byteOffset + o, 16).toString('latin1');
        m.set(k, (m.get(k) ?? 0) + 1);
      }
    }
    return m;
  };
  const a = count(tokensA);
  const b = count(tokensB);
  for (const [k, na] of a) {
    const nb = b.get(k);
    if (!nb) continue;
    const size = Math.max(na, nb);
    const cls =
      size <= 1 ? 0 : size <= 4 ? 1 : size <= 16 ? 2 : size <= 64 ? 3 : size <= 256 ? 4 : size <= 1000 ? 5 : 6;
    into[cls]![0]! += 1;
    into[cls]![1]! += size > 1000 ? 0 : na * nb;
  }
}
const SIZE_CLASSES = ['1', '2–4', '5–16', '17–64', '65–256', '257–1000', '>1000 (skipped)'];

const pct = (x: number, of: number) => `${((100 * x) / Math.max(of, 1)).toFixed(1)}%`;
const n = (x: number) => x.toLocaleString('en-GB');

async function main(): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  const { sources, person } = await load();
  const records = sources.reduce((s, x) => s + x.tokens.length, 0);
  console.log(`\n${sources.length} sources, ${n(records)} records (${WORK})`);
  const fields = checkCompatible(sources);
  const parts = planPartitions(sources);
  if (TIME) return timePartitions(sources.map((s) => ({ ...s, version: s.name })));
  const kinds = { within: tally(), across: tally() };
  const by = { tokens: tally(), lsh: tally(), exact: tally() };
  const floor = { within: 0, across: 0 };
  const sizes = SIZE_CLASSES.map(() => [0, 0]);
  let blockingSeconds = 0;
  // CLK Dice of the true cross-source pairs blocking missed, in 0.05 bins.
  const missedHist = new Array<number>(20).fill(0);
  const large = { blocks: 0, pairs: 0, kept: 0, lsh: 0, lshKept: 0 };
  let perPair: { name: string; pairs: number; truePairs: number; floor: number; exact: boolean }[] = [];
  // LSH pairs per record of A towards one other source, worst records.
  const lshPerRecord: number[] = [];
  // CLK Dice of the candidates in 0.05 bins: [across, within][true, false][bin].
  const diceHist = [0, 1].map(() => [0, 1].map(() => new Array<number>(20).fill(0)));
  for (const part of parts) {
    const within = part.i === part.j;
    const mine = within ? [sources[part.i]!] : [sources[part.i]!, sources[part.j]!];
    const pa = person[part.i]!;
    const pb = person[part.j]!;
    const t0 = performance.now();
    const r = linkPartition(mine, part, fields, { diceThreshold: 0.8, runId: 'bench-pairs' });
    blockingSeconds += r.seconds.blocking;
    large.blocks += r.stats.stats.largeBlocks;
    large.pairs += r.stats.stats.largeBlockPairs;
    large.kept += r.stats.stats.largeBlockKept;
    large.lsh += r.stats.stats.fromLsh;
    large.lshKept += r.stats.stats.lshKept;
    const list: PairList = { a: new Uint32Array(0), b: new Uint32Array(0), length: r.block.pairs.length / 2 };
    list.a = new Uint32Array(list.length);
    list.b = new Uint32Array(list.length);
    for (let k = 0; k < list.length; k++) {
      list.a[k] = r.block.pairs[2 * k]!;
      list.b[k] = r.block.pairs[2 * k + 1]!;
    }
    const t = tally();
    countTrue(list, pa, pb, t);
    if (!within) missedTrue(mine, list, pa, pb, missedHist);
    for (let k = 0; k < list.length; k++) {
      const d = r.similarities.clkDice[k]!;
      const bin = Math.max(0, Math.min(19, Math.floor(d * 20)));
      diceHist[within ? 1 : 0]![pa[list.a[k]!] === pb[list.b[k]!] ? 0 : 1]![bin]!++;
    }
    const f = truePairsOf(pa, pb, within);
    (within ? kinds.within : kinds.across).pairs += t.pairs;
    (within ? kinds.within : kinds.across).truePairs += t.truePairs;
    floor[within ? 'within' : 'across'] += f;
    perPair.push({
      name: `${mine[0]!.name} × ${mine[mine.length - 1]!.name}`,
      ...t,
      floor: f,
      exact: r.plan.exact,
    });
    // Each method on its own, as blockSourcePair calls it.
    const prep = prepareSources(mine, {}, fields);
    const B = within ? null : 1;
    const tok = tokenBlockPairs(
      prep.blocks[0]!,
      B === null ? null : prep.blocks[1]!,
      within ? { maxBlockSize: 100 } : {},
    );
    countTrue(tok.pairs, pa, pb, by.tokens);
    const lsh = lshPairs(prep.clkSets[0]!.view(), B === null ? null : prep.clkSets[1]!.view(), {
      ...(r.plan.lsh ? { plan: r.plan.lsh } : {}),
    });
    countTrue(lsh.pairs, pa, pb, by.lsh);
    if (!within) {
      const perA = new Uint32Array(mine[0]!.tokens.length);
      for (let k = 0; k < lsh.pairs.length; k++) perA[lsh.pairs.a[k]!]!++;
      for (const c of perA) lshPerRecord.push(c);
      blockSizes(prep.blocks[0]!, prep.blocks[1]!, sizes);
    }
    if (r.plan.exact) {
      const c = candidatesAbove(prep.clkSets[0]!, prep.clkSets[1]!, 0.6);
      const ex: PairList = { a: Uint32Array.from(c.a), b: Uint32Array.from(c.b), length: c.a.length };
      countTrue(ex, pa, pb, by.exact);
    }
    if (process.env.BENCH_PAIRS_VERBOSE) console.log(part, ((performance.now() - t0) / 1000).toFixed(1), 's');
  }
  const total = kinds.within.pairs + kinds.across.pairs;
  const tru = kinds.within.truePairs + kinds.across.truePairs;
  console.log(`\nblocking (the engine's partitions): ${blockingSeconds.toFixed(1)} s`);
  console.log(
    `candidate pairs ${n(total)} = ${(total / records).toFixed(2)} per record; true ${n(tru)} (${pct(tru, total)})`,
  );
  for (const k of ['within', 'across'] as const) {
    const x = kinds[k];
    console.log(
      `  ${k} a source: ${n(x.pairs)} (${pct(x.pairs, total)}), true ${n(x.truePairs)}; ` +
        `truth holds ${n(floor[k])} (blocking recall ${pct(x.truePairs, floor[k])})`,
    );
  }
  console.log(
    `  floor: ${n(floor.within + floor.across)} true pairs = ` +
      `${((floor.within + floor.across) / records).toFixed(2)} per record`,
  );
  console.log(
    `large token blocks: ${n(large.blocks)}, their pairs ${n(large.pairs)}, ` +
      `kept by record-level Dice ${n(large.kept)}; ` +
      `LSH pairs ${n(large.lsh)}, kept ${n(large.lshKept)}`,
  );
  console.log('by method, before any Dice floor (each alone, overlapping; exact only where the exact pass runs):');
  for (const [k, x] of Object.entries(by))
    console.log(`  ${k}: ${n(x.pairs)}, true ${n(x.truePairs)} (${pct(x.truePairs, x.pairs)})`);
  console.log('cross-source token blocks by size (larger side): blocks, pairs');
  for (const [k, c] of SIZE_CLASSES.entries())
    console.log(`  ${c}: ${n(sizes[k]![0]!)} blocks, ${n(sizes[k]![1]!)} pairs`);
  lshPerRecord.sort((x, y) => x - y);
  const q = (p: number) => lshPerRecord[Math.min(lshPerRecord.length - 1, Math.floor(p * lshPerRecord.length))] ?? 0;
  console.log(
    `LSH pairs per record towards one other source: p50 ${q(0.5)}, p90 ${q(0.9)}, p99 ${q(0.99)}, max ${q(1)}`,
  );
  for (const [w, label] of ['across', 'within'].entries()) {
    console.log(`record-level CLK Dice of the candidates ${label} sources (bin: true, false, cumulative true below):`);
    let below = 0;
    const trueAll = diceHist[w]![0]!.reduce((x, y) => x + y, 0);
    for (let b = 0; b < 20; b++) {
      const [tt, ff] = [diceHist[w]![0]![b]!, diceHist[w]![1]![b]!];
      if (tt + ff) console.log(`  ${(b / 20).toFixed(2)}: ${n(tt)}, ${n(ff)}, ${pct(below, trueAll)}`);
      below += tt;
    }
  }
  console.log(`record-level CLK Dice of the true cross-source pairs blocking missed (bin: pairs):`);
  for (let b = 0; b < 20; b++) if (missedHist[b]) console.log(`  ${(b / 20).toFixed(2)}: ${n(missedHist[b]!)}`);
  perPair = perPair.sort((x, y) => y.pairs - x.pairs).slice(0, 8);
  console.log('largest partitions: pairs, true, floor');
  for (const p of perPair)
    console.log(`  ${p.name}${p.exact ? ' (exact pass)' : ''}: ${n(p.pairs)}, ${n(p.truePairs)}, ${n(p.floor)}`);

  if (LINK) {
    const t0 = performance.now();
    const result = link(sources, { diceThreshold: 0.8, runId: 'bench-pairs' });
    const byEntity = new Map<string, number>();
    const byPerson = new Map<number, number>();
    const byBoth = new Map<string, number>();
    let g = 0;
    person.forEach((ps) => {
      for (const p of ps) {
        const e = result.entityIds[g++]!;
        byEntity.set(e, (byEntity.get(e) ?? 0) + 1);
        byPerson.set(p, (byPerson.get(p) ?? 0) + 1);
        byBoth.set(`${e}|${p}`, (byBoth.get(`${e}|${p}`) ?? 0) + 1);
      }
    });
    const pairsIn = (m: Map<unknown, number>) => [...m.values()].reduce((s, c) => s + (c * (c - 1)) / 2, 0);
    const predicted = pairsIn(byEntity);
    const truth = pairsIn(byPerson);
    const tp = pairsIn(byBoth);
    const precision = tp / Math.max(predicted, 1);
    const recall = tp / Math.max(truth, 1);
    const f1 = (2 * precision * recall) / (precision + recall);
    console.log(
      `\nlinked in ${((performance.now() - t0) / 1000).toFixed(0)} s: ${n(result.stats.candidatePairs)} candidate ` +
        `pairs, ${n(result.stats.entities)} entities; pairwise over every source: precision ` +
        `${precision.toFixed(4)}, recall ${recall.toFixed(4)}, F1 ${f1.toFixed(4)} ` +
        `(tp ${n(tp)}, fp ${n(predicted - tp)}, fn ${n(truth - tp)})`,
    );
  }
}

/** Every partition blocked as a run's jobs block it: CPU and wall seconds, and a digest of what they hand on. */
function timePartitions(sources: EngineSource[]): void {
  const fields = checkCompatible(sources);
  const parts = planPartitions(sources);
  const digest = createHash('sha256');
  const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let pairs = 0;
  let exact = 0;
  const seconds = { blocking: 0, similarities: 0 };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const part of parts) {
    const mine = part.i === part.j ? [sources[part.i]!] : [sources[part.i]!, sources[part.j]!];
    const r = linkPartition(mine, part, fields, { diceThreshold: 0.8, runId: 'bench-pairs' });
    pairs += r.block.pairs.length / 2;
    if (r.plan.exact) exact++;
    seconds.blocking += r.seconds.blocking;
    seconds.similarities += r.seconds.similarities;
    digest.update(bytes(r.block.pairs)).update(bytes(r.similarities.sims)).update(bytes(r.similarities.clkDice));
    digest.update(JSON.stringify(r.plan.exact)).update(String(r.plan.lsh?.rows));
    if (r.plan.lsh) digest.update(bytes(r.plan.lsh.positions));
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    `${parts.length} partitions (${exact} with the exact pass), ${n(pairs)} candidate pairs: ` +
      `${((cpu.user + cpu.system) / 1e6).toFixed(1)} CPU-s, ${wall.toFixed(1)} s wall ` +
      `(blocking ${seconds.blocking.toFixed(1)} s, similarities ${seconds.similarities.toFixed(1)} s); ` +
      `digest of pairs, similarities and plans ${digest.digest('hex').slice(0, 16)}`,
  );
}

await main();
