// Aggregate release (CSP depersonalised counts): small-cell suppression, complementary suppression,
// rounding. Properties on many seeded random tables, plus an independent brute-force attacker that
// enumerates integer tables consistent with what was published.
import t, { type Test } from 'tap';
import {
  aggregateRelease,
  buildTable,
  complementarySuppression,
  coordsOf,
  isCell,
  maskedValues,
  primarySuppression,
  feasibleBounds,
  linearlyDetermined,
  recoverable,
  roundCount,
  toMaskedTable,
  type AggregateOptions,
  type AggregateRelease,
  type Dimension,
  type MaskedTable,
  type Shape,
} from '@blindlink/broker/aggregate';
import { seededRandom } from '@blindlink/broker/prng';

// ---- seeded PRNG and table generators ---------------------------------------------------------

const int = (rng: () => number, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));

function makeDims(sizes: readonly number[]): Dimension[] {
  const names = ['ward', 'offence', 'probation'];
  return sizes.map((n, k) => ({
    name: names[k] as string,
    values: Array.from({ length: n }, (_, j) => `${names[k]}-${j}`),
  }));
}

type Density = 'sparse' | 'dense' | 'mixed' | 'small';
function drawCount(rng: () => number, density: Density): number {
  const u = rng();
  switch (density) {
    case 'sparse':
      return u < 0.6 ? 0 : u < 0.9 ? int(rng, 1, 8) : int(rng, 9, 30);
    case 'dense':
      return u < 0.1 ? int(rng, 1, 8) : int(rng, 9, 80);
    case 'small':
      return int(rng, 0, 9);
    case 'mixed':
      return u < 0.25 ? 0 : u < 0.55 ? int(rng, 1, 10) : int(rng, 11, 40);
  }
}

/** Interior cell counts, row-major, and the rows (one per person) they expand to. */
function makeRows(dims: Dimension[], cellCounts: readonly number[]) {
  const rows: Record<string, string>[] = [];
  cellKeys(dims).forEach((key, i) => {
    for (let r = 0; r < (cellCounts[i] as number); r++) {
      const row: Record<string, string> = {
        nhsNumber: `99900${String(rows.length).padStart(5, '0')}`,
        surname: 'Łukasz-Róisín',
      };
      dims.forEach((d, k) => {
        row[d.name] = key[k] as string;
      });
      rows.push(row);
    }
  });
  return rows;
}

function cellKeys(dims: readonly Dimension[]): string[][] {
  let keys: string[][] = [[]];
  for (const d of dims) keys = keys.flatMap((k) => d.values.map((v) => [...k, v]));
  return keys;
}

// ---- an independent view of the published table ------------------------------------------------

/** Every published entry as (key with null = "all of this dimension", count). */
function entries(rel: AggregateRelease): { key: (string | null)[]; count: number | null }[] {
  return [
    ...rel.cells,
    ...rel.margins.subtotals,
    { key: rel.dimensions.map(() => null), count: rel.margins.grandTotal },
  ];
}

const keyId = (key: readonly (string | null)[]) => JSON.stringify(key);

/** True count of an entry, straight from the interior counts. */
function trueCount(dims: readonly Dimension[], cellCounts: readonly number[], key: readonly (string | null)[]): number {
  let s = 0;
  cellKeys(dims).forEach((ck, i) => {
    if (key.every((v, k) => v === null || v === ck[k])) s += cellCounts[i] as number;
  });
  return s;
}

/** Lines built from keys alone: an entry with null at k is the total of the entries naming each value at k. */
function keyLines(rel: AggregateRelease) {
  const byId = new Map(entries(rel).map((e) => [keyId(e.key), e] as const));
  const lines: {
    total: typeof byId extends Map<string, infer V> ? V : never;
    members: (typeof byId extends Map<string, infer V> ? V : never)[];
  }[] = [];
  for (const e of byId.values()) {
    e.key.forEach((v, k) => {
      if (v !== null) return;
      const members = (rel.dimensions[k] as Dimension).values.map((val) => {
        const key = [...e.key];
        key[k] = val;
        return byId.get(keyId(key))!;
      });
      lines.push({ total: e, members });
    });
  }
  return lines;
}

