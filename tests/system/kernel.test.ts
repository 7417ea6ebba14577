// Similarity kernel: every backend (native addon, generated WASM, WASM SIMD, pure TS) and the
// worker-thread variant against a plain bit-by-bit reference, on random and adversarial filters.
// The native addon is built by `npm ci`; its absence fails here unless BLINDLINK_KERNEL_NATIVE=0
// says the engine is meant to run without it.
import { seededRandom } from '@blindlink/broker/prng';
import t from 'tap';
import { execFileSync } from 'node:child_process';
// The broker package exports only its root; the kernel is reached through its compiled module.
import {
  FilterSet,
  availableBackends,
  buildDiceModule,
  candidatesAbove,
  candidatesAboveParallel,
  dice,
  kernelBackend,
  nativeStatus,
  popcountBounds,
  setKernelBackend,
  sortByPopcount,
} from '@blindlink/broker/kernel';
import type { Candidates, KernelBackend } from '@blindlink/broker/kernel';

// ---- plain reference: unpack bits in the serialised order and count -------------------------

function bitAt(bytes: Uint8Array, j: number): number {
  return ((bytes[j >> 3] as number) >> (7 - (j & 7))) & 1;
}

function refDice(a: Uint8Array, b: Uint8Array, bits: number): number {
  let common = 0;
  let pa = 0;
  let pb = 0;
  for (let j = 0; j < bits; j++) {
    const x = bitAt(a, j);
    const y = bitAt(b, j);
    pa += x;
    pb += y;
    common += x & y;
  }
  return pa + pb === 0 ? 0 : (2 * common) / (pa + pb);
}

interface Hit {
  a: number;
  b: number;
  score: number;
}

function refAbove(A: Uint8Array[], B: Uint8Array[], bits: number, threshold: number): Hit[] {
  const hits: Hit[] = [];
  A.forEach((fa, i) => {
    B.forEach((fb, j) => {
      const s = refDice(fa, fb, bits);
      if (s >= threshold) hits.push({ a: i, b: j, score: Math.fround(s) });
    });
  });
  return hits;
}

function toHits(c: Candidates): Hit[] {
  return Array.from(c.a, (a, k) => ({ a, b: c.b[k] as number, score: c.score[k] as number }));
}

const byPair = (x: Hit, y: Hit): number => x.a - y.a || x.b - y.b;

function sameArrays(c: Candidates, d: Candidates): boolean {
  const eq = (x: ArrayLike<number>, y: ArrayLike<number>): boolean =>
    x.length === y.length && Array.prototype.every.call(x, (v: number, k: number) => Object.is(v, y[k]));
  return eq(c.a, d.a) && eq(c.b, d.b) && eq(c.score, d.score);
}

// ---- inputs ----------------------------------------------------------------------------------

/** Deterministic PRNG (the broker's own, mulberry32) so runs and failures reproduce. */
const rng = seededRandom;

function clearPadding(bytes: Uint8Array, bits: number): Uint8Array {
  const spare = bytes.length * 8 - bits;
  if (spare > 0) bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) & (0xff << spare) & 0xff;
  return bytes;
}

/** Random filters of varied density, plus empty, all-ones, single-bit and near-duplicate ones. */
function filters(bits: number, n: number, seed: number): Uint8Array[] {
  const r = rng(seed);
  const len = Math.ceil(bits / 8);
  const out: Uint8Array[] = [];
  out.push(new Uint8Array(len)); // empty
  out.push(clearPadding(new Uint8Array(len).fill(0xff), bits)); // all ones
  for (const j of [0, bits - 1, Math.floor(bits / 2)]) {
    const f = new Uint8Array(len);
    f[j >> 3] = 1 << (7 - (j & 7)); // single bit
    out.push(f);
  }
  while (out.length < n) {
    const density = r();
    const f = new Uint8Array(len);
    for (let j = 0; j < bits; j++) if (r() < density) f[j >> 3] = (f[j >> 3] as number) | (1 << (7 - (j & 7)));
    out.push(f);
    if (out.length < n && r() < 0.2) {
      const g = f.slice(); // near-duplicate: flip one bit
      const j = Math.floor(r() * bits);
      g[j >> 3] = (g[j >> 3] as number) ^ (1 << (7 - (j & 7)));
      out.push(g);
    }
  }
  return out.slice(0, n);
}

