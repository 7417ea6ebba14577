/**
 * The residual pass (broker/src/linkage/residual.ts) on synthetic agencies, against the generator's
 * truth: the links it adds are pairs pairwise scoring missed, mostly right, and of the two kinds it
 * exists for — at one address, a council-tax row the household test read as a co-resident (a middle
 * name or nickname, no date of birth); and a household one system still holds at its old address.
 */
import { join } from 'node:path';
import t from 'tap';
import { readTokenMap } from '@blindlink/agency-client';
import { synthCommand } from '@blindlink/synth';
import { link, readSource } from '@blindlink/broker';
import { encodeIdentifiers, readCsv } from '../helpers/purposes.js';

const SECRET = Buffer.from('residual pass test secret, agencies only');
const AGENCIES = ['council_tax', 'nhs_gp', 'electoral_roll'];

t.test('residual pass: what pairwise linkage missed, at one address and for households that moved', async (t) => {
  const dir = t.testdir({});
  const data = join(dir, 'synth');
  await synthCommand({ persons: 6000, seed: 'residual', out: data, agencies: AGENCIES }, { info: () => {} });
  const truth = readCsv(join(data, 'truth', 'records.csv'));
  const byRecord = new Map(
    truth.rows.map((r) => [`${r.agency}:${r.record_id}`, { person: r.person_id!, variations: r.variations! }]),
  );

  const sources = [];
  const rowOf = new Map<string, string>();
  for (const a of AGENCIES) {
    const csv = join(data, `${a}.csv`);
    const out = join(dir, `${a}.enc`);
    await encodeIdentifiers(csv, out, SECRET);
    for (const [token, id] of readTokenMap(`${out}.tokens.csv`)) rowOf.set(token, `${a}:${id}`);
    sources.push(readSource(out, false));
  }
  const result = link(sources, { diceThreshold: 0.8, runId: 'residual' });
  t.equal(result.scoring.mode, 'fellegi-sunter');
  const line = result.scoring.reasoning.find((l) => l.startsWith('Residual pass'));
  t.ok(line, 'the run explains its residual pass');
  t.comment(line);

  const tokens = sources.flatMap((s) => s.tokens);
  const truthOf = (g: number) => byRecord.get(rowOf.get(tokens[g]!)!)!;
  const { a, b } = result.residualLinks;
  let right = 0;
  let atAddressRight = 0;
  let movedRight = 0;
  for (let k = 0; k < a.length; k++) {
    const x = truthOf(a[k]!);
    const y = truthOf(b[k]!);
    if (x.person !== y.person) continue;
    right++;
    const variations = `${x.variations};${y.variations}`;
    if (/middle_as_given|nickname|typo_given/.test(variations) && /missing_dob/.test(variations)) atAddressRight++;
    if (/stale_address/.test(variations)) movedRight++;
  }
  t.ok(a.length >= 40, `the pass adds links: ${a.length}`);
  t.ok(right / a.length >= 0.9, `nearly all are one person: ${right} of ${a.length}`);
  t.ok(atAddressRight >= 10, `of them, given names written differently with no date of birth: ${atAddressRight}`);
  t.ok(movedRight >= 20, `and people one system holds at an old address: ${movedRight}`);

  // Each residual link joins two records of different sources that the pairwise weights left apart.
  const sourceOf = result.sourceOf;
  let crossSource = 0;
  for (let k = 0; k < a.length; k++) if (sourceOf[a[k]!] !== sourceOf[b[k]!]) crossSource++;
  t.equal(crossSource, a.length, 'residual links are between sources');
  let joined = 0;
  for (let k = 0; k < a.length; k++) if (result.entityIds[a[k]!] === result.entityIds[b[k]!]) joined++;
  t.ok(joined >= 0.9 * a.length, `and (constraints permitting) end in one entity: ${joined} of ${a.length}`);
});
