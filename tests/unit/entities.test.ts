// Entity resolution: greedy constrained union over many sources, stable ids across runs.
// Checked against plain, obviously-correct references (Sets and sorted objects) on random instances.
import t from 'tap';
// The broker package exports only its root; the engine is reached through its compiled modules.
import {
  ConstrainedUnionFind,
  NONE,
  assignStableIds,
  assignStableIdsIndexed,
  assignmentOf,
  clusterEntities,
  membersOf,
  newOpaqueId,
  radixOrder,
} from '@blindlink/broker/entities';
import type { EntityGraph, IdEvent, ScoredPairs } from '@blindlink/broker/entities';
import { link, type EngineSource } from '@blindlink/broker';
import { seededRandom } from '@blindlink/broker/prng';

// ---- helpers -----------------------------------------------------------------------------------

const rng = seededRandom;

interface Pair {
  a: number;
  b: number;
  w: number;
}

function toScored(list: readonly Pair[]): ScoredPairs {
  return {
    a: Uint32Array.from(list.map((p) => p.a)),
    b: Uint32Array.from(list.map((p) => p.b)),
    weight: Float32Array.from(list.map((p) => p.w)),
  };
}

/** Partition as sorted member lists, sorted: comparable across implementations. */
function partition(entityOf: ArrayLike<number>): number[][] {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < entityOf.length; i++) {
    const e = entityOf[i] as number;
    const g = groups.get(e) ?? [];
    g.push(i);
    groups.set(e, g);
  }
  return [...groups.values()].sort((x, y) => (x[0] as number) - (y[0] as number));
}

/**
 * Reference greedy: pairs sorted as objects (weight desc, then smaller index, then larger), clusters
 * as Sets, a merge refused when both clusters hold a record of one duplicate-free source, or records
 * of one other source that are not themselves a pair at or above the threshold.
 */
function referenceGreedy(
  sourceOf: readonly number[],
  dupFree: readonly boolean[],
  list: readonly Pair[],
  threshold: number,
): number[][] {
  const sorted = list
    .map((p) => ({ lo: Math.min(p.a, p.b), hi: Math.max(p.a, p.b), w: Math.fround(p.w) }))
    .filter((p) => p.w >= Math.fround(threshold) && p.lo !== p.hi)
    .sort((x, y) => y.w - x.w || x.lo - y.lo || x.hi - y.hi);
  const cluster = sourceOf.map((_, i) => new Set([i]));
  for (const p of sorted) {
    const ca = cluster[p.lo] as Set<number>;
    const cb = cluster[p.hi] as Set<number>;
    if (ca === cb) continue;
    const dfA = new Set([...ca].map((r) => sourceOf[r] as number).filter((s) => dupFree[s]));
    if ([...cb].some((r) => dupFree[sourceOf[r] as number] && dfA.has(sourceOf[r] as number))) continue;
    const direct = (x: number, y: number) => sorted.some((q) => q.lo === Math.min(x, y) && q.hi === Math.max(x, y));
    if ([...ca].some((x) => [...cb].some((y) => sourceOf[x] === sourceOf[y] && !direct(x, y)))) continue;
    for (const r of cb) {
      ca.add(r);
      cluster[r] = ca;
    }
  }
  return partition(cluster.map((c) => Math.min(...c)));
}

interface Instance {
  sourceOf: number[];
  dupFree: boolean[];
  pairs: Pair[];
}

/** Random multi-source instance with coarse weights, so ties are common. */
function randomInstance(r: () => number, n: number, sources: number, pairCount: number): Instance {
  const dupFree = Array.from({ length: sources }, () => r() < 0.6);
  const sourceOf = Array.from({ length: n }, () => Math.floor(r() * sources));
  const pairs: Pair[] = [];
  for (let k = 0; k < pairCount; k++) {
    const a = Math.floor(r() * n);
    // Mostly local pairs, so the candidate graph has many components, as real blocked data does.
    const b = r() < 0.85 ? Math.min(n - 1, a + Math.floor(r() * 6)) : Math.floor(r() * n);
    pairs.push({ a, b, w: Math.round(r() * 20) / 20 });
  }
  return { sourceOf, dupFree, pairs };
}

function cluster(inst: Instance, threshold: number): EntityGraph {
  return clusterEntities({
    sourceOf: Uint16Array.from(inst.sourceOf),
    duplicateFree: inst.dupFree,
    pairs: toScored(inst.pairs),
    threshold,
  });
}

/** Linking pairs of a graph as a set of "lo,hi" keys. */
function linkedSet(g: EntityGraph): Set<string> {
  const out = new Set<string>();
  for (let k = 0; k < g.pairs.a.length; k++)
    out.add(`${Math.min(g.pairs.a[k]!, g.pairs.b[k]!)},${Math.max(g.pairs.a[k]!, g.pairs.b[k]!)}`);
  return out;
}

/**
 * True when records x and y may not share an entity: one duplicate-free source, or one other source without a direct
 * link.
 */
function clash(g: EntityGraph, linked: Set<string>, x: number, y: number): boolean {
  const s = g.sourceOf[x] as number;
  if (s !== g.sourceOf[y]) return false;
  return g.duplicateFree[s] === true || !linked.has(`${Math.min(x, y)},${Math.max(x, y)}`);
}

