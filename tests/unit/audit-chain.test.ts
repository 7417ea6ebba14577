import t from 'tap';
import {
  chain,
  ChainVerifier,
  GENESIS_HASH,
  type AuditFields,
  type ChainedAuditEntry,
} from '../../broker/src/audit/chain.js';

function entries(n: number): ChainedAuditEntry[] {
  const out: ChainedAuditEntry[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const f: AuditFields = {
      seq: i,
      at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
      actor: 'agency:a',
      action: 'x',
      purpose: 'p',
      policyId: 'pol',
      policyVersion: 1,
      policyRule: 'r',
      decision: 'allowed',
      status: 200,
      reason: 'ok',
      counts: { rows: i },
      releaseDigest: null,
    };
    const e = chain(f, prev);
    out.push(e);
    prev = e.hash;
  }
  return out;
}

function firstBreak(list: ChainedAuditEntry[]) {
  const v = new ChainVerifier();
  for (const e of list) {
    const b = v.next(e);
    if (b) return b;
  }
  return null;
}

t.test('an intact chain verifies', async (t) => {
  t.equal(firstBreak(entries(20)), null);
});

t.test('altering any field of a row is caught at that row', async (t) => {
  for (const [field, value] of [
    ['decision', 'refused'],
    ['counts', { rows: 99 }],
    ['actor', 'agency:b'],
    ['at', '2030-01-01T00:00:00.000Z'],
  ] as const) {
    const list = entries(10);
    list[4] = { ...list[4]!, [field]: value };
    t.match(firstBreak(list), { seq: 5, problem: /altered/ }, `field ${field}`);
  }
});

t.test('re-hashing an altered row breaks the next link', async (t) => {
  const list = entries(10);
  const { prevHash, hash: _h, ...fields } = list[4]!;
  list[4] = chain({ ...fields, decision: 'refused' }, prevHash);
  t.match(firstBreak(list), { seq: 6, problem: /prev_hash/ });
});

t.test('a deleted or reordered row is caught', async (t) => {
  const list = entries(10);
  t.match(firstBreak([...list.slice(0, 3), ...list.slice(4)]), { seq: 5, problem: /missing or reordered/ });
  t.match(firstBreak([list[1]!, list[0]!, ...list.slice(2)]), { seq: 2, problem: /missing or reordered/ });
});