const backends = availableBackends();
// The project's TypeScript lib (ES2023, no DOM) does not declare the WebAssembly global.
const wasm = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
// Word counts 1, 2, 8, 16, 21, 32 and 79: every specialised word count of the native kernel, the
// runtime-length one, partial last words, and B sets that do not fill its last block of eight.
const LENGTHS = [1, 8, 72, 512, 1000, 1001, 1024, 1300, 2048, 5000];
const nativeOptedOut = process.env.BLINDLINK_KERNEL_NATIVE === '0';

t.test('backends: native unless opted out, WASM on Node, the JS fallback always', async (t) => {
  if (nativeOptedOut) t.notOk(backends.includes('native'), 'BLINDLINK_KERNEL_NATIVE=0 leaves the addon unloaded');
  else
    t.ok(
      backends.includes('native'),
      `native addon loaded (${nativeStatus().detail}); set BLINDLINK_KERNEL_NATIVE=0 only where it cannot build`,
    );
  t.equal(nativeStatus().available, backends.includes('native'));
  t.ok(backends.includes('wasm'), 'scalar WASM kernel validates');
  t.ok(backends.includes('js'));
  t.equal(backends[0], kernelBackend(), 'default backend is the preferred one');
  if (!nativeOptedOut) t.equal(kernelBackend(), 'native', 'native is preferred');
  for (const words of [1, 2, 3, 16, 17, 32, 64, 200]) {
    t.ok(wasm.validate(buildDiceModule(words, false)), `scalar module validates for ${words} words`);
    if (backends.includes('wasm-simd'))
      t.ok(wasm.validate(buildDiceModule(words, true)), `SIMD module validates for ${words} words`);
  }
});

t.test('BLINDLINK_KERNEL_NATIVE=0 falls back to WebAssembly and says why', async (t) => {
  const probe =
    `import('@blindlink/broker/kernel').then((k) => console.log(JSON.stringify([k.availableBackends(), ` +
    `k.kernelBackend(), k.nativeStatus()])))`;
  const out = execFileSync(process.execPath, ['-e', probe], {
    env: { ...process.env, BLINDLINK_KERNEL_NATIVE: '0' },
    encoding: 'utf8',
  });
  const [list, chosen, status] = JSON.parse(out) as [string[], string, { available: boolean; detail: string }];
  t.notOk(list.includes('native'));
  t.equal(chosen, 'wasm');
  t.same(status, { available: false, detail: 'disabled by BLINDLINK_KERNEL_NATIVE=0' });
});

t.test('dice: definition and edge cases', async (t) => {
  const z = new Uint8Array(4);
  const ones = new Uint8Array(4).fill(0xff);
  t.equal(dice(z, z), 0, 'two empty filters have Dice 0');
  t.equal(dice(z, ones), 0);
  t.equal(dice(ones, ones), 1);
  t.equal(dice(Uint8Array.of(0b11110000), Uint8Array.of(0b11000000)), (2 * 2) / (4 + 2));
  t.equal(dice(Uint8Array.of(0b10101010), Uint8Array.of(0b01010101)), 0);
  t.throws(() => dice(z, new Uint8Array(3)), RangeError);
  const r = filters(1000, 30, 7);
  for (const a of r) for (const b of r) if (dice(a, b) !== refDice(a, b, 1000)) t.fail('dice differs from reference');
  t.pass('dice equals the bit-by-bit reference on 900 pairs');
});

t.test('FilterSet: storage, popcounts, validation', async (t) => {
  const bits = 1001;
  const fs = filters(bits, 12, 3);
  const set = FilterSet.fromBytes(bits, fs);
  t.equal(set.words64, 16);
  fs.forEach((f, i) => {
    t.same(set.get(i), f, `filter ${i} round-trips`);
    let ones = 0;
    for (let j = 0; j < bits; j++) ones += bitAt(f, j);
    t.equal(set.popcount(i), ones, `filter ${i} popcount`);
  });
  t.throws(() => set.set(0, new Uint8Array(125)), RangeError, 'wrong length');
  const bad = new Uint8Array(126);
  bad[125] = 0x01; // a bit past position 1000
  t.throws(() => set.set(0, bad), RangeError, 'padding bits must be zero');
  t.throws(() => set.popcount(12), RangeError);
  t.throws(() => new FilterSet(0, 1), RangeError);
});