function violations(g: EntityGraph): number {
  const linked = linkedSet(g);
  let bad = 0;
  for (let e = 0; e < g.entities.count; e++) {
    const members = [...membersOf(g.entities, e)];
    for (let i = 0; i < members.length; i++)
      for (let j = i + 1; j < members.length; j++) if (clash(g, linked, members[i]!, members[j]!)) bad++;
  }
  return bad;
}

// ---- clustering --------------------------------------------------------------------------------

t.test('transitive chain A1–B1–A2 never puts two records of a duplicate-free source together', async (t) => {
  // Records: 0 = A1, 1 = B1, 2 = A2; sources A (0) and B (1) both duplicate-free.
  const sourceOf = Uint16Array.of(0, 1, 0);
  const g = clusterEntities({
    sourceOf,
    duplicateFree: [true, true],
    pairs: toScored([
      { a: 0, b: 1, w: 0.9 },
      { a: 1, b: 2, w: 0.8 },
    ]),
    threshold: 0.5,
  });
  t.same(partition(g.entityOf), [[0, 1], [2]], 'A1–B1 (stronger) wins, B1–A2 is refused');
  t.equal(g.stats.refused, 1);
  t.equal(g.stats.merges, 1);
  const h = clusterEntities({
    sourceOf,
    duplicateFree: [true, true],
    pairs: toScored([
      { a: 0, b: 1, w: 0.8 },
      { a: 1, b: 2, w: 0.9 },
    ]),
    threshold: 0.5,
  });
  t.same(partition(h.entityOf), [[0], [1, 2]], 'with the weights reversed, B1–A2 wins');
  // Direct pair inside a duplicate-free source is refused too.
  const d = clusterEntities({
    sourceOf,
    duplicateFree: [true, true],
    pairs: toScored([{ a: 0, b: 2, w: 1 }]),
    threshold: 0.5,
  });
  t.same(partition(d.entityOf), [[0], [1], [2]]);
  // If A may hold duplicates, A1 and A2 join only when they link to each other directly: a chain
  // through B (a record that cannot tell a father from his son of the same name) is not enough.
  const n = clusterEntities({
    sourceOf,
    duplicateFree: [false, true],
    pairs: toScored([
      { a: 0, b: 1, w: 0.9 },
      { a: 1, b: 2, w: 0.8 },
    ]),
    threshold: 0.5,
  });
  t.same(partition(n.entityOf), [[0, 1], [2]], 'chain only: A2 stays apart');
  t.equal(n.stats.refused, 1);
  const direct = clusterEntities({
    sourceOf,
    duplicateFree: [false, true],
    pairs: toScored([
      { a: 0, b: 1, w: 0.9 },
      { a: 1, b: 2, w: 0.8 },
      { a: 0, b: 2, w: 0.7 },
    ]),
    threshold: 0.5,
  });
  t.same(partition(direct.entityOf), [[0, 1, 2]], 'A1–A2 linked directly: de-duplicated');
  const below = clusterEntities({
    sourceOf,
    duplicateFree: [false, true],
    pairs: toScored([
      { a: 0, b: 1, w: 0.9 },
      { a: 1, b: 2, w: 0.8 },
      { a: 0, b: 2, w: 0.4 },
    ]),
    threshold: 0.5,
  });
  t.same(partition(below.entityOf), [[0, 1], [2]], 'a direct pair below the threshold does not count');
});

t.test('threshold, self-pairs and NaN', async (t) => {
  const sourceOf = Uint16Array.of(0, 1, 2, 3);
  const g = clusterEntities({
    sourceOf,
    duplicateFree: [true, true, true, true],
    pairs: toScored([
      { a: 0, b: 1, w: 0.7 },
      { a: 1, b: 2, w: 0.69 },
      { a: 3, b: 3, w: 1 },
      { a: 2, b: 3, w: NaN },
    ]),
    threshold: 0.7,
  });
  t.same(partition(g.entityOf), [[0, 1], [2], [3]], 'weight equal to the threshold links; below, self and NaN do not');
  t.equal(g.stats.pairsAboveThreshold, 1);
  t.throws(() => clusterEntities({ sourceOf, duplicateFree: [true], pairs: toScored([]), threshold: 0.5 }), /source 1/);
  t.throws(
    () =>
      clusterEntities({
        sourceOf,
        duplicateFree: [true, true, true, true],
        pairs: toScored([{ a: 0, b: 9, w: 1 }]),
        threshold: 0.5,
      }),
    /out of range/,
  );
  t.throws(
    () => clusterEntities({ sourceOf, duplicateFree: [true, true, true, true], pairs: toScored([]), threshold: NaN }),
    /threshold/,
  );
});

t.test('de-duplication inside a source that is not duplicate-free, across a duplicate-free one', async (t) => {
  // Police extract (source 0, not duplicate-free) holds one person three times; GP register (1) once.
  const sourceOf = Uint16Array.of(0, 0, 0, 1, 1, 0);
  const g = clusterEntities({
    sourceOf,
    duplicateFree: [false, true],
    pairs: toScored([
      { a: 0, b: 1, w: 0.95 },
      { a: 1, b: 2, w: 0.9 },
      { a: 0, b: 2, w: 0.88 },
      { a: 2, b: 3, w: 0.85 },
      { a: 0, b: 4, w: 0.8 }, // second GP record: would make two GP rows one person
      { a: 5, b: 4, w: 0.75 },
      { a: 5, b: 0, w: 0.7 }, // police 5 links to police 0, but not to 1 or 2: not a copy of that person
    ]),
    threshold: 0.5,
  });
  t.same(partition(g.entityOf), [
    [0, 1, 2, 3],
    [4, 5],
  ]);
  t.equal(violations(g), 0);
});