function checkRelease(
  t: Test,
  rel: AggregateRelease,
  dims: Dimension[],
  cellCounts: readonly number[],
  opts: AggregateOptions,
  label: string,
) {
  const thr = opts.threshold ?? 7;
  const all = entries(rel);
  const nCells = dims.reduce((a, d) => a * d.values.length, 1);
  const nAll = dims.reduce((a, d) => a * (d.values.length + 1), 1);
  let bad = 0;
  if (rel.cells.length !== nCells || all.length !== nAll || new Set(all.map((e) => keyId(e.key))).size !== nAll) {
    t.fail(`${label}: release does not list each cell and margin once`);
    return;
  }
  for (const e of all) {
    if (e.count === null) continue;
    if (e.count >= 1 && e.count <= thr) bad++;
    const truth = trueCount(dims, cellCounts, e.key);
    if (opts.roundTo === undefined) {
      if (e.count !== truth) bad++;
    } else {
      const b = opts.roundTo;
      const bumped = truth > thr && e.count === (Math.floor(thr / b) + 1) * b;
      if (e.count % b !== 0 || (Math.abs(e.count - truth) > b / 2 && !bumped)) bad++;
    }
  }
  t.equal(bad, 0, `${label}: no published count in 1..${thr}, every published count true (or correctly rounded)`);
  // Each line with a hidden entry hides at least two.
  const lonely = keyLines(rel).filter((l) => {
    const hidden = [l.total, ...l.members].filter((e) => e.count === null).length;
    return hidden === 1;
  }).length;
  t.equal(lonely, 0, `${label}: no line hides exactly one entry`);
  const hidden = all.filter((e) => e.count === null).length;
  t.equal(rel.suppressed.primary + rel.suppressed.secondary, hidden, `${label}: suppression counts match the nulls`);
}

// ---- brute-force attacker: what can an outsider pin down about each hidden entry? -------------

interface Attack {
  /** Some consistent table gives the entry its true value (sanity). */
  truthFits: boolean;
  /** Some consistent table gives it another value: not exactly recoverable. */
  canDiffer: boolean;
  /** Some consistent table gives it 0 or more than the threshold: not known to be "a few". */
  canLeaveSmall: boolean;
}

/**
 * Searches non-negative integer interior tables consistent with every published entry (cells and
 * margins are sums of interior cells), by depth-first search with range pruning, asking for each
 * hidden entry whether it can take its true value, another value, and a value outside 1..threshold.
 * Values are capped at `cap`, which can only make the attacker stronger. Shares no code with the
 * library: it works from keys only.
 */
