/**
 * Clerical review's pure parts (docs/clerical-review.md): which pairs an agency is sent, what it is
 * told about each, and how verdicts become pair-level overrides in the next run.
 */
import t from 'tap';
import { parsePolicy, PolicyInvalidError } from '@blindlink/policies';
import { LABELLED_MATCH, withReviewLabels } from '../../broker/dist/linkage/review-labels.js';
import {
  fieldEvidence,
  otherRef,
  reviewId,
  reviewPair,
  uncertainPairs,
  type ReviewRecord,
} from '../../broker/dist/releases/clerical-review.js';
import { POLICY_YAML } from '../helpers/in-process.js';

const pairs = (list: [number, number, number][]) => ({
  a: Uint32Array.from(list.map((p) => p[0])),
  b: Uint32Array.from(list.map((p) => p[1])),
  weight: Float32Array.from(list.map((p) => p[2])),
});

t.test('labels override the weights of exactly the labelled pairs', async (t) => {
  const keys = ['k0', 'k1', 'k2', 'k3'];
  const scored = pairs([
    [0, 1, 5],
    [2, 1, -3],
    [0, 3, 1],
  ]);
  const r = withReviewLabels(scored, keys, [
    { a: 'k0', b: 'k1', match: false },
    { a: 'k3', b: 'k2', match: true }, // never a candidate: added
    { a: 'k0', b: 'gone', match: true }, // a record not in this run: ignored
  ]);
  t.same([...r.pairs.weight], [Number.NEGATIVE_INFINITY, -3, 1, Math.fround(LABELLED_MATCH)]);
  t.same([r.pairs.a[3], r.pairs.b[3]], [2, 3]);
  t.same([r.matches, r.nonMatches], [1, 1]);
  t.same([...scored.weight], [5, -3, 1], 'the scored pairs themselves are untouched (they are carried as scored)');
  t.equal(withReviewLabels(scored, keys, []).pairs, scored, 'no labels, no copy');
});

t.test('the uncertain pairs: the requester’s, in the band, nearest the threshold, at most `pairs`', async (t) => {
  const rec = (agency: string, i: number): ReviewRecord => ({
    agency,
    token: `t${i}`,
    recordKey: `${agency}:k${i}`,
    entityId: `e${i}`,
  });
  const records = [rec('alpha', 0), rec('alpha', 1), rec('beta', 2), rec('beta', 3), rec('gamma', 4)];
  const scored = pairs([
    [0, 2, 0.5], // p 0.59, threshold 0: distance 0.5
    [1, 3, -0.2], // distance 0.2
    [3, 4, 0], // not alpha's
    [0, 3, 10], // p 0.999: out of the band
    [1, 2, Number.NEGATIVE_INFINITY], // vetoed
    [2, 1, 1.5], // distance 1.5, but labelled already
  ]);
  const scoring = { mode: 'fellegi-sunter' as const, threshold: 0 };
  const skip = new Set(['alpha:k1 beta:k2']);
  const got = uncertainPairs(scored, records, 'alpha', scoring, { pairs: 5 }, skip);
  t.same(
    got.map((c) => [c.a, c.b]),
    [
      [1, 3],
      [0, 2],
    ],
  );
  t.equal(uncertainPairs(scored, records, 'alpha', scoring, { pairs: 1 }, new Set()).length, 1, 'at most `pairs`');
  const wide = uncertainPairs(scored, records, 'alpha', scoring, { pairs: 9, band: { from: 0, to: 1 } }, new Set());
  t.equal(wide.length, 4, 'a wider band takes the confident pair too');

  const key = new Uint8Array(32).fill(7);
  const id = reviewId(key, 'p', 'alpha', 'beta:k3', 'alpha:k1');
  t.equal(id, reviewId(key, 'p', 'alpha', 'alpha:k1', 'beta:k3'), 'a pair has one id whichever way round');
  t.not(id, reviewId(key, 'p', 'beta', 'alpha:k1', 'beta:k3'), 'ids are per recipient');
  t.match(id, /^rv-[A-Za-z0-9_-]{22}$/);
  t.not(otherRef(key, 'p', 'alpha', 'beta:k3'), otherRef(key, 'p', 'gamma', 'beta:k3'), 'references are per recipient');
  const p = reviewPair(got[0]!, records, 'alpha', { reviewId: id, other: (k) => `ref-${k.length}` }, 0, []);
  t.same(p.yours, ['t1'], "only the requester's own token");
  t.equal(p.other, 'ref-7');
  t.equal(p.linked, false);
  const own = reviewPair(
    { a: 0, b: 1, score: 0, probability: 0.5 },
    records,
    'alpha',
    { reviewId: id, other: () => 'x' },
    0,
    [],
  );
  t.same([own.yours, own.other], [['t0', 't1'], null], 'both records the requester’s: two tokens, no reference');
});

t.test('field evidence: levels and partial weights, never the similarity', async (t) => {
  const bits = (on: number[]) => {
    const b = new Uint8Array(8);
    for (const i of on) b[i >> 3]! |= 1 << (i & 7);
    return b;
  };
  const x = new Map([
    ['given_name', { bits: bits([1, 2, 3, 4]), flip: 0 }],
    ['dob', { bits: bits([5, 6]), flip: 0 }],
  ]);
  const y = new Map([['given_name', { bits: bits([1, 2, 3, 4]), flip: 0 }]]);
  const evidence = fieldEvidence(undefined, x, y);
  t.same(evidence, [{ field: 'given_name', level: 'dice ≥ 0.95', weight: null }], 'a Dice run: shared fields, levels');
});

t.test('a clerical-review rule is checked when the policy loads', async (t) => {
  const rule = (r: string) => POLICY_YAML.replace('- { id: alpha-asks-beta, form: membership, of: [beta] }', `- ${r}`);
  t.ok(parsePolicy(rule('{ id: r, form: clerical-review, pairs: 50 }')));
  t.throws(
    () => parsePolicy(rule('{ id: r, form: clerical-review, pairs: 50, band: { from: 0.9, to: 0.1 } }')),
    PolicyInvalidError,
  );
  t.throws(() => parsePolicy(rule('{ id: r, form: clerical-review, pairs: 0 }')), PolicyInvalidError);
  t.throws(() => parsePolicy(rule('{ id: r, form: clerical-review }')), PolicyInvalidError);
});