t.test('three sources: consistent entities, equal to the reference greedy on random instances', async (t) => {
  // Hand case: A1–B1 0.95, A1–C2 0.92, B1–C1 0.9 → C1 cannot join (C2 is there already).
  const sourceOf = Uint16Array.of(0, 1, 2, 2);
  const g = clusterEntities({
    sourceOf,
    duplicateFree: [true, true, true],
    pairs: toScored([
      { a: 0, b: 1, w: 0.95 },
      { a: 1, b: 2, w: 0.9 },
      { a: 0, b: 3, w: 0.92 },
    ]),
    threshold: 0.5,
  });
  t.same(partition(g.entityOf), [[0, 1, 3], [2]]);

  let checked = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const r = rng(seed);
    const inst = randomInstance(r, 20 + Math.floor(r() * 120), 2 + Math.floor(r() * 5), Math.floor(r() * 400));
    const threshold = 0.3 + r() * 0.4;
    const got = cluster(inst, threshold);
    const want = referenceGreedy(inst.sourceOf, inst.dupFree, inst.pairs, threshold);
    if (JSON.stringify(partition(got.entityOf)) !== JSON.stringify(want)) {
      t.fail(`seed ${seed}: partition differs from the reference greedy`);
      continue;
    }
    if (violations(got) !== 0)
      t.fail(
        `seed ${seed}: an entity holds two records of a duplicate-free source, or two unlinked records of another`,
      );
    // Maximality: every linking pair left between two entities was refused for a reason.
    for (let k = 0; k < got.pairs.a.length; k++) {
      const ea = got.entityOf[got.pairs.a[k] as number] as number;
      const eb = got.entityOf[got.pairs.b[k] as number] as number;
      if (ea === eb) continue;
      const linked = linkedSet(got);
      const conflict = [...membersOf(got.entities, ea)].some((x) =>
        [...membersOf(got.entities, eb)].some((y) => clash(got, linked, x, y)),
      );
      if (!conflict) t.fail(`seed ${seed}: pair ${k} could have merged but did not`);
    }
    checked++;
  }
  t.equal(checked, 60, 'all random instances match the reference and are maximal');
});

t.test('two duplicate-free sources: identical to the anonlink-style greedy one-to-one solver', async (t) => {
  for (let seed = 100; seed < 140; seed++) {
    const r = rng(seed);
    const na = 30 + Math.floor(r() * 50);
    const nb = 30 + Math.floor(r() * 50);
    const sourceOf = Uint16Array.from([...Array(na).fill(0), ...Array(nb).fill(1)]);
    const list: Pair[] = [];
    for (let k = 0; k < 300; k++)
      list.push({ a: Math.floor(r() * na), b: na + Math.floor(r() * nb), w: Math.round(r() * 10) / 10 });
    // anonlink's greedy solver: candidates best first, accept if neither side is matched yet.
    const sorted = [...list].filter((p) => p.w >= 0.5).sort((x, y) => y.w - x.w || x.a - y.a || x.b - y.b);
    const matchedA = new Set<number>();
    const matchedB = new Set<number>();
    const want: number[][] = [];
    for (const p of sorted) {
      if (matchedA.has(p.a) || matchedB.has(p.b)) continue;
      matchedA.add(p.a);
      matchedB.add(p.b);
      want.push([p.a, p.b]);
    }
    const g = clusterEntities({ sourceOf, duplicateFree: [true, true], pairs: toScored(list), threshold: 0.5 });
    const got = partition(g.entityOf).filter((c) => c.length > 1);
    t.same(
      got,
      want.sort((x, y) => (x[0] as number) - (y[0] as number)),
      `seed ${seed}`,
    );
    t.ok(
      partition(g.entityOf).every((c) => c.length <= 2),
      'never more than one record per side',
    );
  }
});

t.test('result does not depend on pair order or orientation', async (t) => {
  const r = rng(7);
  const inst = randomInstance(r, 200, 4, 800);
  const a = cluster(inst, 0.5);
  const shuffled = [...inst.pairs].map((p) => (r() < 0.5 ? { a: p.b, b: p.a, w: p.w } : p));
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j] as Pair, shuffled[i] as Pair];
  }
  const b = cluster({ ...inst, pairs: shuffled }, 0.5);
  t.same(Array.from(b.entityOf), Array.from(a.entityOf), 'identical entity numbering');
  t.same(Array.from(a.entities.memberStart), Array.from(b.entities.memberStart));
});

t.test('radixOrder: stable multi-key order equals a comparator sort', async (t) => {
  const r = rng(3);
  const n = 5000;
  const k1 = Uint32Array.from({ length: n }, () => Math.floor(r() * 7));
  const k2 = Uint32Array.from({ length: n }, () => (r() < 0.5 ? Math.floor(r() * 4) : Math.floor(r() * 0xffffffff)));
  const got = Array.from(radixOrder(n, [k1, k2]));
  const want = Array.from({ length: n }, (_, i) => i).sort(
    (x, y) => (k2[x] as number) - (k2[y] as number) || (k1[x] as number) - (k1[y] as number) || x - y,
  );
  t.same(got, want);
  t.same(Array.from(radixOrder(0, [])), []);
});