function bruteForce(
  rel: AggregateRelease,
  truth: (key: (string | null)[]) => number,
  threshold: number,
  cap: number,
): Map<string, Attack> {
  const keys = cellKeys(rel.dimensions);
  const cellCount = new Map(rel.cells.map((c) => [keyId(c.key), c.count] as const));
  const unknown = keys.filter((k) => cellCount.get(keyId(k)) === null);
  const uIndex = new Map(unknown.map((k, i) => [keyId(k), i] as const));
  const under = (key: readonly (string | null)[]) =>
    keys.filter((ck) => key.every((v, k) => v === null || v === ck[k]));
  type Con = { vars: number[]; lo: number; hi: number };
  const base: Con[] = [];
  for (const e of entries(rel)) {
    if (e.count === null) continue;
    let target = e.count;
    const vars: number[] = [];
    for (const ck of under(e.key)) {
      const c = cellCount.get(keyId(ck));
      if (c === null || c === undefined) vars.push(uIndex.get(keyId(ck))!);
      else target -= c;
    }
    if (target < 0) throw new Error('inconsistent release');
    if (vars.length > 0) base.push({ vars, lo: target, hi: target });
  }
  const n = unknown.length;
  // A small constraint solver: bounds propagation over the sum constraints, then branch on the
  // variable with the fewest values left. Exhaustive, so "infeasible" is a proof.
  const feasible = (extra: Con): boolean => {
    if (extra.lo > extra.hi) return false;
    const cons = [...base, extra];
    const settle = (lo: number[], hi: number[]): boolean => {
      for (let changed = true; changed; ) {
        changed = false;
        for (const c of cons) {
          let sLo = 0;
          let sHi = 0;
          for (const v of c.vars) {
            sLo += lo[v]!;
            sHi += hi[v]!;
          }
          if (sLo > c.hi || sHi < c.lo) return false;
          for (const v of c.vars) {
            const newHi = Math.min(hi[v]!, c.hi - (sLo - lo[v]!));
            const newLo = Math.max(lo[v]!, c.lo - (sHi - hi[v]!));
            if (newLo > newHi) return false;
            if (newHi !== hi[v] || newLo !== lo[v]) {
              sLo += newLo - lo[v]!;
              sHi += newHi - hi[v]!;
              lo[v] = newLo;
              hi[v] = newHi;
              changed = true;
            }
          }
        }
      }
      return true;
    };
    const search = (lo: number[], hi: number[]): boolean => {
      if (!settle(lo, hi)) return false;
      let pick = -1;
      for (let v = 0; v < n; v++)
        if (lo[v]! < hi[v]! && (pick < 0 || hi[v]! - lo[v]! < hi[pick]! - lo[pick]!)) pick = v;
      if (pick < 0) return true; // every variable fixed and every constraint met
      for (let x = lo[pick]!; x <= hi[pick]!; x++) {
        const l = [...lo];
        const h = [...hi];
        l[pick] = x;
        h[pick] = x;
        if (search(l, h)) return true;
      }
      return false;
    };
    return search(new Array<number>(n).fill(0), new Array<number>(n).fill(cap));
  };
  const out = new Map<string, Attack>();
  for (const e of entries(rel)) {
    if (e.count !== null) continue;
    // The entry is its hidden interior cells plus its published ones (a known offset).
    const vars: number[] = [];
    let known = 0;
    for (const ck of under(e.key)) {
      const c = cellCount.get(keyId(ck));
      if (c === null || c === undefined) vars.push(uIndex.get(keyId(ck))!);
      else known += c;
    }
    const v = truth(e.key);
    const big = vars.length * cap + known;
    const range = (lo: number, hi: number) => feasible({ vars, lo: Math.max(0, lo - known), hi: hi - known });
    out.set(keyId(e.key), {
      truthFits: range(v, v),
      canDiffer: range(0, v - 1) || range(v + 1, big),
      canLeaveSmall: range(0, 0) || range(threshold + 1, big),
    });
  }
  return out;
}

// ---- properties on random tables --------------------------------------------------------------

t.test('random tables: nothing in 1..threshold, counts true, lines hide ≥2, no recovery', async (t) => {
  const rng = seededRandom(20240611);
  const shapes = [[1], [5], [12], [3, 4], [6, 6], [1, 7], [8, 3], [3, 3, 2], [4, 5, 2], [2, 2, 2], [5, 4, 3]];
  const densities: Density[] = ['sparse', 'dense', 'mixed', 'small'];
  let tables = 0;
  let exposures = 0;
  let hiddenTotal = 0;
  for (let rep = 0; rep < 12; rep++) {
    for (const sizes of shapes) {
      for (const density of densities) {
        const dims = makeDims(sizes);
        const cells = Array.from({ length: sizes.reduce((a, b) => a * b, 1) }, () => drawCount(rng, density));
        const opts: AggregateOptions = { threshold: [0, 3, 7, 7, 10][int(rng, 0, 4)]!, suppressZeros: rng() < 0.3 };
        const rel = aggregateRelease(makeRows(dims, cells), dims, opts);
        checkRelease(
          t,
          rel,
          dims,
          cells,
          opts,
          `${sizes.join('x')} ${density} thr ${opts.threshold} zeros ${opts.suppressZeros ? 'hidden' : 'shown'}`,
        );
        const found = recoverable(toMaskedTable(rel), { threshold: opts.threshold! });
        exposures += found.length;
        hiddenTotal += rel.suppressed.primary + rel.suppressed.secondary;
        tables++;
      }
    }
  }
  t.equal(exposures, 0, `recovery check finds nothing across ${tables} tables`);
  t.ok(hiddenTotal > 0, 'the random tables did exercise suppression');
});

