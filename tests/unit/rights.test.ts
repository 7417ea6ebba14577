// Opt-outs and data-quality feedback (issue 18), the pure parts: what a policy may say about opt-outs,
// which flags a submission may carry, the excluded count's suppression, and the feedback's rules.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  checkAttributes,
  decideContribution,
  optedOut,
  parsePolicy,
  type PolicyInvalidError,
} from '@blindlink/policies';
import { dataQuality } from '../../broker/dist/releases/data-quality.js';
import { optedOutEntities, optOutsNote } from '../../broker/dist/releases/opt-outs.js';
import type { RunRecord } from '../../broker/dist/releases/run-records.js';

const base = readFileSync(join(import.meta.dirname, '../../policies/examples/community-safety.yaml'), 'utf8');
const withOptOuts = (yaml: string) => parsePolicy(base + yaml, 'p.yaml').document;
const AT = new Date('2026-06-01T00:00:00Z');

t.test('a policy lists opt-outs held by its contributors; opt_out is reserved', async (t) => {
  const doc = withOptOuts('optOuts: [{ id: local-objections, heldBy: [council-tax] }]\n');
  t.same(doc.optOuts, [{ id: 'local-objections', heldBy: ['council-tax'] }]);
  const bad = (yaml: string) => (t.throws(() => parsePolicy(yaml, 'p.yaml')) as PolicyInvalidError).message;
  t.match(bad(base + 'optOuts: [{ id: x, heldBy: [nhs] }]\n'), /optOuts\/0\/heldBy\/0: nhs is not a contributor/);
  t.match(bad(base + 'optOuts: [{ id: x, heldBy: [police] }, { id: x, heldBy: [police] }]\n'), /listed twice/);
  t.match(
    bad(base.replace('      - { name: ward,', '      - { name: opt_out, type: boolean }\n      - { name: ward,')),
    /opt_out is reserved for opt-outs/,
  );
});

t.test('only a holder may send the flag, naming only opt-outs it holds', async (t) => {
  const doc = withOptOuts('optOuts: [{ id: local-objections, heldBy: [council-tax] }]\n');
  const fields = ['given_name'];
  t.equal(decideContribution(doc, 'council-tax', AT, fields, ['opt_out']).allow, true);
  const police = decideContribution(doc, 'police', AT, fields, ['opt_out']);
  t.equal(police.allow, false, 'a contributor holding no opt-out is refused, not ignored');
  t.match(police.reason, /lists no opt-out held by police/);
  t.same(checkAttributes(doc, 'council-tax', { opt_out: 'local-objections' }), {
    ok: true,
    value: { opt_out: 'local-objections' },
  });
  for (const v of ['nhs-national-data-opt-out', 'local-objections;local-objections', 'yes', ''])
    t.equal(checkAttributes(doc, 'council-tax', { opt_out: v }).ok, false, `refused: "${v}"`);
  t.equal(optedOut(doc, 'council-tax', { opt_out: 'local-objections' }), true);
  t.equal(optedOut(doc, 'police', { opt_out: 'local-objections' }), false, 'a non-holder flag never counts');
  const later = withOptOuts('');
  t.equal(optedOut(later, 'council-tax', { opt_out: 'local-objections' }), false, 'a dropped opt-out stops applying');
});

const rec = (agency: string, token: string, entityId: string, extra: Partial<RunRecord> = {}): RunRecord => ({
  agency,
  submissionId: agency,
  token: token.padEnd(22, 'x'),
  entityId,
  householdId: null,
  attributes: null,
  ...extra,
});