// ---- the next run's data ---------------------------------------------------------------------------

/**
 * Next day's data: some records removed, some added at random positions (survivors keep their
 * order), new pairs for the new records. Returns the update and the full instance for comparison.
 */
function nextDay(r: () => number, inst: Instance) {
  const keep = inst.sourceOf.map(() => r() > 0.1);
  const added = Math.floor(r() * 15);
  // Layout: survivors in order, new records inserted at random places.
  const layout: { old: number; source: number }[] = [];
  inst.sourceOf.forEach((s, i) => {
    if (keep[i]) layout.push({ old: i, source: s });
  });
  for (let k = 0; k < added; k++) {
    layout.splice(Math.floor(r() * (layout.length + 1)), 0, { old: -1, source: Math.floor(r() * inst.dupFree.length) });
  }
  const newOfOld = new Map<number, number>();
  layout.forEach((x, i) => {
    if (x.old >= 0) newOfOld.set(x.old, i);
  });
  const n = layout.length;
  const isNew = layout.map((x) => x.old < 0);
  const carried: Pair[] = [];
  for (const p of inst.pairs) {
    const a = newOfOld.get(p.a);
    const b = newOfOld.get(p.b);
    if (a !== undefined && b !== undefined) carried.push({ a, b, w: p.w });
  }
  const fresh: Pair[] = [];
  const newIdx = layout.map((x, i) => (x.old < 0 ? i : -1)).filter((i) => i >= 0);
  for (let k = 0; k < added * 4 && n > 1; k++) {
    const a = newIdx[Math.floor(r() * newIdx.length)] as number;
    let b = r() < 0.7 ? Math.max(0, Math.min(n - 1, a + Math.floor(r() * 9) - 4)) : Math.floor(r() * n);
    if (!isNew[a] && !isNew[b]) b = a;
    fresh.push({ a, b, w: Math.round(r() * 20) / 20 });
  }
  const next: Instance = {
    sourceOf: layout.map((x) => x.source),
    dupFree: inst.dupFree,
    pairs: [...carried, ...fresh],
  };
  const update = {
    sourceOf: Uint16Array.from(next.sourceOf),
    previousIndex: Uint32Array.from(layout.map((x) => (x.old < 0 ? NONE : x.old))),
    pairs: toScored(fresh),
  };
  return { next, update };
}

// ---- populations (adults-only / children-only sources) ------------------------------------------

type Pop = 'adults' | 'children' | undefined;

/**
 * True when x and y may not share an entity because one is of an adults-only source and the other of a children-only
 * one.
 */
function ageClash(sourceOf: ArrayLike<number>, pops: readonly Pop[], x: number, y: number): boolean {
  const px = pops[sourceOf[x] as number];
  const py = pops[sourceOf[y] as number];
  return px !== undefined && py !== undefined && px !== py;
}

/** referenceGreedy with one more rule, on whole clusters: never an adults-only record with a children-only one. */
function referenceGreedyPop(
  sourceOf: readonly number[],
  dupFree: readonly boolean[],
  pops: readonly Pop[],
  list: readonly Pair[],
  threshold: number,
): number[][] {
  const sorted = list
    .map((p) => ({ lo: Math.min(p.a, p.b), hi: Math.max(p.a, p.b), w: Math.fround(p.w) }))
    .filter((p) => p.w >= Math.fround(threshold) && p.lo !== p.hi)
    .sort((x, y) => y.w - x.w || x.lo - y.lo || x.hi - y.hi);
  const cluster = sourceOf.map((_, i) => new Set([i]));
  const direct = (x: number, y: number) => sorted.some((q) => q.lo === Math.min(x, y) && q.hi === Math.max(x, y));
  for (const p of sorted) {
    const ca = cluster[p.lo] as Set<number>;
    const cb = cluster[p.hi] as Set<number>;
    if (ca === cb) continue;
    const clash = (x: number, y: number) =>
      ageClash(sourceOf, pops, x, y) ||
      (sourceOf[x] === sourceOf[y] && (dupFree[sourceOf[x] as number] === true || !direct(x, y)));
    if ([...ca].some((x) => [...cb].some((y) => clash(x, y)))) continue;
    for (const r of cb) {
      ca.add(r);
      cluster[r] = ca;
    }
  }
  return partition(cluster.map((c) => Math.min(...c)));
}

/** Random populations per source: a third adults-only, a third children-only, a third anyone. */
function randomPops(r: () => number, sources: number): Pop[] {
  return Array.from({ length: sources }, () => {
    const x = r();
    return x < 1 / 3 ? 'adults' : x < 2 / 3 ? 'children' : undefined;
  });
}

