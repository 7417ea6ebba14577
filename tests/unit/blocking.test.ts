// Blocking stage: keyed-token blocking, Hamming LSH and their combination against plain
// brute-force references, the metrics on a hand example, and the FEBRL 4 target
// (pair completeness ≥ 0.999 and reduction ratio ≥ 0.999 with the defaults).
import { soundex } from '@blindlink/agency-client/encode';
import t from 'tap';
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ClkEncoder, parseClkSchema } from '@blindlink/agency-client/clkhash';
import { candidatesAbove, dice, FilterSet } from '@blindlink/broker/kernel';
import {
  blockPairs,
  blockingQuality,
  interleave,
  lshPairs,
  pairListOf,
  planFromPositions,
  planPositions,
  reductionRatio,
  sortPairs,
  sortUniquePairs,
  PairCollector,
  tokenBlockPairs,
  unionPairs,
  LSH_DEFAULTS,
} from '@blindlink/broker/blocking';
import { seededRandom } from '@blindlink/broker/prng';

// ---- helpers --------------------------------------------------------------------------------

/** Deterministic PRNG (the broker's own, mulberry32) so runs and failures reproduce. */
const rng = seededRandom;

/** Concatenate 16-byte tokens, each the vocabulary word `v` (distinct bytes per v). */
function tokens(...vs: number[]): Uint8Array {
  const out = new Uint8Array(16 * vs.length);
  vs.forEach((v, k) => {
    const tok = createHmac('sha256', 'test').update(String(v)).digest().subarray(0, 16);
    out.set(tok, 16 * k);
  });
  return out;
}

function pairsOf(inter: Uint32Array): string[] {
  const out: string[] = [];
  for (let k = 0; k < inter.length; k += 2) out.push(`${inter[k]},${inter[k + 1]}`);
  return out;
}

function listToStrings(l: { a: Uint32Array; b: Uint32Array; length: number }): string[] {
  const out: string[] = [];
  for (let k = 0; k < l.length; k++) out.push(`${l.a[k]},${l.b[k]}`);
  return out;
}

function sortedRef(set: Set<string>): string[] {
  return [...set]
    .map((s) => s.split(',').map(Number) as [number, number])
    .sort((x, y) => x[0] - y[0] || x[1] - y[1])
    .map(([i, j]) => `${i},${j}`);
}

/** Whether interleaved pairs are strictly increasing (and, within one source, i < j everywhere). */
function sortedUnique(inter: Uint32Array, dedup: boolean): boolean {
  for (let k = 0; k < inter.length; k += 2) {
    const i = inter[k] as number;
    const j = inter[k + 1] as number;
    if (dedup && i >= j) return false;
    if (k > 0) {
      const pi = inter[k - 2] as number;
      const pj = inter[k - 1] as number;
      if (!(pi < i || (pi === i && pj < j))) return false;
    }
  }
  return true;
}

const BITS = 1024;

function randomFilter(r: () => number, density = 0.5): Uint8Array {
  const b = new Uint8Array(BITS / 8);
  for (let j = 0; j < BITS; j++) if (r() < density) b[j >> 3] = (b[j >> 3] as number) | (1 << (7 - (j & 7)));
  return b;
}

/** A copy of `f` with each bit flipped with probability p. */
function noisy(f: Uint8Array, r: () => number, p: number): Uint8Array {
  const b = f.slice();
  for (let j = 0; j < BITS; j++) if (r() < p) b[j >> 3] = (b[j >> 3] as number) ^ (1 << (7 - (j & 7)));
  return b;
}

/** A copy of `f` with exactly `k` distinct bits flipped. */
function flipExactly(f: Uint8Array, r: () => number, k: number): Uint8Array {
  const b = f.slice();
  const idx = Array.from({ length: BITS }, (_, j) => j);
  for (let q = 0; q < k; q++) {
    const x = q + Math.floor(r() * (BITS - q));
    const j = idx[x] as number;
    idx[x] = idx[q] as number;
    b[j >> 3] = (b[j >> 3] as number) ^ (1 << (7 - (j & 7)));
  }
  return b;
}

/** Bit at word-layout position p (32·word + bit) of filter i. */
function bitAt(set: FilterSet, i: number, p: number): number {
  return ((set.words[i * set.words64 * 2 + (p >>> 5)] as number) >>> (p & 31)) & 1;
}

