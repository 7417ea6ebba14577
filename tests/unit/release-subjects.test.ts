// Whom a release was about (subject access's ledger): each form's rule, on a small hand-made run.
import t from 'tap';
import type { ReleaseRule } from '@blindlink/policies';
import { releaseSubjects, subjectPseudonymiser } from '@blindlink/broker/release-subjects';
import { pseudonymiser } from '@blindlink/broker/pseudonyms';

/** A run: household H1 holds people p1 (council tax, police), p2 (GP); H2 holds p3 (council tax); p4 (GP) alone. */
const rec = (agency: string, token: string, entityId: string, householdId: string | null) => ({
  agency,
  submissionId: `sub-${agency}`,
  token,
  entityId,
  householdId,
  attributes: null,
});
const RECORDS = [
  rec('ct', 'ct1', 'p1', 'H1'),
  rec('police', 'po1', 'p1', 'H1'),
  rec('gp', 'gp2', 'p2', 'H1'),
  rec('ct', 'ct3', 'p3', 'H2'),
  rec('gp', 'gp4', 'p4', null),
];
const about = (rule: ReleaseRule, requester: string, answer = {}) =>
  [...releaseSubjects(rule, RECORDS, requester, answer)].sort();

t.test('each form names exactly the people its answer was about', async (t) => {
  t.same(about({ id: 'm', form: 'membership', of: ['gp'] }, 'ct'), ['p1', 'p3'], "membership: the recipient's rows");
  t.same(about({ id: 'p', form: 'pseudonym' }, 'gp'), ['p2', 'p4'], "pseudonym: the recipient's rows");
  t.same(
    about({ id: 'a', form: 'aggregate', count: 'ct', groupBy: ['known_to:police'] }, 'analysts'),
    ['p1', 'p3'],
    'aggregate: every row of the counted dataset, whoever asked',
  );
  const family: ReleaseRule = { id: 'f', form: 'family-criteria', criteria: ['crime'], atLeast: 1 };
  t.same(
    about(family, 'ct', { tokens: ['ct1'] }),
    ['p1', 'p2'],
    'family-criteria: every member of a released household',
  );
  t.same(about(family, 'ct', { tokens: [] }), [], 'nothing released, nobody');
  const spd: ReleaseRule = { id: 'd', form: 'discrepancy', check: 'single-person-discount', evidence: ['gp'] };
  t.same(
    about(spd, 'ct', { flagged: ['ct1'] }),
    ['p1', 'p2'],
    'single-person-discount: the flagged and who corroborated',
  );
  const school: ReleaseRule = { id: 's', form: 'discrepancy', check: 'school-residency', evidence: ['gp'] };
  t.same(about(school, 'ct', { flagged: ['ct3'] }), ['p3'], 'school-residency: the flagged only');
  t.same(about({ id: 'x', form: 'subject-access' }, 'ct'), [], 'a subject access answer is recorded about nobody');
});

t.test('the ledger pseudonym is keyed per purpose and equals no released pseudonym', async (t) => {
  const key = Buffer.alloc(32, 9);
  const ledger = subjectPseudonymiser(key, 'testing');
  t.equal(ledger('p1'), subjectPseudonymiser(key, 'testing')('p1'), 'stable');
  t.not(ledger('p1'), subjectPseudonymiser(key, 'other')('p1'), 'per purpose');
  t.not(ledger('p1'), pseudonymiser(key, 'testing')('p1'), 'not the purpose pseudonym');
  t.not(ledger('p1'), pseudonymiser(key, 'testing', { recipient: 'ct' })('p1'), "not a recipient's");
  t.match(ledger('p1'), /^[A-Za-z0-9_-]{22}$/);
});
