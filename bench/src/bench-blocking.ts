/**
 * Blocking benchmark: pair completeness, reduction ratio, candidate pairs and time of the broker's
 * blocking stage (keyed blocking tokens + Hamming LSH, combined) on FEBRL 4, and time/candidates
 * on one million × one million random-but-clustered synthetic records.
 *
 *   node bench/dist/bench-blocking.js [--n 1000000] [--quick] [--no-synthetic]
 *
 * FEBRL 4 B's CLKs come from the clkhash-compatible encoder (secret "secret", the published schema),
 * A's from clkhash's own file. The agencies' keyed blocking tokens are emulated here with
 * HMAC-SHA256 (first 16 bytes) over these keys: Soundex(surname)+year of birth,
 * postcode+year of birth, social security number (FEBRL's stand-in for an NHS number), full date of
 * birth, and the two names' Soundex codes as an unordered pair (FEBRL swaps given and surname).
 */
import { soundex } from '@blindlink/agency-client/encode';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ClkEncoder, parseClkSchema, readCsvRecords } from '@blindlink/agency-client/clkhash';
import { FilterSet } from '@blindlink/broker/kernel';
import { xorshift128 } from '@blindlink/broker/prng';
// The broker package exports its root and the kernel; blocking is reached through its compiled module.
import { blockPairs, blockingQuality, tokenBlockPairs, LSH_DEFAULTS } from '@blindlink/broker/blocking';
import type { BlockingOptions, BlockingQuality, BlockingStats } from '@blindlink/broker/blocking';

export const FEBRL_DIR = '/work/shared/data/febrl4/';
const BITS = 1024;
const TOKEN_SECRET = 'bench-blocking-token-key';

export interface BlockingBenchOptions {
  /** Records per side of the synthetic run (default 1,000,000; 0 skips it). */
  syntheticRecords?: number;
  /** Blocking options passed through (defaults otherwise). */
  blocking?: BlockingOptions;
  febrlDir?: string;
  log?: (line: string) => void;
}

export interface FebrlFigures {
  quality: BlockingQuality;
  stats: BlockingStats;
  seconds: number;
  /** Each source on its own. */
  tokensOnly: BlockingQuality;
  lshOnly: BlockingQuality;
}

export interface SyntheticFigures {
  records: number;
  quality: BlockingQuality;
  stats: BlockingStats;
  /** Wall time, and CPU time of this thread (the machine may be shared: CPU time is the fairer figure). */
  seconds: number;
  cpuSeconds: number;
  tokenSeconds: number;
  candidatesPerRecord: number;
}

export interface BlockingBenchResult {
  febrl: FebrlFigures;
  synthetic: SyntheticFigures | null;
}

// ---- FEBRL 4 --------------------------------------------------------------------------------

/** Keyed blocking token of one key value: what an agency would send (16 bytes). */
function keyedToken(key: string, value: string): Uint8Array {
  return new Uint8Array(createHmac('sha256', TOKEN_SECRET).update(`${key}\u0000${value}`).digest().subarray(0, 16));
}

/** The emulated agency tokens of one FEBRL row (rec_id, given, surname, ..., postcode, state, dob, ssn). */
export function febrlTokens(values: readonly string[]): Uint8Array {
  const given = values[1] ?? '';
  const surname = values[2] ?? '';
  const postcode = values[7] ?? '';
  const dob = values[9] ?? '';
  const ssn = values[10] ?? '';
  const yob = dob.slice(0, 4);
  const tokens: Uint8Array[] = [];
  if (surname && yob) tokens.push(keyedToken('surname-soundex+yob', `${soundex(surname)}|${yob}`));
  if (postcode && yob) tokens.push(keyedToken('postcode+yob', `${postcode}|${yob}`));
  if (ssn) tokens.push(keyedToken('ssn', ssn));
  if (dob) tokens.push(keyedToken('dob', dob));
  if (given && surname) tokens.push(keyedToken('names-soundex', [soundex(given), soundex(surname)].sort().join('|')));
  const out = new Uint8Array(16 * tokens.length);
  tokens.forEach((t, k) => {
    out.set(t, 16 * k);
  });
  return out;
}