/** Brute-force LSH: (i, j) is a candidate iff some band has every sampled bit equal and not all zero. */
function lshReference(A: FilterSet, B: FilterSet | null, positions: Uint32Array, rows: number): Set<string> {
  const out = new Set<string>();
  const bands = positions.length / rows;
  const other = B ?? A;
  for (let i = 0; i < A.count; i++) {
    for (let j = B ? 0 : i + 1; j < other.count; j++) {
      if (A.pops[i] === 0 || other.pops[j] === 0) continue;
      for (let tb = 0; tb < bands; tb++) {
        let same = true;
        let any = 0;
        for (let k = 0; k < rows && same; k++) {
          const p = positions[tb * rows + k] as number;
          const x = bitAt(A, i, p);
          same = x === bitAt(other, j, p);
          any |= x;
        }
        if (same && any) {
          out.add(`${i},${j}`);
          break;
        }
      }
    }
  }
  return out;
}

// ---- token blocking ---------------------------------------------------------------------------

t.test('token blocking finds exactly the pairs that share a token (A × B)', async (tt) => {
  const r = rng(1);
  const mk = (n: number): (Uint8Array | null)[] =>
    Array.from({ length: n }, () => {
      const k = Math.floor(r() * 4); // 0..3 tokens; sometimes none at all
      if (k === 0) return r() < 0.5 ? null : new Uint8Array(0);
      return tokens(...Array.from({ length: k }, () => Math.floor(r() * 150)));
    });
  const A = mk(300);
  const B = mk(250);
  const hex = (b: Uint8Array | null): Set<string> => {
    const s = new Set<string>();
    if (b) for (let k = 0; k < b.length; k += 16) s.add(Buffer.from(b.subarray(k, k + 16)).toString('hex'));
    return s;
  };
  const ref = new Set<string>();
  A.forEach((a, i) => {
    B.forEach((b, j) => {
      const ha = hex(a);
      if ([...hex(b)].some((x) => ha.has(x))) ref.add(`${i},${j}`);
    });
  });
  const res = tokenBlockPairs(A, B, { maxBlockSize: 1000 });
  tt.same(listToStrings(res.pairs), sortedRef(ref), 'same pairs as brute force, sorted');
  tt.ok(ref.size > 100, `non-trivial: ${ref.size} pairs`);
  tt.equal(res.skippedBlocks, 0);

  // Within one source: i < j only, never (i, i), same as brute force.
  const refD = new Set<string>();
  A.forEach((a, i) => {
    A.forEach((b, j) => {
      if (j <= i) return;
      const ha = hex(a);
      if ([...hex(b)].some((x) => ha.has(x))) refD.add(`${i},${j}`);
    });
  });
  const dd = tokenBlockPairs(A, null, { maxBlockSize: 1000 });
  tt.same(listToStrings(dd.pairs), sortedRef(refD), 'dedup: same pairs as brute force');
});

t.test('tokens equal in their first 4 bytes but not the rest do not block together', async (tt) => {
  const x = new Uint8Array(16).fill(7);
  const y = new Uint8Array(16).fill(7);
  y[15] = 8;
  const res = tokenBlockPairs([x, y], [y, x]);
  tt.same(listToStrings(res.pairs), ['0,1', '1,0']);
  tt.throws(() => tokenBlockPairs([new Uint8Array(15)], null), RangeError, 'length not a multiple of 16');
});

t.test('over-large token blocks are skipped and counted', async (tt) => {
  // Token 1 is on 6 A records and 4 B records; token 2 links A0 and B0 only.
  const A = [tokens(1, 2), tokens(1), tokens(1), tokens(1), tokens(1), tokens(1)];
  const B = [tokens(1, 2), tokens(1), tokens(1), tokens(1)];
  const res = tokenBlockPairs(A, B, { maxBlockSize: 5 });
  tt.equal(res.skippedBlocks, 1);
  tt.equal(res.skippedPairs, 24);
  tt.same(listToStrings(res.pairs), ['0,0'], 'only the small block survives');
  const all = tokenBlockPairs(A, B, { maxBlockSize: 6 });
  tt.equal(all.skippedBlocks, 0);
  tt.equal(all.pairs.length, 24);
  const dd = tokenBlockPairs(A, null, { maxBlockSize: 5 });
  tt.equal(dd.skippedBlocks, 1);
  tt.equal(dd.skippedPairs, 15);
  tt.equal(dd.pairs.length, 0);
});

// ---- LSH --------------------------------------------------------------------------------------