t.test(
  'populations: an adults-only record and a children-only record never share an entity, even through a chain',
  async (t) => {
    // Records: 0 = A (adults only), 1 = B (anyone), 2 = C (children only). No source duplicate-free.
    const sourceOf = Uint16Array.of(0, 1, 2);
    const pops: Pop[] = ['adults', undefined, 'children'];
    const chain = (ab: number, bc: number, dupFree = [false, false, false]) =>
      clusterEntities({
        sourceOf,
        duplicateFree: dupFree,
        populations: pops,
        pairs: toScored([
          { a: 0, b: 1, w: ab },
          { a: 1, b: 2, w: bc },
        ]),
        threshold: 0.5,
      });
    const g = chain(0.9, 0.8);
    t.same(
      partition(g.entityOf),
      [[0, 1], [2]],
      'A–B (stronger) joins: adults with anyone; B–C is refused, it would put C with A',
    );
    t.equal(g.stats.refused, 1, 'the refusal is counted');
    t.equal(g.stats.merges, 1);
    t.same(
      partition(chain(0.8, 0.9).entityOf),
      [[0], [1, 2]],
      'weights reversed: B–C joins (children with anyone), A–B is refused',
    );
    t.same(
      partition(chain(0.9, 0.8, [true, true, true]).entityOf),
      [[0, 1], [2]],
      'the same with duplicate-free sources (population word after the mask words)',
    );
    const direct = clusterEntities({
      sourceOf,
      duplicateFree: [false, false, false],
      populations: pops,
      pairs: toScored([{ a: 0, b: 2, w: 1 }]),
      threshold: 0.5,
    });
    t.same(partition(direct.entityOf), [[0], [1], [2]], 'a direct adults–children pair is refused');
    t.equal(direct.stats.refused, 1);
    // Without populations the chain joins all three: the rule is what keeps C out.
    const none = clusterEntities({
      sourceOf,
      duplicateFree: [false, false, false],
      pairs: toScored([
        { a: 0, b: 1, w: 0.9 },
        { a: 1, b: 2, w: 0.8 },
      ]),
      threshold: 0.5,
    });
    t.same(partition(none.entityOf), [[0, 1, 2]], 'undeclared: one entity');
    t.same(none.populations, [undefined, undefined, undefined], 'the graph records every source as anyone');
    t.same(g.populations, pops, 'and the declared populations when given');
    // Two adults-only sources, or two children-only ones, join freely.
    const same = clusterEntities({
      sourceOf,
      duplicateFree: [true, true, true],
      populations: ['adults', 'adults', 'adults'],
      pairs: toScored([
        { a: 0, b: 1, w: 0.9 },
        { a: 1, b: 2, w: 0.8 },
      ]),
      threshold: 0.5,
    });
    t.same(partition(same.entityOf), [[0, 1, 2]], 'adults with adults');
    const kids = clusterEntities({
      sourceOf,
      duplicateFree: [false, false, false],
      populations: ['children', undefined, 'children'],
      pairs: toScored([
        { a: 0, b: 1, w: 0.9 },
        { a: 1, b: 2, w: 0.8 },
      ]),
      threshold: 0.5,
    });
    t.same(partition(kids.entityOf), [[0, 1, 2]], 'children with anyone and children');
    t.throws(
      () =>
        clusterEntities({
          sourceOf,
          duplicateFree: [false, false, false],
          populations: ['adults', undefined, undefined, 'children'],
          pairs: toScored([]),
          threshold: 0.5,
        }),
      /populations are given for 4 sources; only 3/,
    );
    t.throws(
      () =>
        clusterEntities({
          sourceOf,
          duplicateFree: [false, false, false],
          populations: ['adults', 'pensioners' as never],
          pairs: toScored([]),
          threshold: 0.5,
        }),
      /source 1 declares population "pensioners"/,
    );
  },
);

t.test(
  'populations: the engine compares an adults-only source with a children-only one, and keeps them apart without dates',
  async (t) => {
    // Three sources holding the same two people (identical CLKs, Dice 1 across sources).
    const r = seededRandom(7);
    const clks = [0, 1].map(() => Uint8Array.from({ length: 128 }, () => Math.floor(r() * 256)));
    const source = (name: string, population?: 'adults' | 'children'): EngineSource => ({
      name,
      duplicateFree: true,
      ...(population ? { population } : {}),
      tokens: ['0', '1'],
      clkBits: 1024,
      clks,
      fieldSpecs: [],
      fieldMasks: [0, 0],
      fields: [null, null],
      blocks: [null, null],
    });
    const pairsOf = (res: ReturnType<typeof link>) => res.stats.blocking.map((b) => b.sources.join(' × '));
    const open = link([source('ct'), source('gp'), source('school')], { diceThreshold: 0.8, runId: 'r' });
    t.same(pairsOf(open), ['ct × gp', 'ct × school', 'gp × school'], 'undeclared: every pair of sources is blocked');
    t.equal(open.stats.candidatePairs, 6);
    const declared = link([source('ct', 'adults'), source('gp'), source('school', 'children')], {
      diceThreshold: 0.8,
      runId: 'r',
    });
    // An 18-year-old can be on a school roll and an adult register: the dates of birth decide
    // (tests/unit/apart.test.ts).
    t.same(
      pairsOf(declared),
      ['ct × gp', 'ct × school', 'gp × school'],
      'declared: council tax × schools is blocked too',
    );
    t.equal(declared.stats.candidatePairs, 6, 'and its pairs are scored');
    t.equal(declared.entityIds[0], declared.entityIds[2], 'council tax still links with the GP');
    t.not(
      declared.entityIds[4],
      declared.entityIds[0],
      'and with no date of birth to overrule the declarations, the school record stays apart from the council-tax one',
    );
  },
);