t.test('the excluded count: every linked record, suppressed from 1 to the purpose threshold', async (t) => {
  const doc = withOptOuts('optOuts: [{ id: local-objections, heldBy: [council-tax] }]\n');
  const records = [
    rec('council-tax', 'a', 'e1', { attributes: { opt_out: 'local-objections' } }),
    rec('police', 'b', 'e1'),
    rec('police', 'c', 'e2', { attributes: { opt_out: 'local-objections' } }),
  ];
  t.same([...optedOutEntities(records, doc)], ['e1'], "only the holder's flag, and the whole entity");
  // community-safety's aggregate suppresses at or below 7.
  t.same(optOutsNote(doc, 0), { applied: ['local-objections'], excluded: 0, suppressedAtOrBelow: 7 });
  t.equal(optOutsNote(doc, 1)!.excluded, null);
  t.equal(optOutsNote(doc, 7)!.excluded, null);
  t.equal(optOutsNote(doc, 8)!.excluded, 8);
  const strict = parsePolicy(
    base.replace('suppressBelowOrAt: 7', 'suppressBelowOrAt: 10') +
      'optOuts: [{ id: local-objections, heldBy: [council-tax] }]\n',
    'p.yaml',
  ).document;
  t.equal(optOutsNote(strict, 9)!.excluded, null, "the purpose's strictest threshold");
  const lax = parsePolicy(
    base.replace('suppressBelowOrAt: 7', 'suppressBelowOrAt: 3') +
      'optOuts: [{ id: local-objections, heldBy: [council-tax] }]\n',
    'p.yaml',
  ).document;
  t.equal(optOutsNote(lax, 4)!.excluded, 4, "the purpose's own threshold, not a floor of 7");
  t.equal(optOutsNote(withOptOuts(''), 3), undefined, 'no note where the policy lists no opt-out');
});

t.test('data-quality feedback: own duplicates, two-source disagreements, unlinked; only own tokens', async (t) => {
  const bits = (on: number[]) => {
    const f = new Uint8Array(16);
    for (const i of on) f[i >> 3]! |= 1 << (i & 7);
    return { filter: f, flip: 0 };
  };
  const dobA = bits([1, 2, 3, 4, 5, 6, 7, 8]);
  const dobB = bits([40, 41, 42, 43, 44, 45, 46, 47]);
  const records = [
    // e1: two of ours (a duplicate); two other sources hold another date → flagged.
    rec('ct', 'a1', 'e1', { fields: { dob: dobA } }),
    rec('ct', 'a2', 'e1', { fields: { dob: dobB } }),
    rec('gp', 'g1', 'e1', { fields: { dob: dobB } }),
    rec('dwp', 'd1', 'e1', { fields: { dob: dobB } }),
    // e2: one source disagrees — not enough.
    rec('ct', 'b1', 'e2', { fields: { dob: dobA } }),
    rec('gp', 'g2', 'e2', { fields: { dob: dobB } }),
    // e3: two disagree, but three agree — ours is not the odd one out.
    rec('ct', 'c1', 'e3', { fields: { dob: dobA } }),
    rec('gp', 'g3', 'e3', { fields: { dob: dobB } }),
    rec('dwp', 'd3', 'e3', { fields: { dob: dobB } }),
    rec('police', 'p3', 'e3', { fields: { dob: dobA } }),
    rec('hb', 'h3', 'e3', { fields: { dob: dobA } }),
    rec('school', 's3', 'e3', { fields: { dob: dobA } }),
    // e4: ours alone → unlinked.
    rec('ct', 'u1', 'e4'),
    rec('gp', 'g5', 'e5'),
  ];
  const fb = dataQuality(records, 'ct', { id: 'q', form: 'data-quality' });
  const tok = (s: string) => s.padEnd(22, 'x');
  t.same(fb.duplicates, [{ tokens: [tok('a1'), tok('a2')] }]);
  t.same(fb.disagreements, [{ token: tok('a1'), fields: ['dob'] }]);
  t.same(fb.unlinked, [{ token: tok('u1') }]);
  t.same(fb.summary, {
    records: 5,
    duplicatePairs: 1,
    dobDisagreements: 1,
    sexDisagreements: 0,
    unlinked: 1,
    dobCompared: true,
    sexCompared: false,
  });
  const text = JSON.stringify(fb);
  const ours = new Set(records.filter((r) => r.agency === 'ct').map((r) => r.token));
  t.ok(
    [...text.matchAll(/"([a-z0-9]+x+)"/g)].every((m) => ours.has(m[1]!)),
    "no other agency's token in the feedback",
  );
});