t.test('LSH equals a brute-force band check (A × B and within A)', async (tt) => {
  const r = rng(2);
  const base = Array.from({ length: 60 }, () => randomFilter(r));
  const A = FilterSet.fromBytes(BITS, [
    ...base.map((f) => noisy(f, r, 0.04)),
    ...Array.from({ length: 60 }, () => randomFilter(r)),
    new Uint8Array(BITS / 8),
  ]);
  const B = FilterSet.fromBytes(BITS, [
    ...base.map((f) => noisy(f, r, 0.04)),
    ...Array.from({ length: 40 }, () => randomFilter(r)),
  ]);
  // Few rows so that chance collisions happen too.
  const opts = { bands: 30, rows: 8, maxBucketSize: 1000, seed: 9 };
  const res = lshPairs(A, B, opts);
  tt.equal(res.rows, 8);
  tt.equal(res.positions.length, 30 * 8);
  const ref = lshReference(A, B, res.positions, 8);
  tt.same(listToStrings(res.pairs), sortedRef(ref), `A × B: ${ref.size} pairs as brute force`);
  const dd = lshPairs(A, null, opts);
  const refD = lshReference(A, null, dd.positions, 8);
  tt.same(listToStrings(dd.pairs), sortedRef(refD), `within A: ${refD.size} pairs as brute force`);
  tt.ok(res.emptyKeys >= 30, 'the empty filter has no key in any band');
});

t.test('LSH finds near-duplicates, rarely unrelated pairs, at the rate 1 − (1 − s^r)^b predicts', async (tt) => {
  const r = rng(3);
  const n = 1500;
  const base = Array.from({ length: n }, () => randomFilter(r));
  const A = FilterSet.fromBytes(BITS, base);
  // B: 0..n−1 agree on 95% of bits, n..2n−1 on exactly 80%, then unrelated records.
  const B = FilterSet.fromBytes(BITS, [
    ...base.map((f) => flipExactly(f, r, Math.round(0.05 * BITS))),
    ...base.map((f) => flipExactly(f, r, Math.round(0.2 * BITS))),
    ...Array.from({ length: n }, () => randomFilter(r)),
  ]);
  const res = lshPairs(A, B); // defaults
  const rows = res.rows;
  tt.equal(rows, 24, 'auto rows stay at 24 at this size');
  let near = 0;
  let mid = 0;
  let unrelated = 0;
  for (let k = 0; k < res.pairs.length; k++) {
    const i = res.pairs.a[k] as number;
    const j = res.pairs.b[k] as number;
    if (j === i) near++;
    else if (j === i + n) mid++;
    else unrelated++;
  }
  tt.ok(near / n >= 0.99, `near-duplicates (s = 0.95) found: ${near}/${n}`);
  const expected = 1 - (1 - 0.8 ** 24) ** LSH_DEFAULTS.bands; // ≈ 0.61 with 200 bands
  tt.ok(Math.abs(mid / n - expected) < 0.07, `s = 0.8 found ${(mid / n).toFixed(3)}, formula ${expected.toFixed(3)}`);
  // Unrelated: s ≈ 0.5, 200 · 2^-24 per pair ≈ 1.2·10⁻⁵.
  tt.ok(unrelated / (n * 3 * n) < 1e-4, `unrelated pairs: ${unrelated} of ${3 * n * n}`);
});

t.test('over-large LSH buckets are skipped and counted', async (tt) => {
  const r = rng(4);
  const same = randomFilter(r);
  const A = FilterSet.fromBytes(BITS, [
    ...Array.from({ length: 30 }, () => same),
    ...Array.from({ length: 30 }, () => randomFilter(r)),
  ]);
  const res = lshPairs(A, null, { maxBucketSize: 20 });
  tt.equal(res.skippedBuckets, LSH_DEFAULTS.bands, 'the 30 identical records fill one bucket in every band');
  tt.equal(res.skippedPairs, (LSH_DEFAULTS.bands * 30 * 29) / 2);
  let identical = 0;
  for (let k = 0; k < res.pairs.length; k++) if ((res.pairs.b[k] as number) < 30) identical++;
  tt.equal(identical, 0, 'none of their pairs is emitted');
  const all = lshPairs(A, null, { maxBucketSize: 30 });
  tt.equal(all.skippedBuckets, 0);
  tt.ok(all.pairs.length >= 435);
});