t.test('random tables with rounding: nothing in 1..threshold, counts rounded to the base', async (t) => {
  const rng = seededRandom(777);
  const shapes = [[6], [4, 4], [3, 5], [3, 3, 3]];
  for (let rep = 0; rep < 15; rep++) {
    for (const sizes of shapes) {
      const dims = makeDims(sizes);
      const cells = Array.from({ length: sizes.reduce((a, b) => a * b, 1) }, () => drawCount(rng, 'mixed'));
      const opts: AggregateOptions = { threshold: [7, 10, 3][rep % 3]!, roundTo: [5, 10, 3][int(rng, 0, 2)]! };
      const rel = aggregateRelease(makeRows(dims, cells), dims, opts);
      checkRelease(t, rel, dims, cells, opts, `${sizes.join('x')} rounded to ${opts.roundTo} thr ${opts.threshold}`);
    }
  }
});

t.test(
  'brute force on tiny tables: every hidden entry can take ≥2 values, small ones are not pinned to 1..threshold',
  async (t) => {
    const rng = seededRandom(4242);
    const shapes = [[2], [3], [4], [2, 2], [2, 3], [3, 3], [3, 4], [4, 3], [2, 2, 2], [3, 2, 2], [2, 2, 3]];
    let checked = 0;
    let exact = 0;
    let smallOnly = 0;
    let verifierMissed = 0;
    let weakened = 0;
    for (let rep = 0; rep < 100; rep++) {
      for (const sizes of shapes) {
        const dims = makeDims(sizes);
        const cells = Array.from({ length: sizes.reduce((a, b) => a * b, 1) }, () =>
          rng() < 0.2 ? 0 : rng() < 0.5 ? int(rng, 1, 7) : int(rng, 8, 16),
        );
        const threshold = [3, 5, 7][rep % 3]!;
        const opts: AggregateOptions = { threshold, suppressZeros: rep % 2 === 1 };
        const rel = aggregateRelease(makeRows(dims, cells), dims, opts);
        const total = cells.reduce((a, b) => a + b, 0);
        const truth = (key: (string | null)[]) => trueCount(dims, cells, key);
        const cap = total + threshold + 3;
        for (const [key, a] of bruteForce(rel, truth, threshold, cap)) {
          checked++;
          if (!a.truthFits) t.fail(`brute force lost the true value of ${key}`);
          if (!a.canDiffer) {
            exact++;
            t.comment(
              `pinned exactly: ${key} of ${sizes.join('x')} [${cells.join(',')}] thr ${threshold}` +
                `${opts.suppressZeros ? ' zeros hidden' : ''}`,
            );
          }
          const v = truth(JSON.parse(key) as (string | null)[]);
          if (v >= 1 && v <= threshold && !a.canLeaveSmall) {
            smallOnly++;
            t.comment(
              `pinned small: ${key} of ${sizes.join('x')} [${cells.join(',')}] thr ${threshold}` +
                `${opts.suppressZeros ? ' zeros hidden' : ''}`,
            );
          }
        }
        // The library's verifier, on a deliberately weakened copy (one hidden interior cell
        // revealed), must flag it whenever brute force can pin a hidden entry of that copy.
        const firstHidden = rel.cells.findIndex((c) => c.count === null);
        if (firstHidden >= 0) {
          const weak: AggregateRelease = {
            ...rel,
            cells: rel.cells.map((c, i) => (i === firstHidden ? { ...c, count: truth(c.key) } : c)),
          };
          const pinned = [...bruteForce(weak, truth, threshold, cap).values()].some((a) => !a.canDiffer);
          if (pinned) weakened++;
          if (pinned && recoverable(toMaskedTable(weak), { threshold }).length === 0) verifierMissed++;
        }
      }
    }
    t.ok(checked > 50, `brute force examined ${checked} hidden entries`);
    t.equal(exact, 0, 'no hidden entry is determined by the published table');
    t.equal(smallOnly, 0, 'no small hidden entry is known to be in 1..threshold');
    t.ok(weakened > 10, `brute force broke ${weakened} weakened tables`);
    t.equal(verifierMissed, 0, 'the verifier flags every weakened table brute force can break');
  },
);

/**
 * Tables found by search where hiding two or more entries per line (and never a small line sum) is
 * not enough: a hidden entry follows from several lines at once, or is pinned to 1..threshold.
 */
