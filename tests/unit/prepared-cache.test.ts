// Each source's prepared columns kept between a run's engine calls (broker/src/linkage/prepared-cache.ts):
// found by the source's version and the run's fields only, bounded by bytes (least recently used out
// first), dropped once idle; and a partition blocked from kept columns is the one blocked afresh.
// A wrong entry here would block and score one submission's records as another's.
import t from 'tap';
import { linkPartition, prepareSources, type EngineSource } from '@blindlink/broker';
import { FilterSet } from '@blindlink/broker/kernel';
import { PreparedCache, preparedCache } from '@blindlink/broker/prepared-cache';
import { seededRandom } from '@blindlink/broker/prng';

const BITS = 256;

/** A source of `n` random 256-bit CLKs with a `name` field filter and a token shared by records r and r + 1. */
function source(name: string, n: number, seed: number): EngineSource {
  const r = seededRandom(seed);
  const bytes = () => Uint8Array.from({ length: BITS / 8 }, () => Math.floor(r() * 256) & Math.floor(r() * 256));
  return {
    name,
    duplicateFree: false,
    tokens: Array.from({ length: n }, (_, k) => `${name}-${k}`),
    clkBits: BITS,
    clks: Array.from({ length: n }, bytes),
    fieldSpecs: [
      { field: 'given_name', bits: BITS },
      { field: 'surname', bits: BITS },
    ],
    fieldMasks: Uint8Array.from({ length: n }, () => 3),
    fields: Array.from({ length: n }, () => Uint8Array.from([...bytes(), ...bytes()])),
    blocks: Array.from({ length: n }, (_, k) => Uint8Array.from({ length: 16 }, (_, b) => (k >> 1) + b)),
  };
}

const columns = (tag: string) => ({ clkSet: new FilterSet(BITS, 100), fieldSets: [], blocks: [tag as never] });

t.test('kept by key, within its byte bound, least recently used out first, and not once idle', async (t) => {
  // Each entry: 100 filters of 4 u64 words and their popcounts (3,600 bytes), one token list (16).
  const c = new PreparedCache(3 * 3616 + 10);
  let made = 0;
  const make = (tag: string) => () => {
    made++;
    return columns(tag);
  };
  const a = c.columns('a', make('a'));
  t.equal(c.columns('a', make('a2')), a, 'found again: not made twice');
  t.equal(made, 1);
  c.columns('b', make('b'));
  c.columns('c', make('c'));
  t.equal(c.size.sources, 3);
  c.columns('a', make('a3')); // a is now the most recently used
  c.columns('d', make('d')); // pushes out b, the least recently used
  t.equal(c.size.sources, 3);
  t.equal(c.columns('a', make('x')), a, 'a kept');
  const before = made;
  c.columns('b', make('b2'));
  t.equal(made, before + 1, 'b was dropped and is made afresh');
  const big = new PreparedCache(100);
  const huge = big.columns('h', make('h'));
  t.equal(big.size.sources, 0, 'columns larger than the whole cache are not kept');
  t.not(big.columns('h', make('h')), huge);
  c.prune(Date.now() + 1);
  t.same(c.size, { sources: 0, bytes: 0 }, 'idle entries dropped');
});

t.test('a versioned source is prepared once per version and fields; its partitions are unchanged', async (t) => {
  const A = source('a', 400, 1);
  const B = source('b', 300, 2);
  const fields = { names: ['given_name', 'surname'], personal: new Set<string>() };
  const v = (s: EngineSource, version: string) => ({ ...s, version });
  const first = prepareSources([v(A, 'a@1'), v(B, 'b@1')], {}, fields);
  const again = prepareSources([v(B, 'b@1'), v(A, 'a@1')], {}, fields);
  t.equal(again.clkSets[1], first.clkSets[0], "A's columns kept under its version");
  t.equal(again.blocks[0], first.blocks[1]);
  t.not(prepareSources([v(A, 'a@2')], {}, fields).clkSets[0], first.clkSets[0], 'another version: prepared afresh');
  const fewer = prepareSources([v(A, 'a@1')], {}, { names: ['surname'], personal: new Set() });
  t.not(fewer.clkSets[0], first.clkSets[0], 'other fields: prepared afresh');
  t.equal(fewer.fieldSets[0]!.length, 1);
  t.not(prepareSources([A], {}, fields).clkSets[0], prepareSources([A], {}, fields).clkSets[0], 'no version: not kept');

  const opts = { diceThreshold: 0.8, runId: 'prepared-cache-test' };
  const part = { i: 0, j: 1 };
  const fresh = linkPartition([A, B], part, fields, opts);
  t.ok(fresh.block.pairs.length > 0, `${fresh.block.pairs.length / 2} candidate pairs`);
  for (const round of [1, 2]) {
    const kept = linkPartition([v(A, 'a@1'), v(B, 'b@1')], part, fields, opts);
    t.same(kept.block, fresh.block, `the same pairs (round ${round})`);
    t.same(kept.similarities, fresh.similarities, 'and similarities');
    t.same(kept.stats, fresh.stats);
  }
  t.ok(preparedCache.size.sources >= 2);
});
