// Households: each entity's current address, grouping by shared address within a postcode block,
// and household ids that stay stable across runs.
import t from 'tap';
import { NONE, assignStableIds, assignmentOf, clusterEntities, withMembers } from '@blindlink/broker/entities';
import type { IdEvent, ScoredPairs } from '@blindlink/broker/entities';
import {
  assignHouseholdIds,
  entityAddresses,
  groupHouseholds,
  representativePairs,
  sharedAddressPairs,
} from '@blindlink/broker/households';

function pairs(list: readonly [number, number, number][]): ScoredPairs {
  return {
    a: Uint32Array.from(list.map((p) => p[0])),
    b: Uint32Array.from(list.map((p) => p[1])),
    weight: Float32Array.from(list.map((p) => p[2])),
  };
}

function groups(clusterOf: ArrayLike<number>): number[][] {
  const m = new Map<number, number[]>();
  for (let i = 0; i < clusterOf.length; i++)
    m.set(clusterOf[i] as number, [...(m.get(clusterOf[i] as number) ?? []), i]);
  return [...m.values()];
}

function counter(prefix: string): () => string {
  let i = 0;
  return () => `${prefix}${i++}`;
}

t.test('entity address: most recent record by default with recency, majority otherwise', async (t) => {
  // Entity 0 has records 0, 1, 2: two old records in block 5, a newer one in block 9 (moved).
  // Entity 1 has records 3, 4: no postcode at all.
  const entities = withMembers(Uint32Array.of(0, 0, 0, 1, 1), 2);
  const postcodeBlock = Uint32Array.of(5, 5, 9, NONE, NONE);
  const recency = [100, 110, 200, 300, 300];
  const recent = entityAddresses({ entities, postcodeBlock, recency, addressToken: Uint32Array.of(1, 1, 2, 3, 3) });
  t.same(Array.from(recent.block), [9, NONE]);
  t.same(Array.from(recent.record), [2, NONE]);
  t.same(Array.from(recent.token), [2, NONE]);
  const majority = entityAddresses({ entities, postcodeBlock, recency, prefer: 'majority' });
  t.same(Array.from(majority.block), [5, NONE]);
  t.same(Array.from(majority.record), [1, NONE], 'the newer of the two majority records represents it');
  t.same(Array.from(majority.token), [NONE, NONE], 'no token without an address token input');
  const noRecency = entityAddresses({ entities, postcodeBlock });
  t.same(Array.from(noRecency.record), [0, NONE], 'majority, then lowest record index');
  t.throws(() => entityAddresses({ entities, postcodeBlock, prefer: 'recent' }), /recency/);
  t.throws(() => entityAddresses({ entities, postcodeBlock: Uint32Array.of(1) }), /postcodeBlock/);
});

t.test('grouping: equal tokens and similar addresses link, only within one postcode block', async (t) => {
  // Entities 0..6. Blocks: 0,1,2 in block 10; 3,4 in block 11; 5 unknown; 6 in block 12.
  const block = Uint32Array.of(10, 10, 10, 11, 11, NONE, 12);
  // Tokens: 0 and 2 share token 7; 3 has token 7 too but another block; 5 token 7 but no block.
  const token = Uint32Array.of(7, NONE, 7, 7, 8, 7, NONE);
  // Similarity: 1–2 0.92 (link), 3–4 0.6 (below), 4–6 0.99 (different blocks).
  const h = groupHouseholds({
    block,
    token,
    pairs: pairs([
      [1, 2, 0.92],
      [3, 4, 0.6],
      [4, 6, 0.99],
    ]),
    threshold: 0.85,
  });
  t.same(groups(h.households.clusterOf), [[0, 1, 2], [3], [4], [5], [6]]);
  t.equal(h.crossBlock, 1);
  t.equal(h.refusedBySize, 0);
  // Without the similarity pairs only the token links.
  t.same(groups(groupHouseholds({ block, token }).households.clusterOf), [[0, 2], [1], [3], [4], [5], [6]]);
  t.throws(() => groupHouseholds({ block, pairs: pairs([[0, 1, 1]]) }), /threshold/);
  t.throws(() => groupHouseholds({ block, token: Uint32Array.of(1) }), /token/);
});

