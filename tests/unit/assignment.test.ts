// The one-to-one (bipartite matching) posteriors the residual pass uses, against a plain reference
// that lists every partial matching and weighs it by its prior and Bayes factors.
import t from 'tap';
import {
  expectedMatches,
  matchingCount,
  matchingProfile,
  matchMarginals,
  MAX_MATCHINGS,
  pairwiseMarginals,
  profileMarginals,
} from '@blindlink/broker/scoring';
import { seededRandom } from '@blindlink/broker/prng';

/** Every partial matching of rows × cols, as lists of [row, col]. */
function matchings(rows: number, cols: number): [number, number][][] {
  const out: [number, number][][] = [];
  const go = (r: number, used: Set<number>, acc: [number, number][]) => {
    if (r === rows) {
      out.push([...acc]);
      return;
    }
    go(r + 1, used, acc);
    for (let c = 0; c < cols; c++) {
      if (used.has(c)) continue;
      used.add(c);
      acc.push([r, c]);
      go(r + 1, used, acc);
      acc.pop();
      used.delete(c);
    }
  };
  go(0, new Set(), []);
  return out;
}

const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));

/** The reference: P(M) = ρ^k (1−ρ)^(n1−k) (n2−k)!/n2! · Π 2^bf, marginals by brute force. */
function reference(bf: number[], rows: number, cols: number, rho: number): number[] {
  const n1 = Math.min(rows, cols);
  const n2 = Math.max(rows, cols);
  let z = 0;
  const acc = new Array(rows * cols).fill(0);
  for (const m of matchings(rows, cols)) {
    const k = m.length;
    let w = rho ** k * (1 - rho) ** (n1 - k) * (factorial(n2 - k) / factorial(n2));
    for (const [r, c] of m) w *= 2 ** bf[r * cols + c]!;
    z += w;
    for (const [r, c] of m) acc[r * cols + c] += w;
  }
  return acc.map((x) => x / z);
}

t.test('matching counts: the number of partial matchings', async (t) => {
  t.equal(matchingCount(1, 1), 2, 'one pair or none');
  t.equal(matchingCount(2, 2), 7, '1 empty + 4 single + 2 perfect');
  t.equal(matchingCount(2, 3), matchingCount(3, 2), 'symmetric');
  t.equal(matchingCount(2, 3), matchings(2, 3).length);
  t.equal(matchingCount(4, 5), matchings(4, 5).length);
});

t.test('one record a side: the closed form ρ·BF / (ρ·BF + 1 − ρ)', async (t) => {
  for (const [bf, rho] of [
    [0, 0.5],
    [-4.8, 0.975],
    [10, 0.2],
    [-30, 0.99],
  ] as const) {
    const want = (rho * 2 ** bf) / (rho * 2 ** bf + 1 - rho);
    t.ok(Math.abs(matchMarginals([bf], 1, 1, rho)[0]! - want) < 1e-12, `BF 2^${bf}, ρ ${rho}`);
  }
  // The case the residual pass exists for: a given name that disagrees (−4.8 bits against a
  // co-resident) at an address where each source holds one record, and coverage 0.975.
  t.ok(matchMarginals([-4.8], 1, 1, 0.975)[0]! > 0.5, 'one record each side: the weak pair is the likelier reading');
  t.ok(matchMarginals([-4.8, -4.8], 1, 2, 0.975)[0]! < 0.5, 'two candidates of equal evidence: neither is');
});

t.test('exact marginals equal the brute-force reference on random groups', async (t) => {
  const rnd = seededRandom(7);
  let checked = 0;
  for (let trial = 0; trial < 200; trial++) {
    const rows = 1 + Math.floor(rnd() * 4);
    const cols = 1 + Math.floor(rnd() * 5);
    const bf = Array.from({ length: rows * cols }, () => (rnd() - 0.5) * 40);
    const rho = 0.05 + rnd() * 0.9;
    const got = matchMarginals(bf, rows, cols, rho);
    const want = reference(bf, rows, cols, rho);
    const worst = Math.max(...want.map((w, p) => Math.abs(w - got[p]!)));
    if (worst > 1e-9) t.fail(`${rows}×${cols} ρ ${rho}: off by ${worst}`);
    checked++;
    // Each record is matched at most once: its marginals sum to at most 1.
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let c = 0; c < cols; c++) s += got[r * cols + c]!;
      if (s > 1 + 1e-9) t.fail(`row ${r} sums to ${s}`);
    }
  }
  t.equal(checked, 200);
});

t.test('a profile serves every ρ; expected matches are the marginals summed', async (t) => {
  const bf = [8, -3, -6, 1.5, 12, -20];
  const profile = matchingProfile(bf, 2, 3)!;
  for (const rho of [0.1, 0.5, 0.97]) {
    const m = profileMarginals(profile, rho);
    t.same(
      Array.from(m).map((x) => x.toFixed(12)),
      reference(bf, 2, 3, rho).map((x) => x.toFixed(12)),
      `ρ ${rho}`,
    );
    t.ok(
      Math.abs(expectedMatches(profile, rho) - m.reduce((a, b) => a + b, 0)) < 1e-12,
      `expected matches at ρ ${rho}`,
    );
  }
  t.ok(expectedMatches(profile, 0.9) > expectedMatches(profile, 0.2), 'more coverage, more matches expected');
});

t.test('extreme Bayes factors neither overflow nor lose the answer', async (t) => {
  const m = matchMarginals([900, -900, -900, 900], 2, 2, 0.5);
  t.ok(m[0]! > 0.999 && m[3]! > 0.999 && m[1]! < 1e-6 && m[2]! < 1e-6, `${Array.from(m)}`);
  t.ok(
    Array.from(matchMarginals(new Array(36).fill(40), 6, 6, 0.9)).every((x) => Number.isFinite(x) && x > 0 && x < 1),
    'a 6×6 group of strong pairs stays finite',
  );
});

t.test('a group too large to enumerate falls back to independent pairs', async (t) => {
  t.ok(matchingCount(8, 9) > MAX_MATCHINGS);
  t.equal(matchingProfile(new Array(72).fill(0), 8, 9), null);
  const bf = Array.from({ length: 72 }, (_, p) => (p % 7) - 3);
  t.same(matchMarginals(bf, 8, 9, 0.9), pairwiseMarginals(bf, 8, 9, 0.9), 'pairwise with prior ρ / max(rows, cols)');
  t.equal(matchingProfile(new Array(40).fill(0), 1, 40), null, 'more than 31 records a side: no bitmask enumeration');
});

t.test('bad input is refused with the reason', async (t) => {
  t.throws(() => matchMarginals([0], 1, 1, 1), /strictly between 0 and 1/);
  t.throws(() => matchMarginals([0], 1, 1, 0), /strictly between 0 and 1/);
  t.throws(() => matchMarginals([0, 0], 1, 1, 0.5), /2 Bayes factors for 1 × 1/);
});