t.test('popcount bounds never exclude a qualifying pair (exhaustive at the edges)', async (t) => {
  // Dice is largest when |A∧B| = min(pa, pb); using that exact (f64) value as the threshold puts
  // each pair exactly on the edge, which is where rounding could bite.
  let checked = 0;
  const check = (pa: number, pb: number): void => {
    const best = pa + pb === 0 ? 0 : (2 * Math.min(pa, pb)) / (pa + pb);
    for (const thr of [best, best - 1e-12, Math.max(0, best - 0.01)]) {
      const { min, max } = popcountBounds(pa, thr);
      if (pb < min || pb > max) t.fail(`pa=${pa} pb=${pb} t=${thr}: bounds [${min}, ${max}] drop a qualifying pair`);
      checked++;
    }
  };
  for (let pa = 0; pa <= 400; pa++) for (let pb = 0; pb <= 400; pb++) check(pa, pb);
  const r = rng(11);
  for (let k = 0; k < 200_000; k++) {
    const pa = Math.floor(r() * 262_145);
    check(pa, Math.max(0, Math.min(262_144, pa + Math.floor((r() - 0.5) * pa))));
  }
  t.ok(checked > 1_000_000, `checked ${checked} (pa, pb, t) cases`);
  // And the bounds do prune: at t = 0.8, pa = 500 admits only pb in about [333, 750].
  const b = popcountBounds(500, 0.8);
  t.ok(b.min >= 330 && b.max <= 752, `bounds at 0.8 are tight: [${b.min}, ${b.max}]`);
  t.same(popcountBounds(10, 1.5), { min: 1, max: 0 }, 'no pair reaches a threshold above 1');
  t.ok(popcountBounds(0, 0).max >= 1, 'threshold 0 admits everything');
});

t.test('sortByPopcount is a stable counting sort', async (t) => {
  const pops = Uint32Array.of(3, 1, 3, 0, 1, 5);
  const { order, pops: sorted } = sortByPopcount(pops, 5);
  t.same(Array.from(order), [3, 1, 4, 0, 2, 5]);
  t.same(Array.from(sorted), [0, 1, 1, 3, 3, 5]);
});

t.test('all pairs: every backend equals the reference, for every length and threshold', async (t) => {
  for (const bits of LENGTHS) {
    const A = filters(bits, 40, bits);
    const B = filters(bits, 55, bits + 1);
    const setA = FilterSet.fromBytes(bits, A);
    const setB = FilterSet.fromBytes(bits, B);
    // Thresholds: the extremes, typical values, and exact scores that occur (edge: included).
    const occurring = refAbove(A.slice(0, 6), B, bits, 0).map((h) =>
      refDice(A[h.a] as Uint8Array, B[h.b] as Uint8Array, bits),
    );
    const thresholds = [
      -Infinity,
      -0.5,
      0,
      1e-9,
      0.3,
      0.5,
      0.8,
      1,
      1.5,
      Infinity,
      ...occurring.filter((_, k) => k % 37 === 0),
    ];
    for (const thr of thresholds) {
      const want = refAbove(A, B, bits, thr).sort(byPair);
      const results = backends.map((be) => candidatesAbove(setA, setB, thr, { backend: be }));
      results.forEach((got, k) => {
        const hits = toHits(got).sort(byPair);
        if (
          hits.length !== want.length ||
          hits.some((h, m) => byPair(h, want[m] as Hit) !== 0 || h.score !== (want[m] as Hit).score)
        ) {
          t.fail(`${backends[k]} bits=${bits} t=${thr}: ${hits.length} hits, reference ${want.length}`);
        }
        if (!sameArrays(got, results[0] as Candidates))
          t.fail(`${backends[k]} differs from ${backends[0]} at bits=${bits} t=${thr}`);
      });
      if (occurring.includes(thr) && want.length === 0)
        t.fail('an occurring score used as threshold must include its own pair');
    }
    t.pass(`bits=${bits}: ${backends.join(', ')} agree with the reference on ${thresholds.length} thresholds`);
  }
});