export interface FebrlData {
  A: FilterSet;
  B: FilterSet;
  blocksA: Uint8Array[];
  blocksB: Uint8Array[];
  /** True pairs (index in A, index in B) interleaved. */
  truth: Uint32Array;
}

async function readRows(path: string): Promise<string[][]> {
  const rows: string[][] = [];
  let header = true;
  for await (const r of readCsvRecords(path)) {
    if (header) header = false;
    else rows.push(r.values);
  }
  return rows;
}

/** FEBRL 4 as the broker would hold it: A's CLKs from clkhash's file, B's from our encoder. */
export async function loadFebrl4(dir = FEBRL_DIR): Promise<FebrlData> {
  const rowsA = await readRows(dir + 'dataset4a.csv');
  const rowsB = await readRows(dir + 'dataset4b.csv');
  const clksA = (JSON.parse(readFileSync(dir + 'clkhash_dataset4a_clks.json', 'utf8')) as { clks: string[] }).clks;
  const schema = parseClkSchema(JSON.parse(readFileSync(dir + 'clkhash_schema_v3.json', 'utf8')));
  const encoder = ClkEncoder.fromSecret(schema, 'secret');
  const A = FilterSet.fromBytes(
    BITS,
    clksA.map((c) => new Uint8Array(Buffer.from(c, 'base64'))),
  );
  const B = FilterSet.fromBytes(
    BITS,
    rowsB.map((v) => encoder.encode(v)),
  );
  const indexA = new Map(rowsA.map((v, i) => [(v[0] ?? '').replace(/-org$/, ''), i]));
  const truth: number[] = [];
  rowsB.forEach((v, j) => {
    const i = indexA.get((v[0] ?? '').replace(/-dup-\d+$/, ''));
    if (i !== undefined) truth.push(i, j);
  });
  return { A, B, blocksA: rowsA.map(febrlTokens), blocksB: rowsB.map(febrlTokens), truth: Uint32Array.from(truth) };
}

export function febrlFigures(data: FebrlData, opts: BlockingOptions = {}): FebrlFigures {
  const t0 = performance.now();
  const res = blockPairs({ clks: data.A, blocks: data.blocksA }, { clks: data.B, blocks: data.blocksB }, opts);
  const seconds = (performance.now() - t0) / 1000;
  const n = data.A.count;
  const q = (pairs: Uint32Array): BlockingQuality => blockingQuality(pairs, data.truth, n, data.B.count);
  const tokensOnly = q(
    blockPairs({ clks: data.A, blocks: data.blocksA }, { clks: data.B, blocks: data.blocksB }, { ...opts, lsh: false })
      .pairs,
  );
  const lshOnly = q(blockPairs({ clks: data.A }, { clks: data.B }, opts).pairs);
  return { quality: q(res.pairs), stats: res.stats, seconds, tokensOnly, lshOnly };
}

// ---- synthetic one million × one million ------------------------------------------------------

/**
 * xorshift128 words (@blindlink/broker/prng): fast enough to make 64 million random words in well
 * under a second. Not seededRandom: whole 32-bit words, and the published figures were measured on
 * this data.
 */
function wordSource(seed: number): () => number {
  return xorshift128(seed | 1, 362436069, 521288629, 88675123 ^ seed);
}

export interface SyntheticData {
  A: FilterSet;
  B: FilterSet;
  blocksA: Uint8Array[];
  blocksB: Uint8Array[];
  truth: Uint32Array;
}

/**
 * Random-but-clustered records: entities come in families of 8 that share ~75% of their bits (like
 * relatives at one address); each record is its entity with ~6% of bits flipped (a match then
 * agrees on ~88% of bits, a relative on ~78%, a stranger on ~50%). 80% of B's records are A
 * entities, shuffled; the rest are new. Tokens per record: an entity id (like an NHS number,
 * missing in 5% of records), a key shared by pairs of relatives (like surname + year of birth) and an entity key with
 * chance collisions (like initial + date of birth).
 */