t.test('grouping: the size cap stops a chain of similar flat addresses', async (t) => {
  // Six entities in one block, each similar to the next (Flat 1, Flat 2, ...): single linkage chains.
  const block = new Uint32Array(6).fill(3);
  const chain = pairs([
    [0, 1, 0.95],
    [1, 2, 0.9],
    [2, 3, 0.97],
    [3, 4, 0.91],
    [4, 5, 0.93],
  ]);
  t.same(groups(groupHouseholds({ block, pairs: chain, threshold: 0.9 }).households.clusterOf), [[0, 1, 2, 3, 4, 5]]);
  const capped = groupHouseholds({ block, pairs: chain, threshold: 0.9, maxSize: 2 });
  // Best first: 2–3 (0.97), 0–1 (0.95), 4–5 (0.93); then 3–4 and 1–2 would exceed 2.
  t.same(groups(capped.households.clusterOf), [
    [0, 1],
    [2, 3],
    [4, 5],
  ]);
  t.equal(capped.refusedBySize, 2);
  t.throws(() => groupHouseholds({ block, maxSize: 0 }), /maxSize/);
});

t.test('representative pairs: only the records that represent entities count', async (t) => {
  // Records 0..4; entities: {0, 1} → 0, {2} → 1, {3, 4} → 2; representatives 1, 2, 4.
  const addresses = {
    record: Uint32Array.of(1, 2, 4),
    block: Uint32Array.of(1, 1, 1),
    token: Uint32Array.of(NONE, NONE, NONE),
  };
  const lifted = representativePairs(
    pairs([
      [0, 2, 0.99],
      [1, 2, 0.9],
      [2, 4, 0.8],
      [3, 4, 0.95],
      [1, 0, 0.7],
    ]),
    addresses,
    5,
  );
  t.same(Array.from(lifted.a), [0, 1]);
  t.same(Array.from(lifted.b), [1, 2]);
  t.same(Array.from(lifted.weight), [Math.fround(0.9), Math.fround(0.8)]);
  t.throws(() => representativePairs(pairs([[0, 9, 1]]), addresses, 5), /out of range/);
});