const HARD_CASES: { sizes: number[]; cells: number[]; suppressZeros: boolean }[] = [
  { sizes: [3, 2, 2], cells: [7, 1, 2, 3, 0, 7, 15, 11, 0, 16, 6, 0], suppressZeros: true },
  { sizes: [4, 3], cells: [5, 3, 8, 6, 0, 6, 9, 6, 0, 0, 0, 4], suppressZeros: false },
  { sizes: [3, 2, 2], cells: [6, 5, 8, 1, 2, 8, 7, 10, 13, 14, 3, 0], suppressZeros: true },
  { sizes: [3, 2, 2], cells: [13, 14, 2, 0, 0, 8, 7, 12, 0, 0, 3, 4], suppressZeros: true },
  { sizes: [3, 2, 2], cells: [9, 0, 0, 1, 3, 13, 13, 14, 15, 0, 2, 8], suppressZeros: false },
  { sizes: [4, 3], cells: [11, 0, 5, 12, 0, 4, 0, 5, 7, 0, 5, 0], suppressZeros: false },
  { sizes: [2, 2, 3], cells: [0, 0, 3, 5, 9, 11, 16, 6, 8, 0, 8, 9], suppressZeros: false },
  { sizes: [3, 2, 2], cells: [7, 12, 7, 12, 12, 0, 5, 2, 8, 16, 6, 1], suppressZeros: true },
];

/** A release-shaped view of an extended masked table, for the brute-force attacker. */
function asRelease(dims: Dimension[], shape: Shape, values: readonly (number | null)[]): AggregateRelease {
  const cells: AggregateRelease['cells'] = [];
  const subtotals: AggregateRelease['margins']['subtotals'] = [];
  let grandTotal: number | null = null;
  values.forEach((count, i) => {
    const key = coordsOf(shape, i).map((c, k) => dims[k]!.values[c] ?? null);
    if (isCell(shape, i)) cells.push({ key: key as string[], count });
    else if (key.every((v) => v === null)) grandTotal = count;
    else subtotals.push({ key, count });
  });
  return {
    dimensions: dims,
    threshold: 7,
    roundTo: null,
    cells,
    margins: { grandTotal, subtotals },
    suppressed: { primary: 0, secondary: 0 },
    notes: [],
  };
}

t.test(
  'where the per-line rule alone leaks, brute force confirms the verifier and the release repairs it',
  async (t) => {
    const threshold = 7;
    for (const { sizes, cells, suppressZeros } of HARD_CASES) {
      const label = `${sizes.join('x')} [${cells.join(',')}]${suppressZeros ? ' zeros hidden' : ''}`;
      const dims = makeDims(sizes);
      const rows = makeRows(dims, cells);
      const truth = (key: (string | null)[]) => trueCount(dims, cells, key);
      const cap = cells.reduce((a, b) => a + b, 0) + threshold + 3;
      const broken = (a: Map<string, Attack>) =>
        [...a].filter(([key, x]) => {
          const v = truth(JSON.parse(key) as (string | null)[]);
          return !x.canDiffer || (v >= 1 && v <= threshold && !x.canLeaveSmall);
        }).length;

      const table = buildTable(rows, dims);
      const opts = { threshold, suppressZeros };
      const status = primarySuppression(table.counts, opts);
      complementarySuppression(table.shape, table.counts, status, opts);
      const lineOnly = maskedValues(table.counts, status);
      t.ok(
        recoverable({ sizes, values: lineOnly }, { threshold }).length > 0,
        `${label}: verifier flags the per-line pattern`,
      );
      t.ok(
        broken(bruteForce(asRelease(dims, table.shape, lineOnly), truth, threshold, cap)) > 0,
        `${label}: brute force breaks it too`,
      );

      const rel = aggregateRelease(rows, dims, { threshold, suppressZeros });
      t.equal(
        broken(bruteForce(rel, truth, threshold, cap)),
        0,
        `${label}: the release itself holds against brute force`,
      );
    }
  },
);

// ---- the verifier on hand-made tables ---------------------------------------------------------

t.test('verifier: a lone suppressed cell is recovered from its total', async (t) => {
  // ward A..C, total 53; only the 3 is hidden.
  const m: MaskedTable = { sizes: [3], values: [null, 20, 30, 53] };
  const found = recoverable(m, { threshold: 7 });
  t.match(found, [{ kind: 'exact', entry: 0, lo: 3, hi: 3 }]);
});

