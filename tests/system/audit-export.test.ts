import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import t from 'tap';
import { addPerson, createLogger, openDatabase, startBroker } from '@blindlink/broker';
import { BrokerKeyring, verifyCheckpoint } from '@blindlink/broker/trust';
import { mtlsAgent } from '@blindlink/agency-client/identity';
import { chain, type ChainedAuditEntry } from '../../broker/src/audit/chain.js';
import { verifyExportText, type ExportVerdict } from '../../broker/src/audit/export-verify.js';
import {
  call,
  IG_PASSWORD,
  loginAs,
  submitAs,
  testBroker,
  tokenFor,
  upload,
  type TestBroker,
} from '../helpers/in-process.js';
import type { Json } from '../helpers/json.js';
import { seedEmbedded } from '../helpers/embedded-template.js';
import { BROKER_BIN, run } from '../helpers/processes.js';

/**
 * The audit trail an IG lead can check without trusting the broker: signed checkpoints, the query
 * API (IG leads only), the JSON-lines export, and offline verification with only the public key.
 */

type Line = Record<string, Json>;
const parse = (text: string): Line[] =>
  text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
const unparse = (lines: Line[]) => lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
const failure = (v: ExportVerdict) => (v.ok ? null : v);

async function otherKey(): Promise<BrokerKeyring> {
  return BrokerKeyring.fromSeeds({
    signingSeed: randomBytes(32),
    sealingSeed: randomBytes(32),
    dataKey: randomBytes(32),
  });
}

