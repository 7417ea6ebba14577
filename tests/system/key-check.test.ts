import t, { type Test } from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeCsv, readEncodedFile } from '@blindlink/agency-client';
import { deriveKeys, keyCheckValue, UK_PERSON } from '@blindlink/agency-client/encode';
import { KeyCheck } from '@blindlink/protocol';
import { linkFiles } from '@blindlink/broker';
import { call, runToEnd, submitAs, testBroker, tokenFor } from '../helpers/in-process.js';
import { csv, population } from '../helpers/people.js';
import { AGENCY_BIN, run } from '../helpers/processes.js';

/**
 * One linkage secret per purpose (issue 14, point 6): every encoded file carries a key check value;
 * the broker refuses a file whose value differs from another contributor's current submission, and
 * a run refuses current submissions that disagree. Re-submitting an earlier file makes it current again.
 */

const SECRET = new TextEncoder().encode('the linkage secret the agencies of this purpose share');
const OTHER = new TextEncoder().encode('a different secret, picked up from another purpose');
const KEY_CHECK = new RegExp((KeyCheck as unknown as { pattern: string }).pattern);

t.test(
  'the key check value: stable for one secret and schema, different otherwise, unrelated to every derived key',
  async (t) => {
    const v2 = { id: UK_PERSON.id, version: UK_PERSON.version, fields: UK_PERSON.fields };
    const check = keyCheckValue(SECRET, v2);
    t.match(check, KEY_CHECK, 'matches the protocol pattern (16 bytes, base64url)');
    t.equal(Buffer.from(check, 'base64url').length, 16);
    t.equal(keyCheckValue(SECRET, v2), check, 'stable for one secret and schema');
    t.equal(
      keyCheckValue(new Uint8Array(SECRET), { id: v2.id, version: v2.version }),
      check,
      'depends on the schema id and version only, not on its fields',
    );
    t.not(keyCheckValue(OTHER, v2), check, 'another secret gives another value');
    t.not(
      keyCheckValue(SECRET, { ...v2, version: v2.version + 1 }),
      check,
      'another schema version another value (the salt, as every key)',
    );
    t.not(keyCheckValue(SECRET, { ...v2, id: 'uk-person-salted' }), check, 'another schema id another value');

    const keys = deriveKeys(SECRET, v2);
    const derived = [
      ...keys.token.values(),
      keys.block,
      keys.flip,
      keys.permutation('clk'),
      ...v2.fields.map((f) => keys.permutation(`field:${f.name}`)),
    ];
    const raw = Buffer.from(check, 'base64url');
    const overlapping = derived.filter(
      (k) => Buffer.from(k).includes(raw.subarray(0, 8)) || raw.includes(Buffer.from(k).subarray(0, 8)),
    );
    t.equal(overlapping.length, 0, `shares no 8-byte run with any of the ${derived.length} derived keys`);
    t.throws(() => keyCheckValue(new Uint8Array(8), v2), /shorter than 16 bytes/, 'a short secret is refused here too');
  },
);

/** The population: alpha (council tax) holds persons 0..39, beta (police) 25..59; 15 known to both. */
function writeExtracts(dir: string) {
  const people = population(60);
  const rows = (from: number, to: number, prefix: string) =>
    people.slice(from, to).map((p, i) => [`${prefix}${1000 + i}`, p.given, p.surname, p.dob]);
  const header = ['record_id', 'given_name', 'surname', 'dob'];
  writeFileSync(join(dir, 'alpha.csv'), csv(header, rows(0, 40, 'A')));
  writeFileSync(join(dir, 'beta.csv'), csv(header, rows(25, 60, 'B')));
  writeFileSync(join(dir, 'beta-late.csv'), csv(header, rows(50, 60, 'L')));
}

async function encode(dir: string, name: string, secret: Uint8Array, out = name): Promise<string> {
  const path = join(dir, `${out}.enc`);
  await encodeCsv({
    input: join(dir, `${name}.csv`),
    out: path,
    secret,
    schema: 'uk-person',
    map: {},
    idColumn: 'record_id',
    ignore: [],
    onInvalid: 'fail',
    threads: 1,
  });
  return path;
}