t.test('verifier: two small cells hidden together still reveal their small sum', async (t) => {
  const m: MaskedTable = { sizes: [3], values: [null, null, 50, 57] };
  const found = recoverable(m, { threshold: 7 });
  t.match(found, [{ kind: 'group', entry: 3, lo: 7, hi: 7 }]);
  t.same(
    recoverable({ sizes: [3], values: [null, null, null, 57] }, { threshold: 7 }),
    [],
    'hiding the 50 too protects them',
  );
});

t.test('verifier: a bridge between two protected blocks is caught by linear algebra', async (t) => {
  // 4×4 table, all margins published. Two 2×2 blocks of hidden cells, each a cycle, joined by one
  // hidden cell (row 1, column 2). Summing rows 0–1 and subtracting columns 0–1 gives that cell.
  const inner = [
    [20, 21, 9, 30],
    [22, 23, 17, 31],
    [32, 33, 24, 25],
    [34, 35, 26, 27],
  ];
  const hide = new Set(['0,0', '0,1', '1,0', '1,1', '1,2', '2,2', '2,3', '3,2', '3,3']);
  const values: (number | null)[] = [];
  for (let i = 0; i <= 4; i++) {
    for (let j = 0; j <= 4; j++) {
      let v = 0;
      for (let a = 0; a < 4; a++)
        for (let b = 0; b < 4; b++) if ((i === 4 || i === a) && (j === 4 || j === b)) v += inner[a]![b]!;
      values.push(i < 4 && j < 4 && hide.has(`${i},${j}`) ? null : v);
    }
  }
  const m: MaskedTable = { sizes: [4, 4], values };
  const det = linearlyDetermined(m);
  t.equal(det[1 * 5 + 2], true, 'the bridge cell is determined');
  t.equal(det[0], false, 'a cell on a cycle is not');
  const found = recoverable(m, { threshold: 7 });
  t.match(found, [{ kind: 'exact', entry: 7 }]);
  t.equal(found.filter((x) => x.kind === 'exact').length, 1, 'only the bridge is exact');
  const b = feasibleBounds(m);
  t.ok(b.lo[7]! <= 17 && b.hi[7]! >= 17, 'bounds contain the true value');
});

t.test('verifier: probing catches a small count that plain bound propagation leaves open', async (t) => {
  // 2×2×3 table [14,16,2,7,0,8,16,0,2,11,6,0] as an earlier version released it. The hidden
  // margin (all wards, offence 0, probation 2) holds 2; propagation gives it [0, 6], but assuming
  // it is 0 contradicts the published entries, so an outsider knows it is between 1 and 6.
  const N = null;
  const values = [
    N,
    N,
    N,
    32,
    N,
    0,
    N,
    15,
    21,
    N,
    N,
    47,
    N,
    0,
    N,
    18,
    N,
    N,
    0,
    17,
    27,
    N,
    N,
    35,
    30,
    N,
    N,
    50,
    18,
    N,
    N,
    32,
    48,
    22,
    12,
    82,
  ];
  const m: MaskedTable = { sizes: [2, 2, 3], values };
  const b = feasibleBounds(m);
  t.same([b.lo[26], b.hi[26]], [0, 6], 'propagation alone leaves 0 possible');
  t.match(
    recoverable(m, { threshold: 7 }).filter((x) => x.entry === 26),
    [{ kind: 'small', entry: 26 }],
  );
});

t.test('verifier: probing catches hidden zeros pinned by non-negativity', async (t) => {
  // 4×4 table [5,8,15,14 / 10,0,4,11 / 15,0,10,0 / 4,10,14,15], threshold 3, zeros hidden, as an
  // earlier version released it. The hidden zeros at (1,1) and (2,1) cannot rise above 0 without
  // pushing another hidden entry below 0, so an outsider knows both categories are empty.
  const N = null;
  const values = [N, N, 15, 14, 42, 10, N, N, N, 25, 15, N, N, N, 25, N, N, 14, 15, 43, 34, 18, 43, 40, 135];
  const m: MaskedTable = { sizes: [4, 4], values };
  const b = feasibleBounds(m);
  t.ok(b.hi[6]! > 0 && b.hi[11]! > 0, 'propagation alone does not pin them');
  t.same(linearlyDetermined(m)[6], false, 'nor does linear algebra');
  const exact = recoverable(m, { threshold: 3 })
    .filter((x) => x.kind === 'exact')
    .map((x) => x.entry);
  t.ok(exact.includes(6) && exact.includes(11), `probing pins both (exact: ${exact.join(', ')})`);

  const cells = [5, 8, 15, 14, 10, 0, 4, 11, 15, 0, 10, 0, 4, 10, 14, 15];
  const dims = makeDims([4, 4]);
  const rel = aggregateRelease(makeRows(dims, cells), dims, { threshold: 3, suppressZeros: true });
  const attack = bruteForce(rel, (key) => trueCount(dims, cells, key), 3, 150);
  t.ok(
    [...attack.values()].every((a) => a.canDiffer),
    'the release made now holds against brute force',
  );
});

