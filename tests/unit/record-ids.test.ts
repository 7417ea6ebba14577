import t from 'tap';
import { withRecordIds } from '@blindlink/agency-client';

// `blindlink-agency release --tokens` puts the agency's record ids back into every form's answer.
const map = new Map([
  ['tA', 'CT1'],
  ['tB', 'CT2'],
]);

t.test('a pseudonym answer: each token beside its record id, unknown tokens kept with null', async (t) => {
  const answer = {
    policy: { id: 'p', version: 1, rule: 'r' },
    answers: [
      { token: 'tA', pseudonym: 'x' },
      { token: 'tZ', pseudonym: 'y' },
    ],
  };
  t.same(withRecordIds(answer, map), {
    policy: { id: 'p', version: 1, rule: 'r' },
    answers: [
      { token: { token: 'tA', record_id: 'CT1' }, pseudonym: 'x' },
      { token: { token: 'tZ', record_id: null }, pseudonym: 'y' },
    ],
  });
  t.same(answer.answers[0], { token: 'tA', pseudonym: 'x' }, 'the answer itself is left as it was');
});

t.test('family criteria: a family lists its tokens', async (t) => {
  t.same(withRecordIds({ families: [{ tokens: ['tA', 'tB'], criteria: ['health'] }] }, map), {
    families: [
      {
        tokens: [
          { token: 'tA', record_id: 'CT1' },
          { token: 'tB', record_id: 'CT2' },
        ],
        criteria: ['health'],
      },
    ],
  });
});

t.test('an answer with no tokens (aggregate) comes back equal', async (t) => {
  const agg = { cells: [{ key: ['Abbey', 'theft'], count: 10 }], margins: { grandTotal: 10 } };
  t.same(withRecordIds(agg, map), agg);
});
