import { blockPairs, interleave, pairListOf, unionPairs, type TouchingMarks } from './blocking/index.js';
import { candidatesAbove, FilterSet } from './kernel/index.js';
import type { PreparedSources, SourceBlock } from './prepare.js';
import type { BlockingPlan, EngineOptions, EngineResult, EngineSource } from './types.js';

/**
 * The engine's blocking stage: which record pairs, between every two sources and inside each that
 * may hold duplicates, go on to be scored. Keyed tokens and LSH (blocking/), plus an exact pass
 * when comparing everything is affordable.
 */

/**
 * Blocking: between every pair of sources, and inside each source that may hold duplicates.
 * With `plans` (from an earlier run), each pair of sources is blocked as then: the same LSH positions
 * and exact pass, whatever these records' bit frequencies and counts would choose. With `marked` (a
 * flag per record of every source), only the pairs that hold a marked record — exactly those the
 * unmarked call returns that touch one (an incremental run's new records).
 */
export function candidateBlocks(
  sources: EngineSource[],
  prep: PreparedSources,
  opts: EngineOptions,
  marked?: Uint8Array[],
  plans?: BlockingPlan[],
): { blocks: SourceBlock[]; stats: EngineResult['stats']['blocking']; plans: BlockingPlan[] } {
  const blocks: SourceBlock[] = [];
  const blockingStats: EngineResult['stats']['blocking'] = [];
  const used: BlockingPlan[] = [];
  const anyMarked = marked?.map((m) => m.includes(1));
  for (const { i, j } of sourcePairs(sources)) {
    const names: [string, string] = [sources[i]!.name, sources[j]!.name];
    const given = plans?.find((p) => p.sources[0] === names[0] && p.sources[1] === names[1]);
    if (plans && !given) throw new Error(`no blocking plan for ${names.join(' × ')}: link these sources in full`);
    if (given) used.push(given);
    if (anyMarked && !anyMarked[i] && !anyMarked[j]) continue;
    const touching: TouchingMarks | undefined = marked && { a: marked[i]!, b: i === j ? null : marked[j]! };
    const r = blockSourcePair(sources, prep, opts, i, j, touching, given);
    if (!given) used.push(r.plan);
    blocks.push(r.block);
    blockingStats.push(r.stats);
  }
  return { blocks, stats: blockingStats, plans: used };
}

/**
 * The pairs of sources blocking looks at, in the order their candidates are concatenated: every two
 * sources, and each source with itself unless it is duplicate-free. Sources declared to hold adults
 * and children are compared too: an 18-year-old can be on a school roll and an adult register, and the
 * dates of birth decide (apart.ts).
 */
export function sourcePairs(sources: Pick<EngineSource, 'duplicateFree'>[]): { i: number; j: number }[] {
  const out: { i: number; j: number }[] = [];
  for (let i = 0; i < sources.length; i++)
    for (let j = i; j < sources.length; j++) if (!(i === j && sources[i]!.duplicateFree)) out.push({ i, j });
  return out;
}

/**
 * Candidate pairs between sources i and j (i = j: inside source i). Reads only those two sources'
 * prepared columns, so a run's job can block one pair of sources having loaded just them.
 */