t.test('verifier: a 2×2 block with published margins is safe', async (t) => {
  // [[3, 20], [30, 40]]: all four hidden, margins 23, 70 / 33, 60 / 93 published.
  const m: MaskedTable = { sizes: [2, 2], values: [null, null, 23, null, null, 70, 33, 60, 93] };
  t.same(recoverable(m, { threshold: 7 }), []);
  const b = feasibleBounds(m);
  t.same([b.lo[0], b.hi[0]], [0, 23], 'the 3 can be anything from 0 to 23');
});

t.test('verifier: refuses an inconsistent table', async (t) => {
  t.throws(() => recoverable({ sizes: [2], values: [5, null, 3] }, { threshold: 7 }), /inconsistent/);
  t.throws(() => recoverable({ sizes: [2], values: [5, null] }, { threshold: 7 }), /entries/);
});

// ---- the release on hand-made tables ----------------------------------------------------------

function release(sizes: number[], cells: number[], opts: AggregateOptions = {}) {
  const dims = makeDims(sizes);
  return aggregateRelease(makeRows(dims, cells), dims, opts);
}

t.test('one small cell in a 2×2 table forces all four cells hidden, margins published', async (t) => {
  const rel = release([2, 2], [3, 20, 30, 40]);
  t.same(
    rel.cells.map((c) => c.count),
    [null, null, null, null],
  );
  t.same(rel.suppressed, { primary: 1, secondary: 3 });
  t.equal(rel.margins.grandTotal, 93);
  t.same(
    rel.margins.subtotals.map((m) => m.count),
    [23, 70, 33, 60],
  );
});

t.test('1-D: the smallest other cell is the complement, and it must outweigh the threshold', async (t) => {
  t.same(
    release([4], [3, 50, 12, 60]).cells.map((c) => c.count),
    [null, 50, null, 60],
    'the 12 hides the 3',
  );
  t.same(
    release([4], [3, 4, 12, 60]).cells.map((c) => c.count),
    [null, null, null, 60],
    '3 + 4 = 7 would be a small sum, so the 12 goes too',
  );
});

t.test('edge cases', async (t) => {
  const zeros = release([3, 2], [0, 0, 0, 0, 0, 0]);
  t.ok(
    entries(zeros).every((e) => e.count === 0),
    'all zeros: published as zeros by default',
  );
  const zerosHidden = release([3, 2], [0, 0, 0, 0, 0, 0], { suppressZeros: true });
  t.ok(
    entries(zerosHidden).every((e) => e.count === null),
    'all zeros with suppressZeros: nothing shown',
  );
  t.same(recoverable(toMaskedTable(zerosHidden), { threshold: 7 }), []);

  const allSmall = release([10], Array(10).fill(3));
  t.ok(
    allSmall.cells.every((c) => c.count === null),
    'all small: cells hidden',
  );
  t.equal(allSmall.margins.grandTotal, 30, 'all small: the large total is still published');
  t.same(recoverable(toMaskedTable(allSmall), { threshold: 7 }), []);

  const smallGrid = release([3, 3], Array(9).fill(2));
  t.ok(
    smallGrid.margins.subtotals.every((m) => m.count === null),
    'row and column totals of 6 are hidden',
  );
  t.equal(smallGrid.margins.grandTotal, 18);

  t.same(release([1], [3]).cells, [{ key: ['ward-0'], count: null }], 'one category, small');
  t.equal(release([1], [3]).margins.grandTotal, null);
  t.equal(release([1], [20]).margins.grandTotal, 20, 'one category, large');
  const oneRow = release([1, 4], [5, 30, 40, 50]);
  checkRelease(t, oneRow, makeDims([1, 4]), [5, 30, 40, 50], {}, 'one row');
  t.same(recoverable(toMaskedTable(oneRow), { threshold: 7 }), []);

  const thr0 = release([2, 3], [1, 2, 0, 5, 9, 3], { threshold: 0 });
  t.same(thr0.suppressed, { primary: 0, secondary: 0 }, 'threshold 0 hides nothing');
  t.same(
    thr0.cells.map((c) => c.count),
    [1, 2, 0, 5, 9, 3],
  );
  const thr10 = release([2, 3], [10, 11, 40, 8, 30, 50], { threshold: 10 });
  checkRelease(t, thr10, makeDims([2, 3]), [10, 11, 40, 8, 30, 50], { threshold: 10 }, 'threshold 10');
  t.equal(thr10.cells[0]!.count, null, '10 is hidden at threshold 10');
  t.same(
    release([2], [0, 0], { threshold: 7 }).suppressed,
    { primary: 0, secondary: 0 },
    'zeros need no protection by default',
  );
});

