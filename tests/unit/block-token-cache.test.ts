// The blocking-token cache (agency-client/src/encode/block-token-cache.ts): found by part values
// (one Map per part, so ["a", "bc"] and ["ab", "c"] stay apart), bounded to two generations, and
// standing aside unless half its lookups hit. A wrong answer here would be a wrong blocking token.
import t from 'tap';
import { BlockTokenCache } from '@blindlink/agency-client/encode';

t.test('tokens come back by their part values, and only by them', async (t) => {
  const c = new BlockTokenCache(2, 100);
  c.set(['a', 'bc'], 'T1');
  c.set(['ab', 'c'], 'T2');
  t.equal(c.get(['a', 'bc']), 'T1');
  t.equal(c.get(['ab', 'c']), 'T2');
  t.equal(c.get(['a', 'b']), undefined);
  t.equal(c.get(['x', 'bc']), undefined);
  c.clear();
  t.equal(c.get(['a', 'bc']), undefined, 'cleared');
});

t.test('at most two generations of `limit` tokens; a hit in the old one is kept', async (t) => {
  const c = new BlockTokenCache(1, 2);
  c.set(['1'], 'one');
  c.set(['2'], 'two');
  c.set(['3'], 'three'); // young was full: 1 and 2 are now the old generation
  t.equal(c.get(['1']), 'one', 'found in the old generation, and promoted');
  c.set(['4'], 'four'); // young (3, 1) full: the old generation (2) is dropped
  t.equal(c.get(['2']), undefined, 'dropped with its generation');
  t.equal(c.get(['1']), 'one');
  t.equal(c.get(['3']), 'three');
  const none = new BlockTokenCache(1, 0);
  none.set(['1'], 'one');
  t.equal(none.get(['1']), undefined, 'limit 0 caches nothing');
});

t.test('stands aside after a window of lookups mostly missing, then measures again', async (t) => {
  const c = new BlockTokenCache(1, 100_000);
  c.set(['kept'], 'K');
  // One window of 4,096 lookups, a third of them hits: below one in two.
  for (let i = 0; i < 4096; i++) c.get(i % 3 === 0 ? ['kept'] : [`miss${i}`]);
  t.equal(c.get(['kept']), undefined, 'standing aside: no lookup');
  c.set(['new'], 'N');
  for (let i = 0; i < 16 * 4096; i++) c.get(['x']);
  t.equal(c.get(['kept']), 'K', 'measuring again: entries from before are still there');
  t.equal(c.get(['new']), undefined, 'nothing was inserted while standing aside');
});
