// The worker's cache of decrypted submissions (broker/src/runs/source-cache.ts): a source comes back
// only for the same submission as last changed (a withdrawal rewrites rows in place and moves
// current_at), within its byte bound, least recently used out first, and not once idle. A stale
// entry here would link records a withdrawal had removed.
import t from 'tap';
import { SourceCache } from '@blindlink/broker/source-cache';

const source = (name: string, records: number) => ({
  name,
  duplicateFree: false,
  tokens: Array.from({ length: records }, (_, r) => `t${r}`),
  clkBits: 1024,
  clks: Array.from({ length: records }, () => new Uint8Array(128)),
  fieldSpecs: [],
  fieldMasks: Array.from({ length: records }, () => 0),
  fields: Array.from({ length: records }, () => null),
  blocks: Array.from({ length: records }, () => null),
});
const at = (ms: number) => new Date(Date.UTC(2026, 11, 7) + ms);

t.test('a source comes back for the same version of its submission only', async (t) => {
  const c = new SourceCache(1 << 20);
  const s = source('a', 10);
  c.set({ id: 'sub-a', current_at: at(0), record_count: 10 }, s);
  t.equal(c.get({ id: 'sub-a', current_at: at(0), record_count: 10 }), s);
  t.equal(c.get({ id: 'sub-a', current_at: at(1), record_count: 10 }), undefined, 'changed since: read afresh');
  t.equal(c.get({ id: 'sub-a', current_at: at(0), record_count: 9 }), undefined);
  t.equal(c.get({ id: 'sub-b', current_at: at(0), record_count: 10 }), undefined);
  c.set({ id: 'sub-a', current_at: at(1), record_count: 10 }, source('a', 10));
  t.equal(c.size.sources, 1, 'a newer version replaces the older');
});

t.test('bounded by bytes, least recently used out first; idle entries dropped', async (t) => {
  // 10 records of 64 + 2 + 128 bytes: 1,940 bytes a source; room for two.
  const c = new SourceCache(4000);
  const v = (id: string) => ({ id, current_at: at(0), record_count: 10 });
  const [a, b, d] = [source('a', 10), source('b', 10), source('d', 10)];
  c.set(v('a'), a);
  c.set(v('b'), b);
  t.equal(c.get(v('a')), a, 'a used last');
  c.set(v('d'), d);
  t.equal(c.get(v('b')), undefined, 'b, least recently used, went');
  t.equal(c.get(v('a')), a);
  t.equal(c.get(v('d')), d);
  t.ok(c.size.bytes <= 4000);
  c.set(v('big'), source('big', 100));
  t.equal(c.get(v('big')), undefined, 'a source larger than the whole cache is not kept');
  t.equal(c.size.sources, 2, 'nor does it push the others out');
  c.prune(Date.now() + 1);
  t.same(c.size, { sources: 0, bytes: 0 });
  const off = new SourceCache(0);
  off.set(v('a'), a);
  t.equal(off.get(v('a')), undefined, 'a cache of 0 bytes keeps nothing');
});