export function syntheticData(n: number, seed = 7): SyntheticData {
  const next = wordSource(seed);
  const W = BITS / 32;
  const FAMILY = 8;
  const entities = Math.ceil(n * 1.2);
  // Entity words are generated on demand from their family base, so memory stays at the two sets.
  const familyBase = new Uint32Array(Math.ceil(entities / FAMILY) * W);
  for (let k = 0; k < familyBase.length; k++) familyBase[k] = next();
  const entitySeed = new Uint32Array(entities);
  for (let e = 0; e < entities; e++) entitySeed[e] = next();
  const entity = new Uint32Array(W);
  const fillEntity = (e: number): void => {
    const r = wordSource((entitySeed[e] as number) ^ 0x5bd1e995);
    const fb = Math.floor(e / FAMILY) * W;
    for (let w = 0; w < W; w++) {
      const replace = r() & r(); // 25% of positions re-drawn at random
      entity[w] = (((familyBase[fb + w] as number) & ~replace) | (r() & replace)) >>> 0;
    }
  };
  const makeSide = (members: Uint32Array): { set: FilterSet; blocks: Uint8Array[] } => {
    const set = new FilterSet(BITS, members.length);
    const tokenBuf = new Uint8Array(members.length * 48);
    const tokenWords = new Uint32Array(tokenBuf.buffer);
    const blocks: Uint8Array[] = new Array<Uint8Array>(members.length);
    for (let i = 0; i < members.length; i++) {
      const e = members[i] as number;
      fillEntity(e);
      const base = i * W;
      for (let w = 0; w < W; w++) {
        const flip = next() & next() & next() & next(); // ~6.25% of bits
        set.words[base + w] = ((entity[w] as number) ^ flip) >>> 0;
      }
      let c = 0;
      for (let w = base; w < base + W; w++) {
        let x = set.words[w] as number;
        x -= (x >>> 1) & 0x55555555;
        x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
        c += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
      }
      set.pops[i] = c;
      // Tokens: words [kind, value, 0, salt] — distinct per kind, equal iff the key value is equal.
      let k = 0;
      const put = (kind: number, value: number): void => {
        const o = i * 12 + k * 4;
        tokenWords[o] = Math.imul(value ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
        tokenWords[o + 1] = value >>> 0;
        tokenWords[o + 2] = kind;
        tokenWords[o + 3] = 0x1234567;
        k++;
      };
      if (next() % 20 !== 0) put(1, e); // entity id, 5% missing
      put(2, Math.floor(e / 2)); // household key: shared by pairs of relatives
      put(3, (entitySeed[e] as number) % (2 * entities)); // entity key with chance collisions
      blocks[i] = tokenBuf.subarray(i * 48, i * 48 + k * 16);
    }
    return { set, blocks };
  };
  const membersA = new Uint32Array(n);
  for (let i = 0; i < n; i++) membersA[i] = i;
  // B: 80% of A's entities and 20% new ones, shuffled.
  const membersB = new Uint32Array(n);
  const shared = Math.floor(n * 0.8);
  for (let j = 0; j < n; j++) membersB[j] = j < shared ? j : n + (j - shared);
  for (let j = n - 1; j > 0; j--) {
    const x = next() % (j + 1);
    const t = membersB[j] as number;
    membersB[j] = membersB[x] as number;
    membersB[x] = t;
  }
  const truth = new Uint32Array(shared * 2);
  let t = 0;
  for (let j = 0; j < n; j++) {
    const e = membersB[j] as number;
    if (e < n) {
      truth[t++] = e;
      truth[t++] = j;
    }
  }
  const a = makeSide(membersA);
  const b = makeSide(membersB);
  return { A: a.set, B: b.set, blocksA: a.blocks, blocksB: b.blocks, truth };
}

export function syntheticFigures(data: SyntheticData, opts: BlockingOptions = {}): SyntheticFigures {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const res = blockPairs({ clks: data.A, blocks: data.blocksA }, { clks: data.B, blocks: data.blocksB }, opts);
  const cpu = process.cpuUsage(c0);
  const seconds = (performance.now() - t0) / 1000;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const t1 = performance.now();
  tokenBlockPairs(data.blocksA, data.blocksB, opts.tokens === false ? {} : opts.tokens);
  const tokenSeconds = (performance.now() - t1) / 1000;
  const quality = blockingQuality(res.pairs, data.truth, data.A.count, data.B.count);
  return {
    records: data.A.count,
    quality,
    stats: res.stats,
    seconds,
    cpuSeconds,
    tokenSeconds,
    candidatesPerRecord: res.stats.combined / data.A.count,
  };
}

// ---- report -----------------------------------------------------------------------------------

const pct = (x: number, d = 4): string => x.toFixed(d);
const int = (x: number): string => Math.round(x).toLocaleString('en-GB');

function qualityLine(name: string, q: BlockingQuality): string {
  return (
    `${name}: pair completeness ${pct(q.pairCompleteness)} (${q.trueFound}/${q.truePairs}), reduction ratio ` +
    `${pct(q.reductionRatio, 6)}, candidates ${int(q.candidates)}`
  );
}

export async function runBlockingBench(opts: BlockingBenchOptions = {}): Promise<BlockingBenchResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const blocking = opts.blocking ?? {};
  const lsh = blocking.lsh === false ? null : { ...LSH_DEFAULTS, rows: 'auto' as const, ...blocking.lsh };
  const lshLine = lsh ? `, bands ${lsh.bands}, rows ${lsh.rows ?? 'auto'}, max bucket ${lsh.maxBucketSize}` : ' off';
  log(`# Blocking (keyed tokens + Hamming LSH${lshLine})`);
  const febrlData = await loadFebrl4(opts.febrlDir);
  const febrl = febrlFigures(febrlData, blocking);
  log(`FEBRL 4 (5,000 × 5,000, ${febrlData.truth.length / 2} true pairs), one core:`);
  log(`- ${qualityLine('combined', febrl.quality)}; ${pct(febrl.seconds, 3)} s`);
  log(`- ${qualityLine('tokens only', febrl.tokensOnly)}`);
  log(`- ${qualityLine('LSH only', febrl.lshOnly)}`);
  log(
    `- LSH rows ${febrl.stats.lshRows}, token blocks ${int(febrl.stats.tokenBlocks)} (skipped ` +
      `${febrl.stats.skippedBlocks}), LSH raw pairs ${int(febrl.stats.lshRawPairs)}, skipped buckets ` +
      `${febrl.stats.skippedBuckets}`,
  );

  let synthetic: SyntheticFigures | null = null;
  const n = opts.syntheticRecords ?? 1_000_000;
  if (n > 0) {
    const g0 = performance.now();
    const data = syntheticData(n);
    log(
      `Synthetic ${int(n)} × ${int(n)} clustered records (generated in ` +
        `${pct((performance.now() - g0) / 1000, 1)} s), one core:`,
    );
    synthetic = syntheticFigures(data, blocking);
    const s = synthetic;
    log(
      `- blocking ${pct(s.seconds, 2)} s wall, ${pct(s.cpuSeconds, 2)} s CPU (tokens alone ` +
        `${pct(s.tokenSeconds, 2)} s); ${qualityLine('combined', s.quality)}; ` +
        `${pct(s.candidatesPerRecord, 2)} per record`,
    );
    log(
      `- LSH rows ${s.stats.lshRows}; from tokens ${int(s.stats.fromTokens)}, from LSH ` +
        `${int(s.stats.fromLsh)} (raw ${int(s.stats.lshRawPairs)}), skipped blocks ${s.stats.skippedBlocks}, ` +
        `skipped buckets ${s.stats.skippedBuckets}`,
    );
  }
  return { febrl, synthetic };
}

function parseArgs(argv: string[]): BlockingBenchOptions {
  const opts: BlockingBenchOptions = {};
  const lsh: NonNullable<Exclude<BlockingOptions['lsh'], false>> = {};
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k];
    if (arg === '--n') opts.syntheticRecords = Number(argv[++k]);
    else if (arg === '--quick') opts.syntheticRecords = 100_000;
    else if (arg === '--no-synthetic') opts.syntheticRecords = 0;
    else if (arg === '--bands') lsh.bands = Number(argv[++k]);
    else if (arg === '--rows') lsh.rows = Number(argv[++k]);
    else if (arg === '--max-bucket') lsh.maxBucketSize = Number(argv[++k]);
    else if (arg === '--share') lsh.informativeShare = Number(argv[++k]);
    else if (arg === '--seed') lsh.seed = Number(argv[++k]);
    else throw new Error(`unknown argument ${arg}`);
  }
  opts.blocking = { lsh };
  return opts;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runBlockingBench(parseArgs(process.argv.slice(2))).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