t.test('populations: the council-tax row of a father and son of one name goes to the father', async (t) => {
  // 0 GP father, 1 GP son (GP register duplicate-free, anyone), 2 school record of the son (children
  // only), 3 council-tax row "John Smith" without a date of birth (adults only): it ties between the
  // two GP records, and the tie breaks towards the smaller record index, the son.
  const sourceOf = Uint16Array.of(0, 0, 1, 2);
  const pairs = toScored([
    { a: 1, b: 2, w: 0.95 },
    { a: 0, b: 3, w: 0.7 },
    { a: 1, b: 3, w: 0.7 },
    { a: 0, b: 1, w: 0.6 },
  ]);
  const before = clusterEntities({ sourceOf, duplicateFree: [true, false, false], pairs, threshold: 0.5 });
  t.same(
    partition(before.entityOf),
    [
      [0, 3],
      [1, 2],
    ],
    'tie order alone: the pair with the father comes first here',
  );
  // Number the son first: now the tie sends the council-tax row to the son, unless populations are declared.
  const sonFirst = Uint16Array.of(0, 0, 1, 2);
  const swapped = toScored([
    { a: 0, b: 2, w: 0.95 },
    { a: 1, b: 3, w: 0.7 },
    { a: 0, b: 3, w: 0.7 },
    { a: 0, b: 1, w: 0.6 },
  ]);
  const wrong = clusterEntities({
    sourceOf: sonFirst,
    duplicateFree: [true, false, false],
    pairs: swapped,
    threshold: 0.5,
  });
  t.same(
    partition(wrong.entityOf),
    [[0, 2, 3], [1]],
    'undeclared: the son (with his school record) takes the council-tax row',
  );
  const right = clusterEntities({
    sourceOf: sonFirst,
    duplicateFree: [true, false, false],
    populations: [undefined, 'children', 'adults'],
    pairs: swapped,
    threshold: 0.5,
  });
  t.same(
    partition(right.entityOf),
    [
      [0, 2],
      [1, 3],
    ],
    'declared: the son holds a children-only record, so the council-tax row joins the father',
  );
  t.equal(right.stats.refused, 2, 'son–council tax refused, and father–son (duplicate-free GP) as before');
});

t.test('populations: equal to the reference greedy on random instances, and maximal', async (t) => {
  let checked = 0;
  let refusedForAge = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const r = rng(5000 + seed);
    const inst = randomInstance(r, 20 + Math.floor(r() * 120), 2 + Math.floor(r() * 5), Math.floor(r() * 400));
    const pops = randomPops(r, inst.dupFree.length);
    const threshold = 0.3 + r() * 0.4;
    const got = clusterEntities({
      sourceOf: Uint16Array.from(inst.sourceOf),
      duplicateFree: inst.dupFree,
      populations: pops,
      pairs: toScored(inst.pairs),
      threshold,
    });
    const want = referenceGreedyPop(inst.sourceOf, inst.dupFree, pops, inst.pairs, threshold);
    if (JSON.stringify(partition(got.entityOf)) !== JSON.stringify(want)) {
      t.fail(`seed ${seed}: partition differs from the reference greedy`);
      continue;
    }
    const linked = linkedSet(got);
    const bad = (x: number, y: number) => ageClash(got.sourceOf, pops, x, y) || clash(got, linked, x, y);
    for (let e = 0; e < got.entities.count; e++) {
      const m = [...membersOf(got.entities, e)];
      if (m.some((x) => m.some((y) => x < y && bad(x, y)))) t.fail(`seed ${seed}: entity ${e} breaks a constraint`);
    }
    for (let k = 0; k < got.pairs.a.length; k++) {
      const ea = got.entityOf[got.pairs.a[k] as number] as number;
      const eb = got.entityOf[got.pairs.b[k] as number] as number;
      if (ea === eb) continue;
      const xs = [...membersOf(got.entities, ea)];
      const ys = [...membersOf(got.entities, eb)];
      if (!xs.some((x) => ys.some((y) => bad(x, y)))) t.fail(`seed ${seed}: pair ${k} could have merged but did not`);
      else if (!xs.some((x) => ys.some((y) => clash(got, linked, x, y)))) refusedForAge++;
    }
    checked++;
  }
  t.equal(checked, 60, 'all random instances match the reference and are maximal');
  t.ok(refusedForAge > 50, `the population rule alone kept ${refusedForAge} linking pairs apart`);
});

t.test('ConstrainedUnionFind: the population word works with and without duplicate-free mask words', async (t) => {
  // Four sources, records 0..3 one each: children only, anyone, adults only, anyone.
  for (const dupFree of [
    [false, false, false, false],
    [true, false, true, false],
    [true, true, true, true],
  ]) {
    const uf = new ConstrainedUnionFind(Uint16Array.of(0, 1, 2, 3), dupFree, undefined, [
      'children',
      undefined,
      'adults',
      undefined,
    ]);
    t.equal(uf.tryUnion(0, 1), 1, `${dupFree}: children with anyone`);
    t.equal(uf.tryUnion(3, 2), 1, `${dupFree}: anyone with adults`);
    t.equal(uf.tryUnion(1, 3), -1, `${dupFree}: the two clusters would mix adults and children`);
    t.equal(uf.tryUnion(0, 2), -1, `${dupFree}: directly too`);
    t.equal(uf.tryUnion(0, 1), 0, 'already together');
  }
  // 40 duplicate-free sources take two mask words; the population word comes after them.
  const uf = new ConstrainedUnionFind(
    Uint16Array.of(0, 39, 20),
    Array.from({ length: 40 }, () => true),
    undefined,
    Array.from({ length: 40 }, (_, s): Pop => (s === 0 ? 'adults' : s === 20 ? 'children' : undefined)),
  );
  t.equal(uf.tryUnion(0, 1), 1, 'two mask words: source 39 (second word) joins an adults-only record');
  t.equal(uf.tryUnion(1, 2), -1, 'and the children-only record is refused');
  t.throws(
    () => new ConstrainedUnionFind(Uint16Array.of(0), [false], undefined, ['teens' as never]),
    /source 0 declares population "teens"/,
  );
});