t.test('all pairs: bits only in the last quarter of the words (what the native early exit skips)', async (t) => {
  // The native kernel counts the first three quarters of the words, then skips the rest for a row
  // whose bounds (count so far + the smaller popcount of the rest) cannot reach the threshold:
  // here the count so far is 0 and everything depends on the rest.
  for (const bits of [512, 1024, 2048, 1300]) {
    const words = Math.ceil(bits / 64);
    const from = (words - Math.floor(words / 4)) * 64;
    const only = (f: Uint8Array): Uint8Array => {
      const g = f.slice();
      for (let j = 0; j < Math.min(from, bits); j++) g[j >> 3] = (g[j >> 3] as number) & ~(1 << (7 - (j & 7)));
      return g;
    };
    const A = filters(bits, 30, bits + 7).map(only);
    const B = filters(bits, 45, bits + 8).map(only);
    for (const thr of [0.3, 0.6, 0.9]) {
      const want = refAbove(A, B, bits, thr).sort(byPair);
      for (const be of backends) {
        const got = toHits(
          candidatesAbove(FilterSet.fromBytes(bits, A), FilterSet.fromBytes(bits, B), thr, { backend: be }),
        );
        t.same(got.sort(byPair), want, `${be} bits=${bits} t=${thr}: ${want.length} pairs`);
      }
    }
  }
});

t.test('threshold edge: a pair scoring exactly the threshold is included', async (t) => {
  const a = Uint8Array.of(0b11110000); // pa = 4
  const b = Uint8Array.of(0b11100000); // pb = 3, common 3: Dice = 6/7
  const exact = 6 / 7;
  for (const be of backends) {
    const got = candidatesAbove(FilterSet.fromBytes(8, [a]), FilterSet.fromBytes(8, [b]), exact, { backend: be });
    t.equal(got.a.length, 1, `${be}: included at t = Dice`);
    t.equal(got.score[0], Math.fround(exact));
    const above = candidatesAbove(FilterSet.fromBytes(8, [a]), FilterSet.fromBytes(8, [b]), exact + 2 ** -50, {
      backend: be,
    });
    t.equal(above.a.length, 0, `${be}: excluded just above`);
  }
  // Empty against empty is Dice 0: included at threshold 0, not above.
  const e = FilterSet.fromBytes(72, [new Uint8Array(9)]);
  for (const be of backends) {
    t.same(toHits(candidatesAbove(e, e, 0, { backend: be })), [{ a: 0, b: 0, score: 0 }], `${be}: empty pair at t=0`);
    t.equal(candidatesAbove(e, e, 1e-300, { backend: be }).a.length, 0);
  }
});

t.test('candidate list: only listed pairs, in list order, pruning applied', async (t) => {
  for (const bits of [72, 1024, 2048]) {
    const A = filters(bits, 30, 100 + bits);
    const B = filters(bits, 45, 200 + bits);
    const setA = FilterSet.fromBytes(bits, A);
    const setB = FilterSet.fromBytes(bits, B);
    const r = rng(bits);
    const list: number[] = [];
    for (let k = 0; k < 700; k++) list.push(Math.floor(r() * A.length), Math.floor(r() * B.length)); // duplicates too
    const pairs = Uint32Array.from(list);
    for (const thr of [0, 0.4, 0.6, 0.9]) {
      const want: Hit[] = [];
      for (let k = 0; k < list.length; k += 2) {
        const s = refDice(A[list[k] as number] as Uint8Array, B[list[k + 1] as number] as Uint8Array, bits);
        if (s >= thr) want.push({ a: list[k] as number, b: list[k + 1] as number, score: Math.fround(s) });
      }
      for (const be of backends)
        t.same(toHits(candidatesAbove(setA, setB, thr, { backend: be, pairs })), want, `${be} bits=${bits} t=${thr}`);
    }
  }
  const s = FilterSet.fromBytes(8, [Uint8Array.of(1)]);
  t.throws(() => candidatesAbove(s, s, 0.5, { pairs: Uint32Array.of(0, 1) }), RangeError, 'out-of-range pair');
  t.throws(() => candidatesAbove(s, s, 0.5, { pairs: Uint32Array.of(0) }), RangeError, 'odd-length list');
  t.same(toHits(candidatesAbove(s, s, 0.5, { pairs: new Uint32Array(0) })), []);
});