t.test('LSH is deterministic for a seed and changes with it', async (tt) => {
  const r = rng(5);
  const A = FilterSet.fromBytes(
    BITS,
    Array.from({ length: 400 }, () => randomFilter(r, 0.3)),
  );
  const B = FilterSet.fromBytes(
    BITS,
    Array.from({ length: 400 }, (_, j) => noisy(A.get(j), r, 0.05)),
  );
  const x = lshPairs(A, B, { seed: 42 });
  const y = lshPairs(A, B, { seed: 42 });
  const z = lshPairs(A, B, { seed: 43 });
  tt.same(x.positions, y.positions);
  tt.same(listToStrings(x.pairs), listToStrings(y.pairs));
  tt.notSame(x.positions, z.positions, 'another seed samples other positions');
  const bx = blockPairs({ clks: A }, { clks: B }, { lsh: { seed: 7 } });
  const by = blockPairs({ clks: A }, { clks: B }, { lsh: { seed: 7 } });
  tt.same(bx.pairs, by.pairs);
});

// ---- combined -----------------------------------------------------------------------------------

t.test('combined output is the sorted, duplicate-free union of both sources', async (tt) => {
  const r = rng(6);
  const n = 300;
  const base = Array.from({ length: n }, () => randomFilter(r, 0.4));
  const A = FilterSet.fromBytes(BITS, base);
  const B = FilterSet.fromBytes(
    BITS,
    base.map((f) => noisy(f, r, 0.05)),
  );
  // Tokens: record i of each side carries token i % 100 (blocks of 3 × 3), so LSH and tokens overlap.
  const blocksA = Array.from({ length: n }, (_, i) => tokens(i % 100));
  const blocksB = Array.from({ length: n }, (_, j) => tokens(j % 100));
  const res = blockPairs({ clks: A, blocks: blocksA }, { clks: B, blocks: blocksB });
  const tok = tokenBlockPairs(blocksA, blocksB);
  const lsh = lshPairs(A, B);
  const ref = new Set([...listToStrings(tok.pairs), ...listToStrings(lsh.pairs)]);
  tt.same(pairsOf(res.pairs), sortedRef(ref));
  tt.ok(sortedUnique(res.pairs, false), 'strictly increasing');
  tt.equal(res.stats.fromTokens, tok.pairs.length);
  tt.equal(res.stats.fromLsh, lsh.pairs.length);
  tt.equal(res.stats.combined, ref.size);
  tt.ok(
    res.stats.fromTokens + res.stats.fromLsh > res.stats.combined,
    'the sources overlap, and the overlap is counted once',
  );
  tt.equal(blockPairs({ clks: A, blocks: blocksA }, { clks: B, blocks: blocksB }, { lsh: false }).stats.fromLsh, 0);
  tt.throws(() => blockPairs({ clks: A, blocks: blocksA.slice(1) }, null), RangeError);
});

t.test('dedup mode never emits (i, i) nor both (i, j) and (j, i)', async (tt) => {
  const r = rng(7);
  const base = Array.from({ length: 100 }, () => randomFilter(r, 0.5));
  // Each entity three times, with its entity token twice in a record, plus one token on everyone.
  const filters = [...base, ...base.map((f) => noisy(f, r, 0.03)), ...base.map((f) => noisy(f, r, 0.03))];
  const blocks = filters.map((_, i) => tokens(i % 100, i % 100, 5000));
  const A = FilterSet.fromBytes(BITS, filters);
  const res = blockPairs({ clks: A, blocks }, null, { tokens: { maxBlockSize: 100 } });
  tt.ok(sortedUnique(res.pairs, true), 'strictly increasing, i < j in every pair');
  const seen = new Set(pairsOf(res.pairs));
  let complete = 0;
  for (let i = 0; i < 100; i++)
    if (seen.has(`${i},${i + 100}`) && seen.has(`${i},${i + 200}`) && seen.has(`${i + 100},${i + 200}`)) complete++;
  tt.equal(complete, 100, "every entity's three records are paired");
  tt.equal(res.stats.skippedBlocks, 1, 'the token on all 300 records is skipped');
  tt.equal(res.stats.skippedBlockPairs, (300 * 299) / 2);
  const lshOnly = blockPairs({ clks: A }, null);
  tt.ok(sortedUnique(lshOnly.pairs, true), 'LSH alone: i < j, sorted');
});