t.test('households end to end, with ids stable across runs', async (t) => {
  // Run 1. Sources: 0 GP register (duplicate-free), 1 council tax (duplicate-free), 2 police (not).
  // People: mum (records 0, 1), dad (2, 3), child (4), neighbour (5, 6) next door in the same postcode.
  const sourceOf = Uint16Array.of(0, 1, 0, 1, 0, 0, 2);
  const g = clusterEntities({
    sourceOf,
    duplicateFree: [true, true, false],
    pairs: pairs([
      [0, 1, 0.95],
      [2, 3, 0.93],
      [5, 6, 0.9],
    ]),
    threshold: 0.8,
  });
  t.equal(g.entities.count, 4);
  const postcodeBlock = Uint32Array.of(1, 1, 1, 1, 1, 1, 1);
  const addressToken = Uint32Array.of(100, 100, 100, 100, 100, 101, 101);
  const addr = entityAddresses({ entities: g.entities, postcodeBlock, addressToken });
  const h = groupHouseholds({ block: addr.block, token: addr.token });
  t.equal(h.households.count, 2, 'the family and the neighbour');
  const recordKeys = ['gp:mum', 'ct:mum', 'gp:dad', 'ct:dad', 'gp:child', 'gp:nb', 'police:nb'];
  const entityIds = assignStableIds({
    clusterOf: g.entityOf,
    clusterCount: g.entities.count,
    memberKeys: recordKeys,
    previous: new Map(),
    runId: 'r1',
    mint: counter('P'),
  }).ids;
  const hh1 = assignHouseholdIds({
    households: h.households,
    entityIds,
    previous: new Map(),
    runId: 'r1',
    mint: counter('H'),
  });
  t.same(hh1.ids, ['H0', 'H1']);
  t.same(
    hh1.events.map((e: IdEvent) => e.kind),
    ['created', 'created'],
  );

  // Run 2: unchanged data → same household ids, no events.
  const prevHouseholds = assignmentOf(entityIds, h.households.clusterOf, hh1.ids);
  const again = assignHouseholdIds({
    households: h.households,
    entityIds,
    previous: prevHouseholds,
    runId: 'r2',
    mint: counter('X'),
  });
  t.same(again.ids, hh1.ids);
  t.same(again.events, []);

  // Run 3: a baby is born (new GP record 7 at the family's address) and the neighbour moves away
  // (their police record now has another postcode block and is the newest).
  const sourceOf3 = Uint16Array.of(0, 1, 0, 1, 0, 0, 2, 0);
  const g3 = clusterEntities({
    sourceOf: sourceOf3,
    duplicateFree: [true, true, false],
    pairs: pairs([
      [0, 1, 0.95],
      [2, 3, 0.93],
      [5, 6, 0.9],
    ]),
    threshold: 0.8,
  });
  const ids3 = assignStableIds({
    clusterOf: g3.entityOf,
    clusterCount: g3.entities.count,
    memberKeys: [...recordKeys, 'gp:baby'],
    previous: assignmentOf(recordKeys, g.entityOf, entityIds),
    runId: 'r3',
    mint: counter('Q'),
  }).ids;
  t.same(ids3.slice(0, 4), entityIds, 'existing people keep their entity ids');
  const addr3 = entityAddresses({
    entities: g3.entities,
    postcodeBlock: Uint32Array.of(1, 1, 1, 1, 1, 1, 2, 1),
    addressToken: Uint32Array.of(100, 100, 100, 100, 100, 101, 200, 100),
    recency: [1, 1, 1, 1, 1, 1, 5, 2],
  });
  const h3 = groupHouseholds({ block: addr3.block, token: addr3.token });
  const hh3 = assignHouseholdIds({
    households: h3.households,
    entityIds: ids3,
    previous: prevHouseholds,
    runId: 'r3',
    mint: counter('Z'),
  });
  const householdOf = (entityId: string): string =>
    hh3.ids[h3.households.clusterOf[ids3.indexOf(entityId)] as number] as string;
  t.equal(householdOf('P0'), 'H0', 'the family keeps its household id');
  t.equal(householdOf('Q0'), 'H0', 'the baby joins it');
  t.equal(householdOf('P3'), 'H1', 'the neighbour, alone at the new address, keeps theirs');

  // Run 4: the family splits in two addresses (dad moves out): the larger part keeps the id.
  const addr4 = entityAddresses({
    entities: g3.entities,
    postcodeBlock: Uint32Array.of(1, 1, 1, 3, 1, 1, 2, 1),
    addressToken: Uint32Array.of(100, 100, 100, 300, 100, 101, 200, 100),
    recency: [1, 1, 1, 9, 1, 1, 5, 2],
  });
  const h4 = groupHouseholds({ block: addr4.block, token: addr4.token });
  const prev4 = assignmentOf(ids3, h3.households.clusterOf, hh3.ids);
  const hh4 = assignHouseholdIds({
    households: h4.households,
    entityIds: ids3,
    previous: prev4,
    runId: 'r4',
    mint: counter('S'),
  });
  const split = hh4.events.filter((e) => e.kind === 'split');
  t.equal(split.length, 1);
  t.same(split[0], { kind: 'split', runId: 'r4', entityIds: ['H0', 'S0'], from: 'H0', into: ['H0', 'S0'] });
  t.equal(hh4.ids[h4.households.clusterOf[ids3.indexOf('P0')] as number], 'H0');
});

t.test('shared address: any record at the current postcode links, an old address elsewhere never', async (t) => {
  // Records 0–5. Entity 0 = {0, 1}: 0 at block 7 token 100 (current), 1 at block 7 token 101 (the same
  // address as another system writes it). Entity 1 = {2}: block 7 token 101. Entity 2 = {3, 4}: current
  // block 8, and 4 an old address at block 7 token 100. Entity 3 = {5}: block 8 token 102.
  const entityOf = Uint32Array.from([0, 0, 1, 2, 2, 3]);
  const entities = withMembers(entityOf, 4);
  const postcodeBlock = Uint32Array.from([7, 7, 7, 8, 7, 8]);
  const addressToken = Uint32Array.from([100, 101, 101, 102, 100, 102]);
  const entityBlock = Uint32Array.from([7, 7, 8, 8]);
  const shared = sharedAddressPairs(entities, entityBlock, postcodeBlock, addressToken);
  const links = Array.from(shared.a, (a, k) => [a, shared.b[k]!].sort().join('-')).sort();
  t.same(links, ['0-1', '2-3'], 'co-residents written differently link; the old address does not');
  const grouped = groupHouseholds({
    block: entityBlock,
    token: Uint32Array.from([100, 101, 102, 102]),
    pairs: shared,
    threshold: 1,
  });
  t.same(groups(grouped.households.clusterOf), [
    [0, 1],
    [2, 3],
  ]);
});