t.test('the audit trail for IG leads: checkpoints, query, export, offline verification', async (t) => {
  const b = await testBroker(t, 'pglite');
  // This test counts the every-100-rows checkpoints; the once-a-minute one (tested in audit-receipts)
  // would add its own on a slow machine.
  await b.checkpoints.close();
  const key = b.keys.signingPublicKeyBase64;
  await addPerson(b.db, { username: 'adam', role: 'admin', password: IG_PASSWORD, createdBy: 'test' });
  await addPerson(b.db, {
    username: 'anna',
    role: 'analyst',
    password: IG_PASSWORD,
    createdBy: 'test',
    purposes: ['testing'],
  });
  const ig = await loginAs(b, 'iggy', IG_PASSWORD);
  const admin = await loginAs(b, 'adam', IG_PASSWORD);
  const analyst = await loginAs(b, 'anna', IG_PASSWORD);
  const agencyToken = await tokenFor(b, 'alpha');
  const get = (path: string, token = ig) => call(b, 'GET', path, { token });

  const none = await get('/v1/audit/checkpoints');
  t.equal(none.status, 200, 'the IG lead lists checkpoints', { body: none.text });
  t.same(none.json.checkpoints, [], 'no checkpoint before 100 rows');
  t.equal(none.json.signingPublicKey, key);

  // Traffic worth auditing: a policy refusal, an allowed upload, failed requests.
  const refused = await submitAs(b, 'gamma', upload(3), 'gamma-key-0001');
  t.equal(refused.status, 403, 'gamma is no contributor: refused by policy');
  const allowed = await submitAs(b, 'alpha', upload(3), 'alpha-key-0001');
  t.equal(allowed.status, 201, "alpha's upload is allowed", { body: allowed.text });
  t.equal((await call(b, 'POST', '/v1/login', { body: { username: 'iggy', password: 'wrong password' } })).status, 401);

  t.test('only IG leads read the trail: not admins, analysts or agencies', async (t) => {
    for (const path of ['/v1/audit', '/v1/audit/checkpoints', '/v1/audit/export']) {
      t.equal((await call(b, 'GET', path)).status, 401, `${path} without a token`);
      for (const [who, token] of [
        ['admin', admin],
        ['analyst', analyst],
      ] as const) {
        const r = await get(path, token);
        t.equal(r.status, 403, `${path} as ${who}`);
        t.equal(r.json?.error?.code, 'forbidden');
      }
      t.equal((await call(b, 'GET', path, { as: 'alpha', token: agencyToken })).status, 403, `${path} as an agency`);
      // (The IG lead's export is tried later: it signs a checkpoint, which would move the automatic ones.)
      if (!path.endsWith('/export')) t.equal((await get(path)).status, 200, `${path} as the IG lead`);
    }
    const denied = await get('/v1/audit?actor=admin:adam&decision=failed');
    t.ok(
      denied.json.entries.some((e: Line) => e.status === 403 && /forbidden/.test(e.reason)),
      "the admin's refused reads are themselves in the trail",
    );
  });

  t.test('query filters', async (t) => {
    const ref = await get('/v1/audit?decision=refused');
    t.equal(ref.status, 200, 'query by decision', { body: ref.text });
    t.ok(ref.json.entries.length >= 1);
    t.ok(
      ref.json.entries.every((e: Line) => e.decision === 'refused'),
      'decision filter',
    );
    t.match(
      ref.json.entries.find((e: Line) => e.actor === 'agency:gamma'),
      { status: 403, purpose: 'testing', policyId: 'test-policy', policyVersion: 1 },
      'the refusal names the policy',
    );

    const gamma = await get('/v1/audit?agency=gamma');
    t.ok(
      gamma.json.entries.length >= 2 && gamma.json.entries.every((e: Line) => e.actor === 'agency:gamma'),
      'agency filter',
    );
    const byActor = await get('/v1/audit?actor=agency:gamma');
    t.same(
      byActor.json.entries.map((e: Line) => e.seq),
      gamma.json.entries.map((e: Line) => e.seq),
      'actor agency:x is the same as agency=x',
    );

    const alpha = await get('/v1/audit?purpose=testing&decision=allowed&agency=alpha');
    t.ok(
      alpha.json.entries.length >= 1 &&
        alpha.json.entries.every(
          (e: Line) => e.purpose === 'testing' && e.decision === 'allowed' && e.actor === 'agency:alpha',
        ),
      'filters combine',
    );

    const logins = await get('/v1/audit?action=person.login&decision=failed');
    t.equal(logins.status, 200, 'query by action', { body: logins.text });
    t.ok(
      logins.json.entries.length >= 1 && logins.json.entries.every((e: Line) => e.status === 401),
      'action filter finds the failed login',
    );

    const all = await get('/v1/audit?limit=1000');
    t.ok(all.json.entries.length > 10);
    for (const e of all.json.entries as Line[]) {
      t.same(
        Object.keys(e).sort(),
        [
          'action',
          'actor',
          'at',
          'counts',
          'decision',
          'hash',
          'policyId',
          'policyRule',
          'policyVersion',
          'prevHash',
          'purpose',
          'reason',
          'releaseDigest',
          'seq',
          'status',
        ],
        'rows carry only the hashed audit fields',
      );
      break;
    }
    const seqs = (all.json.entries as Line[]).map((e) => e.seq);
    t.same(
      seqs,
      [...seqs].sort((x, y) => x - y),
      'oldest first',
    );

    // Paging: afterSeq = nextAfterSeq.
    const p1 = await get('/v1/audit?limit=3');
    t.equal(p1.json.entries.length, 3);
    t.equal(p1.json.nextAfterSeq, p1.json.entries[2].seq);
    const p2 = await get(`/v1/audit?limit=3&afterSeq=${p1.json.nextAfterSeq}`);
    t.same(
      p2.json.entries.map((e: Line) => e.seq),
      seqs.slice(3, 6),
      'the next page follows on',
    );
    const last = await get(`/v1/audit?afterSeq=${seqs[seqs.length - 1]! - 1}`);
    t.equal(last.json.nextAfterSeq, null, 'a short page is the last');

    // Time.
    const mid = all.json.entries[5].at;
    const before = await get(`/v1/audit?to=${encodeURIComponent(mid)}&limit=1000`);
    t.ok(before.json.entries.every((e: Line) => e.at < mid) && before.json.entries.length >= 1, 'to is exclusive');
    const after = await get(`/v1/audit?from=${encodeURIComponent(mid)}&limit=5`);
    t.ok(after.json.entries.every((e: Line) => e.at >= mid) && after.json.entries.length >= 1, 'from is inclusive');
    t.same((await get('/v1/audit?from=2999-01-01T00:00:00Z')).json.entries, [], 'nothing in the future');

    // Strict query strings.
    for (const [q, why] of [
      ['bogus=1', 'an unknown parameter'],
      ['limit=1001', 'a page over 1000'],
      ['limit=0', 'a page of 0'],
      ['limit=ten', 'a limit that is not a number'],
      ['afterSeq=-1', 'a negative cursor'],
      ['from=yesterday', 'a time that is not ISO 8601'],
      ['to=2026-13-45T00:00:00Z', 'an impossible date'],
      ['from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'from after to'],
      ['decision=maybe', 'an unknown decision'],
      ['purpose=Not_A_Slug', 'a purpose that is no slug'],
      ['agency=alpha&actor=agency:beta', 'agency and actor that disagree'],
    ] as const) {
      const r = await get(`/v1/audit?${q}`);
      t.equal(r.status, 400, `${why} is refused: ${r.text}`);
    }
    t.equal((await get('/v1/audit/checkpoints?limit=5000')).status, 400);
    t.equal((await get('/v1/audit/export?what=1')).status, 400);
    const reads = await get('/v1/audit?actor=ig-lead:iggy&action=audit.query&limit=1000');
    t.ok(reads.json.entries.length >= 10, "the IG lead's own queries are audited");
  });

  t.test('a checkpoint is signed automatically every 100 rows', async (t) => {
    for (let i = 0; i < 110; i++) await call(b, 'GET', '/v1/broker');
    const cps = (await get('/v1/audit/checkpoints')).json.checkpoints as Line[];
    t.ok(cps.length >= 1);
    t.equal(cps[0]!.seq, 100, 'the first on row 100');
    t.match(await verifyCheckpoint(cps[0] as never, key), { ok: true }, 'it verifies with the broker key');
    const row = (await get('/v1/audit?afterSeq=99&limit=1')).json.entries[0];
    t.equal(cps[0]!.hash, row.hash, "and signs row 100's hash");
    for (const [i, cp] of cps.entries())
      if (i > 0) t.ok(cp.seq - cps[i - 1]!.seq >= 100, 'automatic checkpoints are 100 rows apart');
  });

  let exported = '';
  t.test('export, and offline verification', async (t) => {
    const r = await get('/v1/audit/export');
    t.equal(r.status, 200, 'the IG lead exports', { body: r.text.slice(0, 300) });
    exported = r.text;
    const lines = parse(r.text);
    const header = lines[0]!;
    t.match(header, {
      format: 'blindlink/audit-export',
      version: 1,
      brokerKeyId: b.keys.keyId,
      signingPublicKey: key,
      fromSeq: 1,
    });
    const entries = lines.filter((l) => l.type === 'entry');
    t.equal(entries.length, header.toSeq, 'every row from 1');
    t.same(
      lines[lines.length - 1],
      { ...lines[lines.length - 1], type: 'checkpoint', seq: header.toSeq },
      'the export ends on a checkpoint of its last row',
    );
    t.ok(
      lines.some((l) => l.type === 'checkpoint' && l.seq === 100),
      'with the automatic checkpoint after row 100',
    );
    t.ok(
      entries.some((e) => e.decision === 'refused') &&
        entries.some((e) => e.decision === 'failed') &&
        entries.some((e) => e.decision === 'allowed'),
      'refused and failed requests are in the export too',
    );
    const stored = (await get('/v1/audit/checkpoints')).json.checkpoints as Line[];
    t.ok(
      stored.some((c) => c.seq === header.toSeq),
      "the export's checkpoint is stored",
    );
    const exportRow = (await get(`/v1/audit?action=audit.export&afterSeq=${header.toSeq}`)).json.entries[0];
    t.match(
      exportRow,
      { actor: 'ig-lead:iggy', counts: { rows: header.toSeq } },
      'the export is audited (after the rows it holds)',
    );

    const ok = await verifyExportText(r.text, key);
    t.match(ok, { ok: true, fromSeq: 1, toSeq: header.toSeq, rows: header.toSeq });
    t.match(
      failure(await verifyExportText(r.text, (await otherKey()).signingPublicKeyBase64)),
      { seq: null, line: 1, problem: /not the key you gave/ },
      'another key fails at the header',
    );

    // Someone with the file but not the broker's private key re-signs it with their own key.
    const forger = await otherKey();
    const resigned = unparse(
      lines.map((l, i) =>
        i === 0 ? { ...l, signingPublicKey: forger.signingPublicKeyBase64, brokerKeyId: forger.keyId } : l,
      ),
    );
    t.match(
      failure(await verifyExportText(resigned, key)),
      { line: 1, problem: /not the key you gave/ },
      "the file's own key is never trusted",
    );
  });

  t.test('tampering is caught and the first failing row named', async (t) => {
    const lines = parse(exported);
    const toSeq = lines[0]!.toSeq as number;
    const lineOf = (seq: number) => lines.findIndex((l) => l.type === 'entry' && l.seq === seq);
    const refusedSeq = lines.find((l) => l.type === 'entry' && l.decision === 'refused')!.seq as number;
    const check = async (what: string, edited: Line[], expect: Record<string, unknown>) => {
      const v = await verifyExportText(unparse(edited), key);
      t.equal(v.ok, false, `${what}: fails`);
      t.match(v, expect, `${what}: ${v.ok ? 'ok' : `row ${v.seq} line ${v.line}: ${v.problem}`}`);
    };

    const altered = lines.map((l) => (l.type === 'entry' && l.seq === refusedSeq ? { ...l, decision: 'allowed' } : l));
    await check('one row altered', altered, { seq: refusedSeq, line: lineOf(refusedSeq) + 1, problem: /altered/ });

    // Re-hash the altered row and every row after it: the chain holds, the next signature does not.
    let prev = '';
    const rehashed = lines.map((l) => {
      if (l.type !== 'entry' || l.seq < refusedSeq) return l;
      const { type: _t, prevHash, hash: _h, ...fields } = l;
      const e = chain(
        { ...(fields as ChainedAuditEntry), ...(l.seq === refusedSeq ? { decision: 'allowed' as const } : {}) },
        l.seq === refusedSeq ? prevHash : prev,
      );
      prev = e.hash;
      return { type: 'entry', ...e };
    });
    const firstCp = lines.find((l) => l.type === 'checkpoint' && l.seq >= refusedSeq)!.seq;
    await check('a row altered and the chain re-hashed', rehashed, {
      seq: firstCp,
      problem: /not the one the broker signed/,
    });

    await check(
      'a row deleted',
      lines.filter((_, i) => i !== lineOf(50)),
      { seq: 51, problem: /missing or reordered/ },
    );
    await check(
      'two rows swapped',
      lines.map((l, i) => (i === lineOf(20) ? lines[lineOf(21)]! : i === lineOf(21) ? lines[lineOf(20)]! : l)),
      { seq: 21, problem: /missing or reordered/ },
    );

    // The checkpoint before the export's own: an automatic one (row 100, or 200, … if traffic grew).
    const earlier = Math.max(
      ...lines.filter((l) => l.type === 'checkpoint' && l.seq < toSeq).map((l) => l.seq as number),
    );
    t.ok(earlier >= 100 && toSeq - earlier >= 4, `an earlier checkpoint on row ${earlier}`);
    const withoutLastCp = lines.slice(0, -1);
    await check('the final checkpoint cut off', withoutLastCp, {
      seq: earlier + 1,
      line: null,
      problem: /not covered by any signed checkpoint/,
    });
    await check('the tail cut after the last checkpoint', lines.slice(0, -4), {
      seq: earlier + 1,
      problem: /not covered by any signed checkpoint.*missing/,
    });
    const cutAtEarlier = lines.slice(0, lineOf(earlier + 1));
    await check('the tail cut at an earlier checkpoint', cutAtEarlier, {
      seq: earlier + 1,
      problem: new RegExp(`rows ${earlier + 1}–${toSeq} are missing`),
    });

    const tail = lines[lineOf(toSeq)]!;
    const { type: _t, prevHash: _p, hash: _h, ...fields } = tail;
    const forged = {
      type: 'entry',
      ...chain({ ...(fields as ChainedAuditEntry), seq: toSeq + 1, action: 'forged', reason: 'forged' }, tail.hash),
    };
    await check('a forged row appended', [...lines, forged], { seq: toSeq + 1, problem: /beyond the end/ });
    await check(
      'a forged row appended and the header bumped',
      [{ ...lines[0], toSeq: toSeq + 1 }, ...lines.slice(1), forged],
      { seq: toSeq + 1, line: null, problem: /not covered/ },
    );

    const sigFlip = lines.map((l) =>
      l.type === 'checkpoint' && l.seq === 100
        ? { ...l, signature: (l.signature[0] === 'A' ? 'B' : 'A') + l.signature.slice(1) }
        : l,
    );
    await check('a checkpoint signature altered', sigFlip, { seq: 100, problem: /does not verify/ });
    const atShift = lines.map((l) =>
      l.type === 'checkpoint' && l.seq === 100 ? { ...l, at: '2020-01-01T00:00:00.000Z' } : l,
    );
    await check('a checkpoint time altered', atShift, { seq: 100, problem: /does not verify/ });
    const moved = lines.filter((l) => !(l.type === 'checkpoint' && l.seq === 100));
    moved.splice(lineOf(102), 0, lines.find((l) => l.type === 'checkpoint' && l.seq === 100)!);
    await check('a checkpoint moved away from its row', moved, { seq: 100, problem: /not straight after/ });

    await check('an unknown line', [...lines.slice(0, 3), { type: 'note', seq: 3 }, ...lines.slice(3)], {
      line: 4,
      problem: /unknown line type/,
    });
    t.match(failure(await verifyExportText(exported.replace(/\n/, '\n{not json\n'), key)), {
      line: 2,
      problem: /not JSON/,
    });
    t.match(failure(await verifyExportText('', key)), { problem: /empty|not a blindlink/ });
  });

  t.test('a partial export starts at a checkpointed row', async (t) => {
    t.equal((await get('/v1/audit/export?from=50')).status, 400, 'not at an unsigned row');
    t.equal((await get('/v1/audit/export?from=0')).status, 400);
    const r = await get('/v1/audit/export?from=100');
    t.equal(r.status, 200, 'export from a checkpointed row', { body: r.text.slice(0, 300) });
    const lines = parse(r.text);
    t.match(lines[1], { type: 'entry', seq: 100 });
    t.match(lines[2], { type: 'checkpoint', seq: 100 });
    t.match(await verifyExportText(r.text, key), { ok: true, fromSeq: 100 });
    // The first row's prev_hash is the anchor: changing it changes the row's hash, which was signed.
    const { type: _t, prevHash: _p, hash: _h, ...fields } = lines[1]!;
    const reanchored = [
      lines[0]!,
      { type: 'entry', ...chain(fields as ChainedAuditEntry, 'f'.repeat(64)) },
      ...lines.slice(2),
    ];
    t.match(failure(await verifyExportText(unparse(reanchored), key)), {
      seq: 100,
      problem: /not the one the broker signed/,
    });
    t.match(
      failure(await verifyExportText(unparse([lines[0]!, lines[1]!, ...lines.slice(3)]), key)),
      { seq: 100, problem: /checkpoint of its first row/ },
      'its first row must be followed by its checkpoint',
    );
  });

  t.test('the real CLI verifies an API export offline', async (t) => {
    const dir = t.testdir({});
    const file = join(dir, 'export.jsonl');
    const keyFile = join(dir, 'broker.pub');
    writeFileSync(file, exported);
    writeFileSync(keyFile, key + '\n');
    const ok = await run(BROKER_BIN, ['audit', 'verify', '--file', file, '--broker-key', keyFile]);
    t.equal(ok.code, 0, ok.stderr);
    t.match(ok.stdout, /audit export verified: rows 1–\d+/);
    const lines = parse(exported);
    const target = lines.findIndex((l) => l.type === 'entry' && l.seq === 42);
    writeFileSync(
      join(dir, 'bad.jsonl'),
      unparse(lines.map((l, i) => (i === target ? { ...l, counts: { rows: 9 } } : l))),
    );
    const bad = await run(BROKER_BIN, ['audit', 'verify', '--file', join(dir, 'bad.jsonl'), '--broker-key', keyFile]);
    t.equal(bad.code, 1);
    t.match(bad.stderr, `FAILS at row 42 (line ${target + 1})`);
  });
});

t.test('CLI round trip: audit export → audit verify --file, through the real binaries', async (t) => {
  const dir = t.testdir({});
  const dataDir = join(dir, 'data');
  const env = { DATABASE_URL: undefined };
  await seedEmbedded(dataDir);
  const broker = await startBroker({ dataDir, logger: createLogger('silent') });
  const agent = mtlsAgent({ caPem: broker.caCertificate });
  const b = { url: broker.url, agent: () => agent } as unknown as TestBroker;
  try {
    t.equal((await call(b, 'GET', '/v1/broker')).status, 200);
    t.equal(
      (await call(b, 'POST', '/v1/login', { body: { username: 'nobody', password: 'x' } })).status,
      401,
      'a failed login',
    );
    t.equal((await call(b, 'GET', '/v1/audit')).status, 401, 'an unauthenticated read of the trail');
  } finally {
    agent.destroy();
    await broker.close();
  }

  const pub = await run(BROKER_BIN, ['audit', 'broker-key', '--data-dir', dataDir], { env });
  t.equal(pub.code, 0, pub.stderr);
  t.equal(pub.stdout.trim(), broker.keys.signingPublicKeyBase64, 'audit broker-key prints the signing key');
  const keyFile = join(dir, 'broker.pub');
  writeFileSync(keyFile, pub.stdout);
  const wrongKeyFile = join(dir, 'other.pub');
  writeFileSync(wrongKeyFile, (await otherKey()).signingPublicKeyBase64 + '\n');

  const out = join(dir, 'export.jsonl');
  const exp = await run(BROKER_BIN, ['audit', 'export', '--data-dir', dataDir, '--out', out], { env });
  t.equal(exp.code, 0, exp.stderr);
  t.match(exp.stdout, /exported audit rows 1–\d+/);
  const lines = parse(readFileSync(out, 'utf8'));
  t.ok(
    lines.some((l) => l.type === 'entry' && l.decision === 'failed' && l.status === 401),
    'the failed requests are exported',
  );
  t.notOk(
    lines.some((l) => l.type === 'entry' && l.action === 'audit.export'),
    'its own row follows it, appended once the file was whole (as the API appends before its reply leaves)',
  );
  t.equal(lines[lines.length - 1]!.type, 'checkpoint', 'and the export ends on a checkpoint');

  const ok = await run(BROKER_BIN, ['audit', 'verify', '--file', out, '--broker-key', keyFile], {
    env: { ...env, DATABASE_URL: 'postgres://nowhere.invalid:1/none' },
  });
  t.equal(ok.code, 0, `offline verify needs no database: ${ok.stderr}`);
  const wrong = await run(BROKER_BIN, ['audit', 'verify', '--file', out, '--broker-key', wrongKeyFile], { env });
  t.equal(wrong.code, 1);
  t.match(wrong.stderr, /FAILS at the header.*not the key you gave/);
  const deleted = join(dir, 'deleted.jsonl');
  writeFileSync(deleted, unparse(lines.filter((l) => !(l.type === 'entry' && l.seq === 2))));
  const del = await run(BROKER_BIN, ['audit', 'verify', '--file', deleted, '--broker-key', keyFile], { env });
  t.equal(del.code, 1);
  t.match(del.stderr, /FAILS at row 3 .*missing or reordered/);
  const noKey = await run(BROKER_BIN, ['audit', 'verify', '--file', out], { env });
  t.equal(noKey.code, 1, 'an export is never verified without a key given');
  t.match(noKey.stderr, /--broker-key/);
  const again = await run(BROKER_BIN, ['audit', 'export', '--data-dir', dataDir, '--out', out], { env });
  t.equal(again.code, 1, 'an existing export is not overwritten');
  t.match(again.stderr, /EEXIST|exists/);

  const cp = await run(BROKER_BIN, ['audit', 'checkpoint', '--data-dir', dataDir], { env });
  t.equal(cp.code, 0, cp.stderr);
  t.match(
    JSON.parse(cp.stdout),
    { seq: lines[0]!.toSeq + 1, brokerKeyId: broker.keys.keyId },
    "audit checkpoint signs the new head (the export's row)",
  );
  const verified = await run(BROKER_BIN, ['audit', 'verify', '--data-dir', dataDir], { env });
  t.equal(verified.code, 0, verified.stderr);
  t.match(verified.stdout, /audit chain intact: \d+ rows verified; 2 signed checkpoint\(s\) verified/);

  const noKeys = await run(
    BROKER_BIN,
    ['audit', 'export', '--data-dir', join(dir, 'elsewhere'), '--out', join(dir, 'x.jsonl')],
    { env },
  );
  t.equal(noKeys.code, 1, 'no export is signed with a key made up on the spot');
  t.match(noKeys.stderr, /no broker keys/);

  // A DBA who can bypass the trigger swaps a checkpoint's signature: verify --data-dir names its row.
  const h = await openDatabase({ dataDir });
  try {
    const own = await h.db
      .selectFrom('audit_log')
      .select(['seq', 'actor', 'action', 'decision', 'status', 'reason', 'counts'])
      .where('action', 'in', ['audit.export', 'audit.checkpoint'])
      .orderBy('seq')
      .execute();
    const head = lines[0]!.toSeq;
    t.match(
      own,
      [
        { seq: head + 1, actor: /^operator:/, action: 'audit.export', decision: 'allowed', status: 0 },
        { seq: head + 2, actor: /^operator:/, action: 'audit.checkpoint', decision: 'allowed', status: 0 },
      ],
      "the operator's export and checkpoint are in the trail, in the operator's name",
    );
    t.same(
      own.map((r) => [r.reason, r.counts]),
      [
        [`export of rows 1–${head}`, { rows: head }],
        [`checkpoint signed on demand on row ${head + 1}`, {}],
      ],
      'with what the services noted, as the API route records it',
    );
    await sql`alter table audit_checkpoint disable trigger audit_checkpoint_no_change`.execute(h.db);
    await sql`update audit_checkpoint set signature = ${Buffer.alloc(64).toString('base64')}
      where seq = ${lines[0]!.toSeq}`.execute(h.db);
  } finally {
    await h.close();
  }
  const broken = await run(BROKER_BIN, ['audit', 'verify', '--data-dir', dataDir], { env });
  t.equal(broken.code, 1);
  t.match(broken.stderr, `audit checkpoint BROKEN at row ${lines[0]!.toSeq}`);

  // The chain itself is still checked first, as before checkpoints existed.
  const h2 = await openDatabase({ dataDir });
  try {
    await sql`alter table audit_log disable trigger audit_log_no_change`.execute(h2.db);
    await sql`update audit_log set decision = 'allowed' where seq = 2`.execute(h2.db);
  } finally {
    await h2.close();
  }
  const rewritten = await run(BROKER_BIN, ['audit', 'verify', '--data-dir', dataDir], { env });
  t.equal(rewritten.code, 1);
  t.match(rewritten.stderr, /audit chain BROKEN at row 2: .*altered/);
});