t.test('pairs of a large token block go on only when their record-level Dice reaches minDice', async (tt) => {
  const r = rng(23);
  const n = 120;
  const filtersA = Array.from({ length: n }, () => randomFilter(r, 0.4));
  // B: the first 60 close copies of A's records, the rest unrelated.
  const filtersB = filtersA.map((f, i) => (i < 60 ? noisy(f, r, 0.04) : randomFilter(r, 0.4)));
  const A = FilterSet.fromBytes(BITS, filtersA);
  const B = FilterSet.fromBytes(BITS, filtersB);
  // Everyone shares token 1 (a block of 120 × 120); records 2k and 2k + 1 share token 100 + k (2 × 2).
  const blocksA = filtersA.map((_, i) => tokens(1, 100 + (i >> 1)));
  const blocksB = filtersB.map((_, j) => tokens(1, 100 + (j >> 1)));
  const opts = { lsh: false as const, diceFloor: { minDice: 0.7, largeBlockSize: 8 } };
  const res = blockPairs({ clks: A, blocks: blocksA }, { clks: B, blocks: blocksB }, opts);
  const want = new Set<string>();
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i >> 1 === j >> 1 || dice(filtersA[i]!, filtersB[j]!) >= 0.7) want.add(`${i},${j}`);
    }
  }
  tt.same(pairsOf(res.pairs), sortedRef(want), 'small-block pairs, and large-block pairs with Dice ≥ 0.7');
  tt.equal(res.stats.largeBlocks, 1, 'one block is large');
  tt.equal(res.stats.largeBlockPairs, n * n);
  tt.ok(res.stats.largeBlockKept >= 60 && res.stats.largeBlockKept < 100, `${res.stats.largeBlockKept} kept`);
  tt.equal(res.stats.fromTokens, want.size);

  const within = blockPairs({ clks: A, blocks: blocksA }, null, opts);
  const wantWithin = new Set<string>();
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++)
      if (i >> 1 === j >> 1 || dice(filtersA[i]!, filtersA[j]!) >= 0.7) wantWithin.add(`${i},${j}`);
  }
  tt.same(pairsOf(within.pairs), sortedRef(wantWithin), 'within one source alike, i < j');
  tt.throws(() => tokenBlockPairs(blocksA, blocksB, { largeBlockSize: 0 }), RangeError);

  // LSH's pairs are held to the same Dice: the close copies pass 0.7, none passes 0.99.
  const withLsh = blockPairs({ clks: A, blocks: blocksA }, { clks: B, blocks: blocksB }, { ...opts, lsh: {} });
  tt.ok(withLsh.stats.fromLsh >= 55, `LSH proposed ${withLsh.stats.fromLsh}`);
  const strict = blockPairs({ clks: A }, { clks: B }, { diceFloor: { minDice: 0.99, largeBlockSize: 8 } });
  tt.equal(strict.stats.fromLsh, withLsh.stats.fromLsh, 'the floor comes after LSH');
  tt.equal(strict.stats.lshKept, 0, 'and keeps none of its pairs below it');
  tt.equal(strict.pairs.length, 0);
  tt.same(pairsOf(withLsh.pairs), sortedRef(want), 'nothing below the floor from LSH either');
});

t.test('where the exact pass covers the floor, LSH and large blocks add nothing it lacks', async (tt) => {
  const r = rng(29);
  const n = 300;
  const filtersA = Array.from({ length: n }, () => randomFilter(r, 0.4));
  const filtersB = filtersA.map((f, i) => (i < 200 ? noisy(f, r, i < 100 ? 0.03 : 0.12) : randomFilter(r, 0.4)));
  const A = FilterSet.fromBytes(BITS, filtersA);
  const B = FilterSet.fromBytes(BITS, filtersB);
  // A block of everyone (large), and pairs of records (small) whatever their Dice.
  const blocksA = filtersA.map((_, i) => tokens(1, 100 + (i >> 1)));
  const blocksB = filtersB.map((_, j) => tokens(1, 100 + ((j + 1) >> 1)));
  const floor = { minDice: 0.6, largeBlockSize: 8 };
  const exact = candidatesAbove(A, B, floor.minDice);
  const exactPairs = pairListOf(
    Uint32Array.from({ length: 2 * exact.a.length }, (_, k) => (k % 2 ? exact.b : exact.a)[k >> 1]!),
  );
  const sides = [
    { clks: A, blocks: blocksA },
    { clks: B, blocks: blocksB },
  ] as const;
  for (const touching of [
    undefined,
    { a: Uint8Array.from(filtersA, (_, i) => (i % 7 === 0 ? 1 : 0)), b: new Uint8Array(n) },
  ]) {
    const mark = touching ? { touching } : {};
    const full = blockPairs(sides[0], sides[1], { diceFloor: floor, ...mark });
    const covered = blockPairs(sides[0], sides[1], { diceFloor: { ...floor, covered: true }, ...mark });
    const keep = (p: string) => !touching || touching.a[Number(p.split(',')[0])] === 1;
    const union = (x: Uint32Array) => pairsOf(interleave(unionPairs(pairListOf(x), exactPairs))).filter(keep);
    if (!touching)
      tt.ok(
        full.stats.lshKept > 50 && full.stats.largeBlockKept > 50,
        `LSH kept ${full.stats.lshKept}, large blocks ${full.stats.largeBlockKept}`,
      );
    tt.ok(covered.pairs.length < full.pairs.length, 'the covered call proposes fewer pairs itself');
    tt.equal(covered.stats.floorCovered, true);
    tt.equal(covered.stats.fromLsh, 0);
    tt.same(
      union(covered.pairs),
      union(full.pairs),
      `with the exact pass, the same pairs${touching ? ' (restricted)' : ''}`,
    );
    tt.same(covered.lshPlan, full.lshPlan, 'and the same LSH plan');
  }
});

