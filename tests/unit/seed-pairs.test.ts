// Pattern mining's seed pairs (broker/src/privacy/mining.ts) are chosen in a bounded heap, with pairs
// that cannot beat its worst skipped uncounted: the result must be exactly the first `limit` pairs of
// every pair above the floor sorted by excess (a stable sort: ties in (p, q) order).
import t from 'tap';
import { seedPairs } from '../../broker/dist/privacy/mining.js';
import { andCount, newBitset, popcountWords, setItem } from '../../broker/dist/privacy/bits.js';
import { seededRandom } from '@blindlink/broker/prng';

function reference(cols: Uint32Array[], S: number, m: number, limit: number) {
  const f = cols.map((c) => popcountWords(c) / S);
  const pairs: { p: number; q: number; e: number }[] = [];
  for (let p = 0; p < m; p++) {
    if (f[p] === 0) continue;
    for (let q = p + 1; q < m; q++) {
      const e = andCount(cols[p]!, cols[q]!) / S - f[p]! * f[q]!;
      if (e > 0.001) pairs.push({ p, q, e });
    }
  }
  return pairs
    .sort((a, b) => b.e - a.e)
    .slice(0, limit)
    .map(({ p, q }) => ({ p, q }));
}

t.test('the bounded heap gives the first pairs of the full sort, ties included', async (t) => {
  for (const [S, m, limit, seed] of [
    [40, 64, 25, 1], // few records: many equal excesses
    [300, 128, 481, 2],
    [300, 128, 5000, 3], // a limit above the number of pairs: all of them
    [1000, 96, 1, 4],
    [50, 32, 0, 5],
  ] as const) {
    const rand = seededRandom(seed);
    // Positions of very different frequencies, and some correlated groups, as filters have.
    const share = Array.from({ length: m }, () => rand() ** 2);
    const cols = Array.from({ length: m }, () => newBitset(S));
    for (let j = 0; j < S; j++) {
      const group = Math.floor(rand() * 8);
      for (let p = 0; p < m; p++) if (rand() < share[p]! || (p % 8 === group && rand() < 0.5)) setItem(cols[p]!, j);
    }
    // Copies of a few columns: many pairs with exactly equal excesses, at the heap's edge too.
    for (let p = m / 2; p < m; p += 2) cols[p] = Uint32Array.from(cols[p % 5]!);
    const got = seedPairs(cols, S, m, limit);
    const want = reference(cols, S, m, limit);
    t.ok(want.length > 0 || limit === 0, `S ${S}, m ${m}: ${want.length} pairs expected`);
    t.same(got, want, `S ${S}, m ${m}, limit ${limit}: the same pairs in the same order`);
  }
});
