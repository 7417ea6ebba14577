// The synthetic generator's second error model: what it changes, and that the own model is untouched by it.
import t from 'tap';
import { errorModel, generateDataset, type SynthRecord } from '@blindlink/synth';

function records(model: 'own' | 'independent'): SynthRecord[] {
  const out: SynthRecord[] = [];
  for (const ev of generateDataset(2000, 'error-model', { errorModel: model }))
    if (ev.kind === 'record') out.push(ev.record);
  return out;
}

t.test('the independent model: doubled rates, swapped names, nicknames without dates, other names', async (t) => {
  const own = errorModel('own');
  const ind = errorModel('independent');
  for (const [k, v] of Object.entries(own.errorRates))
    t.equal(ind.errorRates[k as keyof typeof own.errorRates], Math.min(1, 2 * v), `${k} doubled`);
  t.same(ind.nicknamesOf('Gary'), ['Gaz'], 'its own nickname table');
  t.same(own.nicknamesOf('Gary'), [], 'which the own model does not have');
  t.throws(() => errorModel('other' as never), /unknown error model "other"/);

  const a = records('independent');
  const b = records('own');
  const tagged = (rs: SynthRecord[], tag: string) => rs.filter((r) => r.variations.includes(tag)).length;
  t.ok(tagged(a, 'name_swap') > 0, 'given name and surname swapped in some records');
  t.equal(tagged(b, 'name_swap'), 0, 'never in the own model');
  const nickNoDob = (rs: SynthRecord[]) =>
    rs.filter((r) => r.variations.includes('nickname') && r.variations.includes('missing_dob')).length;
  t.ok(nickNoDob(a) > nickNoDob(b), 'a nickname comes without a date of birth more often');
  t.ok(tagged(a, 'typo_given') > tagged(b, 'typo_given'), 'more typing errors');
  t.same(
    records('independent').map((r) => r.values),
    a.map((r) => r.values),
    'deterministic: the same seed gives the same records',
  );
});