t.test('blocking restricted to marked records is the unrestricted result filtered to them', async (tt) => {
  const r = rng(11);
  const n = 400;
  const base = Array.from({ length: n }, () => randomFilter(r, 0.45));
  const same = randomFilter(r);
  // 40 identical records on each side: their LSH bucket (and their shared token's block) is over the
  // caps below, so the restricted run must count every record of a bucket, not only the marked ones.
  const filtersA = [...base.map((f) => noisy(f, r, 0.03)), ...Array.from({ length: 40 }, () => same)];
  const filtersB = [...base.map((f) => noisy(f, r, 0.05)), ...Array.from({ length: 40 }, () => same)];
  const A = FilterSet.fromBytes(BITS, filtersA);
  const B = FilterSet.fromBytes(BITS, filtersB);
  const blocksA = filtersA.map((_, i) => (i < n ? tokens(i % 150) : tokens(9999)));
  const blocksB = filtersB.map((_, j) => (j < n ? tokens(j % 150) : tokens(9999)));
  // Blocks of three records on a side count as large: their pairs must reach the Dice as well.
  const opts = {
    tokens: { maxBlockSize: 30 },
    lsh: { maxBucketSize: 30, bands: 60, rows: 12 },
    diceFloor: { minDice: 0.46, largeBlockSize: 2 },
  };
  const markA = Uint8Array.from(filtersA, (_, i) => (i % 17 === 3 || i === n + 5 ? 1 : 0));
  const markB = Uint8Array.from(filtersB, (_, j) => (j % 23 === 1 ? 1 : 0));

  const full = blockPairs({ clks: A, blocks: blocksA }, { clks: B, blocks: blocksB }, opts);
  const part = blockPairs(
    { clks: A, blocks: blocksA },
    { clks: B, blocks: blocksB },
    { ...opts, touching: { a: markA, b: markB } },
  );
  const expected = pairsOf(full.pairs).filter((p) => {
    const [i, j] = p.split(',').map(Number) as [number, number];
    return markA[i] === 1 || markB[j] === 1;
  });
  tt.ok(full.stats.skippedBuckets > 0 && full.stats.skippedBlocks > 0, 'the caps are hit');
  tt.ok(full.stats.largeBlockKept < full.stats.largeBlockPairs, 'the large-block Dice test drops pairs');
  tt.ok(expected.length > 100, `${expected.length} pairs touch a marked record`);
  tt.same(pairsOf(part.pairs), expected, 'A × B: the same pairs');

  const all = new Uint8Array(filtersA.length).fill(1);
  tt.same(
    pairsOf(
      blockPairs(
        { clks: A, blocks: blocksA },
        { clks: B, blocks: blocksB },
        { ...opts, touching: { a: all, b: new Uint8Array(filtersB.length) } },
      ).pairs,
    ),
    pairsOf(full.pairs),
    'every record marked: everything',
  );

  const fullD = blockPairs({ clks: A, blocks: blocksA }, null, opts);
  const partD = blockPairs({ clks: A, blocks: blocksA }, null, { ...opts, touching: { a: markA, b: null } });
  const expectedD = pairsOf(fullD.pairs).filter((p) => {
    const [i, j] = p.split(',').map(Number) as [number, number];
    return markA[i] === 1 || markA[j] === 1;
  });
  tt.ok(expectedD.length > 10, `within A: ${expectedD.length} pairs touch a marked record`);
  tt.same(pairsOf(partD.pairs), expectedD, 'within A: the same pairs');
  tt.throws(() => blockPairs({ clks: A }, { clks: B }, { touching: { a: markA, b: null } }), /marks/);
});