t.test('rounding', async (t) => {
  t.same(
    [0, 8, 12, 13, 22, 23, 100].map((n) => roundCount(n, 5, 7)),
    [0, 10, 10, 15, 20, 25, 100],
  );
  t.same(
    [11, 12, 13, 17, 18].map((n) => roundCount(n, 5, 10)),
    [15, 15, 15, 15, 20],
    'above-threshold counts never round down into 1..threshold',
  );
  t.equal(roundCount(15, 10, 7), 20, 'halves round up');
  t.equal(roundCount(17, 1, 7), 17, 'base 1 is exact');
  t.throws(() => roundCount(5, 0, 7));

  const rel = release([3], [8, 8, 8], { roundTo: 5 });
  t.same(
    rel.cells.map((c) => c.count),
    [10, 10, 10],
  );
  t.equal(rel.margins.grandTotal, 25, 'the total is rounded on its own: 24 → 25, not 30');
  t.ok(
    rel.notes.some((n) => /need not equal/.test(n)),
    'the notes say rounded totals need not add up',
  );
  t.equal(rel.roundTo, 5);
  const hidden = release([2, 2], [3, 20, 30, 40], { roundTo: 5 });
  t.same(
    hidden.cells.map((c) => c.count),
    [null, null, null, null],
    'rounding does not reveal hidden cells',
  );
  t.same(
    hidden.margins.subtotals.map((m) => m.count),
    [25, 70, 35, 60],
  );
});

t.test('no person-level output', async (t) => {
  const dims = makeDims([2, 2]);
  const rows = makeRows(dims, [9, 12, 30, 2]);
  const rel = aggregateRelease(rows, dims);
  const text = JSON.stringify(rel);
  t.notMatch(text, /99900/, 'no identifier appears');
  t.notMatch(text, /Łukasz/, 'no name appears');
  t.same(Object.keys(rel).sort(), ['cells', 'dimensions', 'margins', 'notes', 'roundTo', 'suppressed', 'threshold']);
  t.same(Object.keys(rel.cells[0]!).sort(), ['count', 'key']);
});

t.test('bad input is refused', async (t) => {
  const dims = makeDims([2]);
  t.throws(() => aggregateRelease([{ ward: 'Zoë Smith' }], dims), /row 0: attribute ward/);
  try {
    aggregateRelease([{ ward: 'Zoë Smith' }], dims);
  } catch (e) {
    t.notMatch(String(e), /Zoë/, 'the error does not echo the value');
  }
  t.throws(() => aggregateRelease([{}], dims), /missing/);
  t.throws(() => aggregateRelease([], makeDims([2, 2, 2, 2])), /1 to 3/);
  t.throws(() => aggregateRelease([], []), /1 to 3/);
  t.throws(() => aggregateRelease([], [{ name: 'a', values: ['x', 'x'] }]), /twice/);
  t.throws(() => aggregateRelease([], [{ name: 'a', values: [] }]), /no values/);
  t.throws(() => aggregateRelease([], dims, { threshold: -1 }), /threshold/);
  t.throws(() => aggregateRelease([], dims, { roundTo: 0 }), /roundTo/);
});