// ---- stable ids --------------------------------------------------------------------------------

function counter(prefix: string): () => string {
  let i = 0;
  return () => `${prefix}${i++}`;
}

function byKind(events: readonly IdEvent[], kind: IdEvent['kind']): IdEvent[] {
  return events.filter((e) => e.kind === kind);
}

t.test('stable ids: first run mints, unchanged data keeps every id and reports nothing', async (t) => {
  const r = rng(11);
  // Distinct weights: without ties the partition does not depend on the record numbering.
  const inst = randomInstance(r, 300, 5, 900);
  inst.pairs = inst.pairs.map((p, k) => ({ ...p, w: 0.3 + ((k * 7919) % 900) / 1500 }));
  const g = cluster(inst, 0.5);
  const keys = inst.sourceOf.map((s, i) => `${s}:row${i}`);
  const first = assignStableIds({
    clusterOf: g.entityOf,
    clusterCount: g.entities.count,
    memberKeys: keys,
    previous: new Map(),
    runId: 'run-1',
  });
  t.equal(first.minted, g.entities.count);
  t.equal(byKind(first.events, 'created').length, g.entities.count, 'one created event per entity');
  t.ok(first.events.every((e) => e.runId === 'run-1'));
  t.equal(new Set(first.ids).size, first.ids.length, 'ids are distinct');
  t.ok(
    first.ids.every((id) => /^[A-Za-z0-9_-]{22}$/.test(id)),
    'ids are 128-bit base64url',
  );

  const again = cluster(inst, 0.5);
  const same = assignStableIds({
    clusterOf: again.entityOf,
    clusterCount: again.entities.count,
    memberKeys: keys,
    previous: assignmentOf(keys, g.entityOf, first.ids),
    runId: 'run-1b',
  });
  t.same(same.ids, first.ids, 'same data, same numbering: identical ids');
  t.same(same.events, []);

  // Same data again, records listed in another order (another global numbering).
  const perm = inst.sourceOf.map((_, i) => i).reverse();
  const g2 = cluster(
    {
      ...inst,
      sourceOf: perm.map((i) => inst.sourceOf[i] as number),
      pairs: inst.pairs.map((p) => ({ a: perm.indexOf(p.a), b: perm.indexOf(p.b), w: p.w })),
    },
    0.5,
  );
  const second = assignStableIds({
    clusterOf: g2.entityOf,
    clusterCount: g2.entities.count,
    memberKeys: perm.map((i) => keys[i] as string),
    previous: assignmentOf(keys, g.entityOf, first.ids),
    runId: 'run-2',
  });
  t.equal(second.kept, g.entities.count);
  t.equal(second.minted, 0);
  t.same(second.events, []);
  const before = assignmentOf(keys, g.entityOf, first.ids);
  const after = assignmentOf(
    perm.map((i) => keys[i] as string),
    g2.entityOf,
    second.ids,
  );
  t.same([...after.entries()].sort(), [...before.entries()].sort(), 'every record keeps its entity id');
});

t.test('stable ids: adding one record leaves every other entity id unchanged', async (t) => {
  for (let seed = 20; seed < 40; seed++) {
    const r = rng(seed);
    const inst = randomInstance(r, 150, 4, 400);
    const g = cluster(inst, 0.5);
    const keys = inst.sourceOf.map((_, i) => `k${i}`);
    const ids1 = assignStableIds({
      clusterOf: g.entityOf,
      clusterCount: g.entities.count,
      memberKeys: keys,
      previous: new Map(),
      runId: 'r1',
      mint: counter('a'),
    });
    const prev = assignmentOf(keys, g.entityOf, ids1.ids);
    // One new record of a new source (not duplicate-free), linked to one random record: nothing in
    // the target's entity can clash with it, so nothing else may move.
    const src = inst.dupFree.length;
    const dupFree = [...inst.dupFree, false];
    const target = Math.floor(r() * 150);
    const g2 = cluster(
      { sourceOf: [...inst.sourceOf, src], dupFree, pairs: [...inst.pairs, { a: target, b: 150, w: 0.99 }] },
      0.5,
    );
    const ids2 = assignStableIds({
      clusterOf: g2.entityOf,
      clusterCount: g2.entities.count,
      memberKeys: [...keys, 'new'],
      previous: prev,
      runId: 'r2',
      mint: counter('b'),
    });
    let same = 0;
    for (let i = 0; i < 150; i++) if (ids2.ids[g2.entityOf[i] as number] === prev.get(keys[i] as string)) same++;
    t.equal(same, 150, `seed ${seed}: every old record keeps its entity id`);
    t.equal(
      ids2.ids[g2.entityOf[150] as number],
      prev.get(`k${target}`),
      'the new record joins its match’s entity and id',
    );
    t.same(ids2.events, [], 'no merge, split or creation');
  }
});