t.test('an LSH plan reused: the same pairs, whatever other records come and go', async (tt) => {
  const r = rng(12);
  const base = Array.from({ length: 300 }, () => randomFilter(r, 0.45));
  const A = FilterSet.fromBytes(
    BITS,
    base.map((f) => noisy(f, r, 0.04)),
  );
  const B = FilterSet.fromBytes(
    BITS,
    base.map((f) => noisy(f, r, 0.06)),
  );
  const first = lshPairs(A, B);
  const again = lshPairs(A, B, { plan: { rows: first.rows, positions: first.positions } });
  tt.same(listToStrings(again.pairs), listToStrings(first.pairs), 'the plan reproduces its own pairs');
  tt.same(again.positions, first.positions);
  tt.same(
    planPositions(planFromPositions({ rows: first.rows, positions: first.positions })),
    first.positions,
    'positions → plan → positions',
  );
  // Denser records on B's side shift the bit frequencies: sampled afresh, the positions change,
  // with the plan the pairs among the first 300 records do not.
  const B2 = FilterSet.fromBytes(BITS, [
    ...base.map((_, j) => B.get(j)),
    ...Array.from({ length: 300 }, () => randomFilter(r, 0.8)),
  ]);
  tt.notSame(lshPairs(A, B2).positions, first.positions, 'another sample from other frequencies');
  const kept = lshPairs(A, B2, { plan: { rows: first.rows, positions: first.positions } });
  tt.same(
    listToStrings(kept.pairs).filter((p) => Number(p.split(',')[1]) < 300),
    listToStrings(first.pairs),
    'with the plan: the same pairs among the records both had',
  );
  tt.throws(() => lshPairs(A, B, { plan: { rows: 7, positions: first.positions.subarray(0, 10) } }), /whole bands/);
});

// ---- primitives -------------------------------------------------------------------------------

t.test('radix pair sort, collector compaction and helpers', async (tt) => {
  const r = rng(8);
  const n = 50_000;
  const a = new Uint32Array(n);
  const b = new Uint32Array(n);
  for (let k = 0; k < n; k++) {
    a[k] = r() < 0.5 ? Math.floor(r() * 50) : Math.floor(r() * 2 ** 32);
    b[k] = r() < 0.5 ? Math.floor(r() * 50) : Math.floor(r() * 2 ** 32);
  }
  const ref = Array.from({ length: n }, (_, k) => [a[k] as number, b[k] as number] as const).sort(
    (x, y) => x[0] - y[0] || x[1] - y[1],
  );
  const s = sortPairs(a.slice(), b.slice(), n, new Uint32Array(n), new Uint32Array(n));
  tt.ok(
    ref.every(([x, y], k) => s.a[k] === x && s.b[k] === y),
    'sortPairs matches a comparison sort',
  );

  const c = new PairCollector(16); // tiny: forces many compactions
  const expect = new Set<string>();
  for (let k = 0; k < 20_000; k++) {
    const i = Math.floor(r() * 60);
    const j = Math.floor(r() * 60);
    c.push(i, j);
    expect.add(`${i},${j}`);
  }
  tt.same(listToStrings(c.finish()), sortedRef(expect), 'collector: distinct pairs, sorted');

  tt.same(
    [...sortUniquePairs(Uint32Array.from([3, 1, 1, 3, 2, 2, 1, 3]), true)],
    [1, 3],
    'dedup: (3,1)=(1,3), (2,2) dropped',
  );
  tt.same([...sortUniquePairs(Uint32Array.from([3, 1, 1, 3, 1, 3]))], [1, 3, 3, 1]);
  const u = unionPairs(pairListOf(Uint32Array.from([0, 1, 2, 2])), pairListOf(Uint32Array.from([0, 1, 1, 0])));
  tt.same(listToStrings(u), ['0,1', '1,0', '2,2']);
});

