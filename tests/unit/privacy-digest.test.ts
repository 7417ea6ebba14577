// The per-submission privacy report is made faster without changing any figure: on a fixed input (a
// synthetic GP extract of 800 persons, seed 'privacy-digest', encoded here with a fixed secret) every
// attack with the shipped background and no truth, as the job runs it, must give the digest recorded
// with the code before the speed-ups (commit e8f7db5). A change to what a report says must change these
// on purpose (and docs/privacy-report.md); a change to speed alone must not. It goes through the report
// thread twice, so a kept thread (its background and derived tables reused) gives the same report too.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeCsv } from '@blindlink/agency-client';
import { UK_PERSON_UNHARDENED, type EncodingSchema } from '@blindlink/agency-client/encode';
import { synthCommand } from '@blindlink/synth';
import { threadReport } from '@blindlink/broker/privacy-thread';
import type { EncodedHeader, EncodedRecord } from '@blindlink/protocol';

const SECRET = new TextEncoder().encode('privacy digest test secret, never the broker');
const IDENTIFIERS = ['record_id', 'given_name', 'surname', 'dob', 'sex', 'address', 'postcode', 'nhs_number'];

/** Recorded with the code before the speed-ups; see above. */
const EXPECTED: Record<string, string> = {
  'uk-person': 'sha256:e66a82afdb12d26cb0a2cedc124388f53c9b257c776ef01adc442a299674d9a3',
  'uk-person-unhardened': 'sha256:a4648ebefa5afd7feccbcc36f1a0f283599c7b772c9179eef8d03c50d8837cca',
  'uk-person-district': 'sha256:4d38a1683a5d7c5b3beb735906b29ddae45ae1a37721f0978dbecca3b7c1fd4c',
};
const DISTRICT: EncodingSchema = {
  ...UK_PERSON_UNHARDENED,
  id: 'uk-person-district',
  hardening: [{ step: 'salt', from: { field: 'postcode', transform: 'district' }, fields: ['given_name', 'surname'] }],
};

const dir = mkdtempSync(join(tmpdir(), 'blindlink-privacy-digest-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('the privacy report of a fixed input keeps its recorded digest', async (t) => {
  await synthCommand(
    { persons: 800, seed: 'privacy-digest', out: join(dir, 'synth'), agencies: ['nhs_gp'] },
    { info: () => {} },
  );
  const csv = join(dir, 'synth/nhs_gp.csv');
  const header = (readFileSync(csv, 'utf8').split('\n')[0] ?? '').split(',');
  writeFileSync(join(dir, 'district.schema.json'), JSON.stringify(DISTRICT));
  for (const [name, schema] of [
    ['uk-person', 'uk-person'],
    ['uk-person-unhardened', 'uk-person-unhardened'],
    ['uk-person-district', join(dir, 'district.schema.json')],
  ] as const) {
    const out = join(dir, `${name}.enc`);
    await encodeCsv({
      input: csv,
      out,
      secret: SECRET,
      schema,
      map: {},
      idColumn: 'record_id',
      ignore: header.filter((h) => !IDENTIFIERS.includes(h)),
      onInvalid: 'missing',
    });
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    const source = {
      name: 'nhs_gp',
      header: JSON.parse(lines[0]!) as EncodedHeader,
      records: lines.slice(1).map((l) => JSON.parse(l) as EncodedRecord),
    };
    t.ok(source.records.length > 700, `${name}: ${source.records.length} records`);
    const first = await threadReport({ source, notes: [] });
    t.equal(first.digest, EXPECTED[name], `${name}: the digest recorded before the speed-ups`);
    if (name === 'uk-person') {
      const again = await threadReport({ source, notes: [] });
      t.equal(again.digest, first.digest, `${name}: a kept report thread gives the same report`);
    }
  }
});