async function keyCheckScenario(t: Test, storage: 'postgres' | 'pglite') {
  const b = await testBroker(t, storage);
  // Not t.testdir(): the broker's own files are in this test's testdir, which that would reset.
  const dir = mkdtempSync(join(tmpdir(), 'blindlink-key-check-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeExtracts(dir);
  const files = {
    alpha: await encode(dir, 'alpha', SECRET),
    betaWrong: await encode(dir, 'beta', OTHER, 'beta-wrong'),
    beta: await encode(dir, 'beta', SECRET),
    betaLate: await encode(dir, 'beta-late', SECRET),
  };
  const header = (f: string) => readEncodedFile(f).body.header;
  t.equal(
    header(files.alpha).keyCheck,
    keyCheckValue(SECRET, UK_PERSON),
    'the encoder writes the key check into the header',
  );
  t.not(
    header(files.betaWrong).keyCheck,
    header(files.alpha).keyCheck,
    'a file encoded with another secret carries another',
  );

  t.throws(
    () => linkFiles([files.alpha, files.betaWrong], { duplicateFree: [], diceThreshold: 0.8 }),
    /the input files were encoded with different linkage secrets: beta-wrong differs from alpha/,
    'the offline linker refuses them too',
  );

  const submit = (agency: string, file: string, key: string) => submitAs(b, agency, readEncodedFile(file).body, key);
  const count = async (agency: string) =>
    (await b.db.selectFrom('submission').select('id').where('agency', '=', agency).execute()).length;
  const agencyCli = (agency: string, file: string) =>
    run(AGENCY_BIN, ['submit', '--key-dir', b.keyDirs[agency]!, '--purpose', 'testing', '--in', file], {
      env: { BLINDLINK_BROKER: b.url },
    });

  // Two agencies submit at once with different secrets: the first stored wins, the other is refused.
  const [first, second] = await Promise.all([
    submit('alpha', files.alpha, 'alpha-0000001'),
    submit('beta', files.betaWrong, 'beta-wrong-001'),
  ]);
  t.same(
    [first.status, second.status].sort(),
    [201, 409],
    `racing submissions with different secrets: one stored, one refused (${first.status}, ${second.status})`,
  );
  t.equal((await count('alpha')) + (await count('beta')), 1, 'only one of them is stored');
  if (second.status === 201) {
    // beta's wrong file won the race: beta replaces it with the right one, then alpha can submit.
    t.equal(first.json.error.code, 'linkage-secret-mismatch');
    t.equal((await submit('beta', files.beta, 'beta-right-000')).status, 201, 'beta replaces its file');
    t.equal((await submit('alpha', files.alpha, 'alpha-0000002')).status, 201, 'then alpha is accepted');
  } else {
    t.equal(second.json.error.code, 'linkage-secret-mismatch');
  }

  // The police case: beta (again) encodes with another secret.
  const before = await count('beta');
  const refused = await submit('beta', files.betaWrong, 'beta-wrong-002');
  t.equal(refused.status, 409, refused.text);
  t.equal(refused.json.error.code, 'linkage-secret-mismatch');
  t.match(
    refused.json.error.message,
    /different linkage secret than alpha's current submission/,
    'names the agency whose secret differs',
  );
  t.same(refused.json.error.details, { agencies: ['alpha'] });
  t.equal(await count('beta'), before, 'nothing stored');
  const cliRefused = await agencyCli('beta', files.betaWrong);
  t.equal(cliRefused.code, 1, 'the agency CLI exits non-zero');
  t.match(cliRefused.stderr, /409 linkage-secret-mismatch\): encoded with a different linkage secret than alpha's/);

  const startRun = async () => {
    const r = await runToEnd(b, 'testing', { as: 'alpha', token: await tokenFor(b, 'alpha') });
    t.equal(r.status, 202, r.text.slice(0, 300));
    return r.json as { runId: string; status: string; error?: string };
  };
  const knownToBeta = async () => {
    const r = await call(b, 'POST', '/v1/purposes/testing/releases/membership', {
      as: 'alpha',
      token: await tokenFor(b, 'alpha'),
      body: { of: 'beta' },
    });
    t.equal(r.status, 200, r.text.slice(0, 300));
    return (r.json.answers as { known: boolean }[]).filter((a) => a.known).length;
  };
  const linkedSubmissions = async (runId: string) =>
    (await b.db.selectFrom('run').select('submission_ids').where('id', '=', runId).executeTakeFirstOrThrow())
      .submission_ids;

  // With the right secret: stored, linked, 15 known.
  const right = second.status === 201 ? undefined : await submit('beta', files.beta, 'beta-right-000');
  if (right) {
    t.equal(right.status, 201, right.text);
    t.equal(right.json.reused, false);
  }
  const betaId = (
    await b.db
      .selectFrom('submission')
      .select('id')
      .where('agency', '=', 'beta')
      .where('idempotency_key', '=', 'beta-right-000')
      .executeTakeFirstOrThrow()
  ).id;
  const run1 = await startRun();
  t.equal(run1.status, 'completed', run1.error ?? '');
  t.equal(await knownToBeta(), 15, 'persons 25..39 are known to beta');

  // beta sends a later extract, then goes back to the earlier file.
  const late = await submit('beta', files.betaLate, 'beta-late-0001');
  t.equal(late.status, 201, late.text);
  const stored = await count('beta');
  t.equal((await startRun()).status, 'completed');
  t.equal(await knownToBeta(), 0, 'the later extract (persons 50..59) shares nobody with alpha');

  const again = await submit('beta', files.beta, 'beta-again-001');
  t.equal(again.status, 201, again.text);
  t.match(again.json, { submissionId: betaId, reused: true, recordCount: 35 }, 'the earlier submission, reused');
  t.match(again.json.message, /identical to submission .* current submission for testing again/);
  t.equal(await count('beta'), stored, 'nothing new stored');
  const run3 = await startRun();
  t.equal(run3.status, 'completed');
  t.ok((await linkedSubmissions(run3.runId)).includes(betaId), 'the run links the earlier submission');
  t.equal(await knownToBeta(), 15, 'and the answers are those of the earlier file again');
  const audit = await b.db
    .selectFrom('audit_log')
    .select('reason')
    .where('action', '=', 'submission.create')
    .where('decision', '=', 'allowed')
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();
  t.match(audit.reason, new RegExp(`submission ${betaId} made current again`), 'audited as such');

  const same = await submit('beta', files.beta, 'beta-again-002');
  t.match(same.json, { submissionId: betaId, reused: true }, 'identical to the current one: accepted, nothing changes');
  t.match(same.json.message, /already beta's current submission/);

  // A retry with the same idempotency key answers as before, and says whether it is still current.
  const retry = await submit('beta', files.beta, 'beta-right-000');
  t.equal(retry.status, 409);
  t.match(retry.json.error, { code: 'submission-already-stored', details: { submissionId: betaId, current: true } });
  const retryLate = await submit('beta', files.betaLate, 'beta-late-0001');
  t.match(retryLate.json.error, { code: 'submission-already-stored', details: { current: false } });
  t.match(retryLate.json.error.message, /no longer the current submission.*submit it with a new idempotency key/);

  // Through the agency CLI, which uploads in chunks under a key derived from the file (so running it
  // again resumes): the file is stored and current; after a later file, running it again says plainly
  // that the stored copy is no longer current and how to make it so; a new key stores it anew.
  const cli = await agencyCli('beta', files.beta);
  t.equal(cli.code, 0, cli.stderr);
  const cliId = (JSON.parse(cli.stdout) as { submissionId: string }).submissionId;
  t.equal((await submit('beta', files.betaLate, 'beta-late-0002')).json.reused, true, 'the later file is current');
  const cliAgain = await agencyCli('beta', files.beta);
  t.not(cliAgain.code, 0, 'the same upload again is a retry, not a new submission');
  t.match(
    cliAgain.stderr,
    /no longer the current submission.*new idempotency key/,
    'and says how to make it current again',
  );
  const cliNew = await run(
    AGENCY_BIN,
    [
      'submit',
      '--key-dir',
      b.keyDirs.beta!,
      '--purpose',
      'testing',
      '--in',
      files.beta,
      '--idempotency-key',
      'beta-cli-fresh-1',
    ],
    { env: { BLINDLINK_BROKER: b.url } },
  );
  t.equal(cliNew.code, 0, cliNew.stderr);
  const currentBeta = (
    await b.db
      .selectFrom('submission')
      .select('id')
      .where('agency', '=', 'beta')
      .orderBy('current_at', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow()
  ).id;
  t.equal(
    currentBeta,
    (JSON.parse(cliNew.stdout) as { submissionId: string }).submissionId,
    'with a new key the file is current again',
  );
  t.not(currentBeta, cliId);
  const storedAfterCli = await count('beta');

  // A file written before key checks: refused with the field named and what to do.
  const legacy = readEncodedFile(files.beta).body;
  delete legacy.header.keyCheck;
  const old = await submitAs(b, 'beta', legacy, 'beta-legacy-01');
  t.equal(old.status, 400, old.text);
  t.equal(old.json.error.code, 'key-check-missing');
  t.match(old.json.error.message, /header\.keyCheck is missing.*encode it again/);
  t.equal(await count('beta'), storedAfterCli, 'nothing stored');

  // Defence in depth: current submissions that disagree (stored before a policy change brought a
  // contributor in, say) are not linked.
  const altered = 'YWx0ZXJlZCBrZXkgY2hlY2s';
  await b.db.updateTable('submission').set({ key_check: altered }).where('id', '=', currentBeta).execute();
  const refusedRun = await startRun();
  t.equal(refusedRun.status, 'failed', 'the run refuses to link them');
  t.match(
    refusedRun.error,
    /different linkage secrets: beta differs from alpha; every agency must encode with the same secret/,
  );

  const logs = b.logs.join('');
  const values = [header(files.alpha).keyCheck!, header(files.betaWrong).keyCheck!, altered];
  t.same(
    values.filter((v) => logs.includes(v)),
    [],
    'no key check value in the logs',
  );
}

t.test('key checks and re-submission on PostgreSQL', (t) => keyCheckScenario(t, 'postgres'));
t.test('key checks and re-submission on PGlite', (t) => keyCheckScenario(t, 'pglite'));