t.test('metrics on a hand example', async (tt) => {
  // 4 × 5 = 20 possible pairs; 4 candidates, one repeated; truth 3 pairs, 2 of them found.
  const cand = Uint32Array.from([0, 0, 1, 1, 2, 4, 0, 0, 3, 2]);
  const truth = Uint32Array.from([0, 0, 1, 1, 3, 3]);
  const q = blockingQuality(cand, truth, 4, 5);
  tt.equal(q.candidates, 4);
  tt.equal(q.truePairs, 3);
  tt.equal(q.trueFound, 2);
  tt.equal(q.pairCompleteness, 2 / 3);
  tt.equal(q.reductionRatio, 1 - 4 / 20);
  tt.equal(q.pairsQuality, 2 / 4);
  // Within one source of 5: 10 pairs; (2,1) is the same pair as (1,2).
  const d = blockingQuality(Uint32Array.from([2, 1, 3, 4]), Uint32Array.from([1, 2, 0, 4]), 5, null);
  tt.same([d.candidates, d.trueFound, d.pairCompleteness, d.reductionRatio], [2, 1, 0.5, 0.8]);
  tt.equal(reductionRatio(0, 1, null), 1, 'no pairs at all');
});

// ---- FEBRL 4 target -----------------------------------------------------------------------------

const FEBRL = '/work/shared/data/febrl4/';

/** Emulated agency tokens, as in bench/src/bench-blocking.ts. */
function febrlTokens(v: readonly string[]): Uint8Array {
  const [, given = '', surname = '', , , , , postcode = '', , dob = '', ssn = ''] = v;
  const yob = dob.slice(0, 4);
  const keys: string[] = [];
  if (surname && yob) keys.push(`surname-soundex+yob\u0000${soundex(surname)}|${yob}`);
  if (postcode && yob) keys.push(`postcode+yob\u0000${postcode}|${yob}`);
  if (ssn) keys.push(`ssn\u0000${ssn}`);
  if (dob) keys.push(`dob\u0000${dob}`);
  if (given && surname) keys.push(`names-soundex\u0000${[soundex(given), soundex(surname)].sort().join('|')}`);
  const out = new Uint8Array(16 * keys.length);
  keys.forEach((k, i) => {
    out.set(createHmac('sha256', 'bench-blocking-token-key').update(k).digest().subarray(0, 16), 16 * i);
  });
  return out;
}

t.test('FEBRL 4: pair completeness ≥ 0.999 and reduction ratio ≥ 0.999 with the defaults', async (tt) => {
  const rows = (text: string): string[][] =>
    text
      .split('\n')
      .slice(1)
      .filter((l) => l.trim() !== '')
      .map((l) => l.split(',').map((x) => x.trim()));
  const rowsA = rows(await readFile(FEBRL + 'dataset4a.csv', 'utf8'));
  const rowsB = rows(await readFile(FEBRL + 'dataset4b.csv', 'utf8'));
  const clksA = (JSON.parse(await readFile(FEBRL + 'clkhash_dataset4a_clks.json', 'utf8')) as { clks: string[] }).clks;
  const enc = ClkEncoder.fromSecret(
    parseClkSchema(JSON.parse(await readFile(FEBRL + 'clkhash_schema_v3.json', 'utf8'))),
    'secret',
  );
  const A = FilterSet.fromBytes(
    BITS,
    clksA.map((c) => new Uint8Array(Buffer.from(c, 'base64'))),
  );
  const B = FilterSet.fromBytes(
    BITS,
    rowsB.map((v) => enc.encode(v)),
  );
  const indexA = new Map(rowsA.map((v, i) => [(v[0] ?? '').replace(/-org$/, ''), i]));
  const truth: number[] = [];
  rowsB.forEach((v, j) => {
    truth.push(indexA.get((v[0] ?? '').replace(/-dup-0$/, '')) as number, j);
  });
  tt.equal(truth.length, 10_000);

  const res = blockPairs({ clks: A, blocks: rowsA.map(febrlTokens) }, { clks: B, blocks: rowsB.map(febrlTokens) });
  const q = blockingQuality(res.pairs, Uint32Array.from(truth), 5000, 5000);
  tt.comment(
    `FEBRL 4: PC ${q.pairCompleteness.toFixed(4)} (${q.trueFound}/5000), RR ${q.reductionRatio.toFixed(6)}` +
      `, ${q.candidates} candidates; tokens ${res.stats.fromTokens}, LSH ${res.stats.fromLsh}`,
  );
  tt.ok(q.pairCompleteness >= 0.999, `pair completeness ${q.pairCompleteness}`);
  tt.ok(q.reductionRatio >= 0.999, `reduction ratio ${q.reductionRatio}`);
  tt.ok(sortedUnique(res.pairs, false), 'strictly increasing');
});