t.test('stable ids: merges, splits, creations and retirements are reported with their run', async (t) => {
  // Previous run: E1 = {r0, r1, r2}, E2 = {r3, r4}, E3 = {r5}, E4 = {r6, r7}.
  const previous = new Map([
    ['r0', 'E1'],
    ['r1', 'E1'],
    ['r2', 'E1'],
    ['r3', 'E2'],
    ['r4', 'E2'],
    ['r5', 'E3'],
    ['r6', 'E4'],
    ['r7', 'E4'],
  ]);
  // This run: {r0, r1, r3, r4} (E1 and E2 merge; r2 split off), {r2}, {r5} unchanged, {n1} new; r6, r7 gone.
  const keys = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'n1'];
  const clusterOf = Uint32Array.of(0, 0, 1, 0, 0, 2, 3);
  const res = assignStableIds({
    clusterOf,
    clusterCount: 4,
    memberKeys: keys,
    previous,
    runId: 'run-7',
    mint: counter('F'),
  });
  t.same(
    res.ids,
    ['E1', 'F0', 'E3', 'F1'],
    'the larger share keeps E1; the split-off part and the new entity get fresh ids',
  );
  t.same(res.events, [
    { kind: 'merged', runId: 'run-7', entityIds: ['E1', 'E2'], id: 'E1', from: ['E1', 'E2'] },
    { kind: 'created', runId: 'run-7', entityIds: ['F1'], id: 'F1' },
    { kind: 'split', runId: 'run-7', entityIds: ['E1', 'F0'], from: 'E1', into: ['E1', 'F0'] },
    { kind: 'retired', runId: 'run-7', entityIds: ['E2'], id: 'E2', into: ['E1'] },
    { kind: 'retired', runId: 'run-7', entityIds: ['E4'], id: 'E4', into: [] },
  ]);
  t.equal(res.kept, 2);
  t.equal(res.minted, 2);
  // The same assignment from indices (previous clusters 0..3 = E1..E4) gives the same result.
  const indexed = assignStableIdsIndexed({
    clusterOf,
    clusterCount: 4,
    previousClusterOf: Uint32Array.of(0, 0, 0, 1, 1, 2, NONE),
    previousIds: ['E1', 'E2', 'E3', 'E4'],
    runId: 'run-7',
    mint: counter('F'),
  });
  t.same(indexed, res);
});

t.test('stable ids: each previous id is used once, by maximum overlap', async (t) => {
  // E1 = {a, b, c, d} splits 1 / 3: the 3-part keeps E1 even though the 1-part comes first.
  const previous = new Map(['a', 'b', 'c', 'd'].map((k) => [k, 'E1']));
  const res = assignStableIds({
    clusterOf: Uint32Array.of(0, 1, 1, 1),
    clusterCount: 2,
    memberKeys: ['a', 'b', 'c', 'd'],
    previous,
    runId: 'x',
    mint: counter('N'),
  });
  t.same(res.ids, ['N0', 'E1']);
  t.throws(
    () => assignStableIds({ clusterOf: Uint32Array.of(0), clusterCount: 1, memberKeys: [], previous, runId: 'x' }),
    /memberKeys/,
  );
  t.not(newOpaqueId(), newOpaqueId());
});

t.test('stable ids after an incremental update, indexed and keyed agree on random instances', async (t) => {
  for (let seed = 50; seed < 70; seed++) {
    const r = rng(seed);
    const inst = randomInstance(r, 120, 4, 300);
    const g = cluster(inst, 0.5);
    const keys = inst.sourceOf.map((_, i) => `k${i}`);
    const ids1 = assignStableIds({
      clusterOf: g.entityOf,
      clusterCount: g.entities.count,
      memberKeys: keys,
      previous: new Map(),
      runId: 'r1',
      mint: counter('a'),
    });
    const { next, update } = nextDay(r, inst);
    const g2 = cluster(next, 0.5);
    const newKeys = Array.from(update.previousIndex, (p, i) => (p === NONE ? `new${i}` : (keys[p] as string)));
    const keyed = assignStableIds({
      clusterOf: g2.entityOf,
      clusterCount: g2.entities.count,
      memberKeys: newKeys,
      previous: assignmentOf(keys, g.entityOf, ids1.ids),
      runId: 'r2',
      mint: counter('b'),
    });
    const indexed = assignStableIdsIndexed({
      clusterOf: g2.entityOf,
      clusterCount: g2.entities.count,
      previousClusterOf: Uint32Array.from(update.previousIndex, (p) => (p === NONE ? NONE : (g.entityOf[p] as number))),
      previousIds: ids1.ids,
      runId: 'r2',
      mint: counter('b'),
    });
    t.same(indexed, keyed, `seed ${seed}`);
    // An entity whose records are exactly the same as before keeps its id.
    for (let e = 0; e < g2.entities.count; e++) {
      const members = [...membersOf(g2.entities, e)];
      const olds = new Set(members.map((m) => update.previousIndex[m] as number));
      if (olds.has(NONE)) continue;
      const oldEntities = new Set([...olds].map((o) => g.entityOf[o] as number));
      if (oldEntities.size !== 1) continue;
      const oe = [...oldEntities][0] as number;
      if (membersOf(g.entities, oe).length !== members.length) continue;
      if (keyed.ids[e] !== ids1.ids[oe]) t.fail(`seed ${seed}: unchanged entity ${e} lost its id`);
    }
  }
});