t.test('large outputs, unaligned views and dense lists: every backend identical', async (t) => {
  // 60 × 20,000 pairs at threshold 0 overflow one native batch of output room (2^20 slots).
  const bits = 64;
  const A = filters(bits, 60, 21);
  const B = filters(bits, 20_000, 22);
  const setA = FilterSet.fromBytes(bits, A);
  const setB = FilterSet.fromBytes(bits, B);
  for (const thr of [0, 0.6]) {
    const results = backends.map((be) => candidatesAbove(setA, setB, thr, { backend: be }));
    const want = refAbove(A, B, bits, thr);
    const hits = toHits(results[0] as Candidates).sort(byPair);
    t.ok(
      hits.length === want.length &&
        hits.every((h, k) => byPair(h, want[k] as Hit) === 0 && h.score === (want[k] as Hit).score),
      `t=${thr}: ${hits.length} hits equal the reference`,
    );
    results.forEach((got, k) => {
      t.ok(sameArrays(got, results[0] as Candidates), `t=${thr}: ${backends[k]} identical`);
    });
  }
  // Filter words that start 4 bytes into their buffer (typed arrays promise 4-byte alignment only).
  const wide = FilterSet.fromBytes(1024, filters(1024, 30, 23));
  const shifted = new Uint32Array(wide.words.length + 1);
  shifted.set(wide.words, 1);
  const view = { ...wide.view(), words: shifted.subarray(1) };
  const list = Uint32Array.from({ length: 2 * 500 }, (_, k) => (k * 7919) % 30);
  for (const be of backends) {
    t.ok(
      sameArrays(
        candidatesAbove(view, view, 0.4, { backend: be }),
        candidatesAbove(wide, wide, 0.4, { backend: 'js' }),
      ),
      `${be}: unaligned words, all pairs`,
    );
    t.ok(
      sameArrays(
        candidatesAbove(view, view, 0.4, { backend: be, pairs: list }),
        candidatesAbove(wide, wide, 0.4, { backend: 'js', pairs: list }),
      ),
      `${be}: unaligned words, pair list`,
    );
  }
});

t.test('input validation', async (t) => {
  const a = FilterSet.fromBytes(8, [Uint8Array.of(1)]);
  const b = FilterSet.fromBytes(16, [Uint8Array.of(1, 0)]);
  t.throws(() => candidatesAbove(a, b, 0.5), RangeError, 'different lengths');
  t.throws(() => candidatesAbove(a, a, Number.NaN), RangeError, 'NaN threshold');
  t.same(toHits(candidatesAbove(new FilterSet(8, 0), a, 0)), [], 'empty set');
});

t.test('forcing the JS fallback', async (t) => {
  const bits = 1024;
  const setA = FilterSet.fromBytes(bits, filters(bits, 20, 1));
  const setB = FilterSet.fromBytes(bits, filters(bits, 25, 2));
  const auto = candidatesAbove(setA, setB, 0.3);
  setKernelBackend('js');
  t.teardown(() => setKernelBackend('auto'));
  t.equal(kernelBackend(), 'js');
  t.ok(sameArrays(candidatesAbove(setA, setB, 0.3), auto), 'forced JS gives identical arrays');
  setKernelBackend('auto');
  t.equal(kernelBackend(), backends[0]);
  t.throws(() => setKernelBackend('nope' as KernelBackend));
});

t.test('worker threads: identical to the single-thread kernel', async (t) => {
  const bits = 1024;
  const A = filters(bits, 300, 5);
  const B = filters(bits, 400, 6);
  const setA = FilterSet.fromBytes(bits, A);
  const setB = FilterSet.fromBytes(bits, B);
  for (const be of backends) {
    for (const thr of [0, 0.5, 0.7]) {
      const single = candidatesAbove(setA, setB, thr, { backend: be });
      const multi = await candidatesAboveParallel(setA, setB, thr, { backend: be, threads: 2 });
      t.ok(sameArrays(single, multi), `${be} t=${thr}: ${single.a.length} hits, identical with 2 workers`);
    }
  }
  const r = rng(9);
  const pairs = Uint32Array.from({ length: 2 * 150_000 }, (_, k) =>
    Math.floor(r() * (k % 2 === 0 ? A.length : B.length)),
  );
  const single = candidatesAbove(setA, setB, 0.55, { pairs });
  const multi = await candidatesAboveParallel(setA, setB, 0.55, { pairs, threads: 3 });
  t.ok(sameArrays(single, multi), `candidate list of 150,000 pairs: ${single.a.length} hits, identical with 3 workers`);
  const small = await candidatesAboveParallel(setA, setB, 0.5);
  t.ok(sameArrays(small, candidatesAbove(setA, setB, 0.5)), 'default (small run stays on this thread) identical');
  await t.rejects(candidatesAboveParallel(setA, setB, 0.5, { threads: 0 }), RangeError);
});