export function blockSourcePair(
  sources: EngineSource[],
  prep: Pick<PreparedSources, 'clkSets' | 'blocks' | 'clkMode'>,
  opts: Pick<EngineOptions, 'diceThreshold' | 'exactCandidateLimit' | 'candidateDice'>,
  i: number,
  j: number,
  touching?: TouchingMarks,
  given?: BlockingPlan,
): { block: SourceBlock; stats: EngineResult['stats']['blocking'][number]; plan: BlockingPlan } {
  const { clkSets, clkMode } = prep;
  const names: [string, string] = [sources[i]!.name, sources[j]!.name];
  const A = { clks: clkSets[i]!.view(), blocks: prep.blocks[i]! };
  const lsh = given ? (given.lsh ? { lsh: { plan: given.lsh } } : { lsh: false as const }) : {};
  // Inside one source the candidates are for duplicates, which share nearly every key: a key
  // held by more than DEDUP_MAX_BLOCK records there (a postcode sector and sex) proposes only
  // neighbours, quadratically (it was 96% of all candidates on the synthetic GP register).
  const dedup = i === j ? { tokens: { maxBlockSize: DEDUP_MAX_BLOCK } } : {};
  // LSH and coarse token blocks stand in for the exact pass below where comparing everything costs
  // too much: their pairs are held to its Dice (docs/runs.md: blocking many sources).
  const candidateDice = clkMode ? opts.diceThreshold : (opts.candidateDice ?? 0.6);
  // When comparing everything is affordable, add every pair whose record-level Dice reaches a
  // low candidate threshold: exact (popcount-pruned kernel), so nothing close is left to chance.
  const exact = given
    ? given.exact
    : i !== j && sources[i]!.tokens.length * sources[j]!.tokens.length <= (opts.exactCandidateLimit ?? 4e8);
  // The exact pass proposes every pair at the floor's Dice (the kernel's one test, in either mode),
  // so what LSH and large blocks would keep is among its pairs: they are not computed twice.
  const r = blockPairs(A, i === j ? null : { clks: clkSets[j]!.view(), blocks: prep.blocks[j]! }, {
    ...lsh,
    ...dedup,
    diceFloor: { minDice: candidateDice, largeBlockSize: LARGE_BLOCK, covered: exact },
    ...(touching ? { touching } : {}),
  });
  let pairs = r.pairs;
  if (exact) {
    const c = exactCandidates(sources, prep, i, j, candidateDice, touching);
    pairs = interleave(unionPairs(pairListOf(pairs), pairListOf(c)));
  }
  return {
    block: { i, j, pairs },
    stats: { sources: names, stats: { ...r.stats, combined: pairs.length / 2 } },
    plan: { sources: names, exact, lsh: r.lshPlan },
  };
}

/** Every pair of sources i × j with record-level Dice ≥ threshold (those touching a marked record), interleaved. */
function exactCandidates(
  sources: EngineSource[],
  prep: Pick<PreparedSources, 'clkSets'>,
  i: number,
  j: number,
  threshold: number,
  touching: TouchingMarks | undefined,
): Uint32Array {
  const interleaved = (
    c: { a: ArrayLike<number>; b: ArrayLike<number> },
    rowsA: number[] | null,
    rowsB: number[] | null,
  ) => {
    const out = new Uint32Array(c.a.length * 2);
    for (let k = 0; k < c.a.length; k++) {
      out[2 * k] = rowsA ? rowsA[c.a[k]!]! : c.a[k]!;
      out[2 * k + 1] = rowsB ? rowsB[c.b[k]!]! : c.b[k]!;
    }
    return out;
  };
  if (!touching) return interleaved(candidatesAbove(prep.clkSets[i]!, prep.clkSets[j]!, threshold), null, null);
  // The marked rows of each side against the whole other side (a pair of two marked rows comes twice).
  const subset = (s: number, marks: Uint8Array) => {
    const rows: number[] = [];
    marks.forEach((m, r) => {
      if (m === 1) rows.push(r);
    });
    return {
      rows,
      set: FilterSet.fromBytes(
        sources[s]!.clkBits,
        rows.map((r) => sources[s]!.clks[r]!),
      ),
    };
  };
  const a = subset(i, touching.a);
  const b = subset(j, touching.b!);
  const fromA = a.rows.length
    ? interleaved(candidatesAbove(a.set, prep.clkSets[j]!, threshold), a.rows, null)
    : new Uint32Array(0);
  const fromB = b.rows.length
    ? interleaved(candidatesAbove(prep.clkSets[i]!, b.set, threshold), null, b.rows)
    : new Uint32Array(0);
  const out = new Uint32Array(fromA.length + fromB.length);
  out.set(fromA);
  out.set(fromB, fromA.length);
  return out;
}

/**
 * Records on a side past which a keyed-token block's pairs must also reach the candidate Dice
 * (`diceFloor` in blocking/block-pairs.ts): up to it a shared token is specific enough (an NHS
 * number, a name and date of birth) to propose a pair whatever the rest of the record says; past it
 * the token is a coarse key (a postcode sector and sex) whose pairs grow with the square of the
 * sources' size and were nearly all non-matches (docs/runs.md, bench:pairs).
 */
const LARGE_BLOCK = 32;

/** Largest keyed-token block used when de-duplicating inside one source. */
const DEDUP_MAX_BLOCK = 100;

/** Record pairs blocking chose candidates from: across every two sources, and inside each that may hold duplicates. */
export function pairsConsidered(sources: EngineSource[]): number {
  let total = 0;
  for (let i = 0; i < sources.length; i++) {
    const n = sources[i]!.tokens.length;
    if (!sources[i]!.duplicateFree) total += (n * (n - 1)) / 2;
    for (let j = i + 1; j < sources.length; j++) total += n * sources[j]!.tokens.length;
  }
  return total;
}
