import { randomBytes } from 'node:crypto';
import { appendFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest, type Agent } from 'node:https';
import { join } from 'node:path';
import { sql } from 'kysely';
import t, { type Test } from 'tap';
import {
  addPerson,
  approvePolicy,
  createLogger,
  openDatabase,
  registerAgency,
  startBroker,
  storePolicy,
} from '@blindlink/broker';
import { BrokerKeyring } from '@blindlink/broker/trust';
import { parsePolicy } from '@blindlink/policies';
import {
  AUDIT_HEAD_HEADER,
  decodeAuditReceipt,
  encodeAuditReceipt,
  verifyAuditReceipt,
  type AuditReceipt,
} from '@blindlink/protocol';
import {
  BadReceiptError,
  BrokerClient,
  BrokerError,
  enrol,
  ReceiptStore,
  receiptsFileFor,
} from '@blindlink/agency-client';
import { mtlsAgent } from '@blindlink/agency-client/identity';
import { chain, type ChainedAuditEntry } from '../../broker/src/audit/chain.js';
import { checkpointIfGrown } from '../../broker/src/audit/checkpoints.js';
import { exportChunks, planExport } from '../../broker/src/audit/export.js';
import { describeVerdict, verifyExportFile, verifyExportText } from '../../broker/src/audit/export-verify.js';
import { verifyAuditChain } from '../../broker/src/audit/log.js';
import { verifyStoredCheckpoints } from '../../broker/src/audit/checkpoints.js';
import {
  describeReceipts,
  loadReceipts,
  matchReceiptsInDatabase,
  ReceiptMatcher,
} from '../../broker/src/audit/receipt-check.js';
import { signCheckpoint } from '../../broker/src/trust/checkpoint.js';
import { signAuditReceipt } from '../../broker/src/audit/receipts.js';
import { IG_PASSWORD, POLICY_YAML, upload } from '../helpers/in-process.js';
import type { Json } from '../helpers/json.js';
import { seedEmbedded } from '../helpers/embedded-template.js';
import { freshPostgres } from '../helpers/postgres.js';
import { BROKER_BIN, run } from '../helpers/processes.js';

/**
 * Audit receipts (issue 14, point 7): every audited answer carries the broker's signature over the
 * chain head that includes its own row; the agency client keeps them; `audit verify --receipts` fails
 * an export cut back to an earlier checkpoint, and a database whose newest rows and checkpoints a
 * superuser deleted — both of which verify on their own. Plus the periodic checkpoint.
 */

type Line = Record<string, Json>;
const parse = (text: string): Line[] =>
  text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
const unparse = (lines: Line[]) => lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
const readReceipts = (file: string): AuditReceipt[] => parse(readFileSync(file, 'utf8')) as AuditReceipt[];

function get(
  url: string,
  agent: Agent,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function setup(t: Test, storage: 'postgres' | 'pglite') {
  let databaseUrl: string | undefined;
  let drop = async () => {};
  if (storage === 'postgres') {
    const pg = await freshPostgres();
    databaseUrl = pg.url;
    drop = pg.drop;
  }
  const root = t.testdir({});
  const dataDir = join(root, 'data');
  if (storage === 'pglite') await seedEmbedded(dataDir);
  const broker = await startBroker({ dataDir, databaseUrl, logger: createLogger('silent') });
  let open = true;
  const close = async () => {
    if (open) await broker.close();
    open = false;
  };
  t.teardown(async () => {
    await close();
    await drop();
  });
  const keyDirs: Record<string, string> = {};
  for (const a of ['alpha', 'beta']) {
    const { enrolmentCode } = await registerAgency(broker.db, a, a);
    keyDirs[a] = join(root, `${a}-keys`);
    await enrol({
      baseUrl: broker.url,
      keyDir: keyDirs[a],
      agency: a,
      code: enrolmentCode,
      caPem: broker.caCertificate,
    });
  }
  await storePolicy(broker.db, parsePolicy(POLICY_YAML), 'admin:root');
  await addPerson(broker.db, { username: 'iggy', role: 'ig-lead', password: IG_PASSWORD, createdBy: 'test' });
  await approvePolicy(broker.db, 'test-policy', 1, 'iggy');
  const env = { DATABASE_URL: databaseUrl };
  return { broker, root, dataDir, env, keyDirs, close, databaseUrl };
}

for (const storage of ['pglite', 'postgres'] as const) {
  t.test(`audit receipts (${storage})`, async (t) => {
    const s = await setup(t, storage);
    const { broker } = s;
    const key = broker.keys.signingPublicKeyBase64;
    const rowHash = async (seq: number) =>
      (await broker.db
        .selectFrom('audit_log')
        .select(['hash', 'action', 'actor'])
        .where('seq', '=', seq)
        .executeTakeFirst()) ?? null;
    const receiptsFile = receiptsFileFor(s.keyDirs.alpha!, broker.url);

    // Enrolment: the agency pins the broker's key and keeps the receipt of the enrolment itself.
    const atEnrol = readReceipts(receiptsFile);
    t.equal(atEnrol.length, 1, "the enrolment answer's receipt is kept");
    t.match(verifyAuditReceipt(atEnrol[0]!, key), { ok: true }, 'and verifies with the broker key');
    t.match(
      await rowHash(atEnrol[0]!.seq),
      { hash: atEnrol[0]!.hash, action: 'agency.enrol' },
      "it names the enrolment's own row and that row's hash",
    );

    // The periodic checkpoint: only when rows were appended since the last one.
    const first = await broker.checkpoints.tick();
    t.ok(first, 'the timer signs the grown head');
    const head = await broker.db
      .selectFrom('audit_log')
      .select(['seq', 'hash'])
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    t.match(first, { seq: head.seq, hash: head.hash }, 'on the head row');
    t.equal(await broker.checkpoints.tick(), null, 'nothing appended since: no checkpoint written');
    const cutAt = first!.seq;

    // The agency's calls: each answer's receipt is verified and appended, allowed or refused.
    const client = new BrokerClient(broker.url, s.keyDirs.alpha!);
    t.teardown(() => client.close());
    const sub = await client.submit('testing', upload(3) as never, 'receipts-key-0001');
    t.ok(sub, 'alpha submits');
    const afterSubmit = client.receipts.latest!;
    t.match(
      await rowHash(afterSubmit.seq),
      { hash: afterSubmit.hash, actor: 'agency:alpha', action: 'submission.create' },
      "the submission's receipt names its own row",
    );
    await t.rejects(client.startRun('not-a-purpose'), BrokerError, 'a refused call…');
    const refusedReceipt = client.receipts.latest!;
    t.ok(refusedReceipt.seq > afterSubmit.seq, '…is receipted too');
    t.match(await rowHash(refusedReceipt.seq), { hash: refusedReceipt.hash, actor: 'agency:alpha' });
    const kept = readReceipts(receiptsFile);
    t.equal(kept.length, 1 + 3, 'enrolment, token, submission and the refused run: one receipt each');
    for (const r of kept) t.match(verifyAuditReceipt(r, key), { ok: true });
    t.equal(client.missingReceipts, 0);

    await t.test('concurrent answers each carry their own row, seq and hash of the same row', async (t) => {
      const agent = mtlsAgent({ caPem: broker.caCertificate });
      try {
        const answers = await Promise.all(Array.from({ length: 12 }, () => get(`${broker.url}/v1/broker`, agent)));
        const receipts = answers.map((a) => {
          const d = decodeAuditReceipt(String(a.headers[AUDIT_HEAD_HEADER]));
          if (!d.ok) throw new Error(d.reason);
          return d.receipt;
        });
        t.equal(new Set(receipts.map((r) => r.seq)).size, 12, 'twelve distinct rows');
        for (const r of receipts) {
          t.match(verifyAuditReceipt(r, key), { ok: true });
          t.match(
            await rowHash(r.seq),
            { hash: r.hash, action: 'broker.info', actor: 'anonymous' },
            `row ${r.seq} is that request's, with that hash`,
          );
        }
        const health = await get(`${broker.url}/healthz`, agent);
        t.equal(health.headers[AUDIT_HEAD_HEADER], undefined, 'unaudited routes carry none');
      } finally {
        agent.destroy();
      }
    });

    await t.test('a forged or foreign receipt is refused by the client, and nothing is stored', async (t) => {
      const dir = t.testdir({});
      const store = new ReceiptStore(dir, broker.url, key);
      const good = refusedReceipt;
      const forged: AuditReceipt = { ...good, hash: 'f'.repeat(64) };
      t.throws(() => store.accept({ [AUDIT_HEAD_HEADER]: encodeAuditReceipt(forged) }, 200), BadReceiptError);
      t.throws(() => store.accept({ [AUDIT_HEAD_HEADER]: encodeAuditReceipt(forged) }, 200), /does NOT verify/);
      const other = await BrokerKeyring.fromSeeds({
        signingSeed: randomBytes(32),
        sealingSeed: randomBytes(32),
        dataKey: randomBytes(32),
      });
      const foreign = new ReceiptStore(dir, broker.url, other.signingPublicKeyBase64);
      t.throws(
        () => foreign.accept({ [AUDIT_HEAD_HEADER]: encodeAuditReceipt(good) }, 200),
        /names broker key/,
        'a receipt from another key',
      );
      t.throws(() => store.accept({ [AUDIT_HEAD_HEADER]: 'not a receipt!' }, 200), /malformed/);
      t.equal(store.accept({}, 200), null, 'no header: nothing to keep');
      t.equal(store.missing, 1, 'but counted');
      t.throws(() => readFileSync(store.file), /ENOENT/, 'nothing was written');
      t.ok(store.accept({ [AUDIT_HEAD_HEADER]: encodeAuditReceipt(good) }, 200), 'the genuine one is kept');
    });

    await t.test('periodic checkpoints on one database from two brokers: one is written', async (t) => {
      const second = storage === 'postgres' ? await openDatabase({ url: s.databaseUrl, dataDir: s.dataDir }) : null;
      try {
        const client2 = new BrokerClient(broker.url, s.keyDirs.beta!);
        await client2.authenticate();
        client2.close();
        const both = await Promise.all([
          checkpointIfGrown(broker.db, broker.keys),
          checkpointIfGrown(second?.db ?? broker.db, broker.keys),
        ]);
        t.equal(both.filter((r) => r?.written).length, 1, 'exactly one writes');
        t.equal(both[0]!.checkpoint.seq, both[1]!.checkpoint.seq, 'both name the same head');
      } finally {
        await second?.close();
      }
    });

    // An export of the whole trail, and the receipts an IG lead collected from alpha.
    const header = await planExport(broker.db, broker.keys);
    let text = '';
    for await (const c of exportChunks(broker.db, header)) text += c;
    const dir = join(s.root, 'ig-lead');
    mkdirSync(dir);
    const pub = join(dir, 'broker.pub');
    writeFileSync(pub, key + '\n');
    const receiptsDir = join(dir, 'receipts');
    cpSync(join(s.keyDirs.alpha!, 'receipts'), join(receiptsDir, 'alpha'), { recursive: true });
    const full = join(dir, 'full.jsonl');
    writeFileSync(full, text);
    const lines = parse(text);
    const firstAfterCut = kept.find((r) => r.seq > cutAt)!;

    // The command itself once (the postgres pass); the same functions in-process otherwise (spawns are slow).
    const verifyFile = async (file: string) => {
      if (storage === 'postgres')
        return run(BROKER_BIN, ['audit', 'verify', '--file', file, '--broker-key', pub, '--receipts', receiptsDir], {
          env: s.env,
        });
      const matcher = new ReceiptMatcher(loadReceipts(receiptsDir, broker.keys.signingPublicKey), 'the export');
      const v = await verifyExportFile(file, key, { onEntry: (e) => matcher.observe(e.seq, e.hash) });
      if (!v.ok) return { code: 1, stdout: '', stderr: describeVerdict(v) };
      const r = matcher.verdict(v);
      return {
        code: r.failures.length ? 1 : 0,
        stdout: r.failures.length ? '' : describeReceipts(r, 'the export'),
        stderr: r.failures.length ? describeReceipts(r, 'the export') : '',
      };
    };

    await t.test(
      'audit verify --file --receipts: passes on the full export, fails one cut back to an earlier checkpoint',
      async (t) => {
        const ok = await verifyFile(full);
        t.equal(ok.code, 0, ok.stderr);
        t.match(ok.stdout, new RegExp(`audit receipts verified: ${kept.length} receipt\\(s\\) found in the export`));

        // Cut back to the periodic checkpoint on row cutAt, the header edited to match.
        const end = lines.findIndex((l) => l.type === 'checkpoint' && l.seq === cutAt);
        t.ok(end > 0, 'the export carries the periodic checkpoint');
        const cut = join(dir, 'cut.jsonl');
        writeFileSync(cut, unparse([{ ...lines[0], toSeq: cutAt }, ...lines.slice(1, end + 1)]));
        t.match(
          await verifyExportFile(cut, key),
          { ok: true },
          "without receipts the cut export verifies (the tester's finding)",
        );
        const caught = await verifyFile(cut);
        t.equal(caught.code, 1, 'with receipts it fails');
        t.match(
          caught.stderr,
          `truncated: receipt seq ${firstAfterCut.seq} (issued ${firstAfterCut.at}) is not in the export`,
        );

        const forgedDir = join(dir, 'forged');
        cpSync(receiptsDir, forgedDir, { recursive: true });
        appendFileSync(
          join(forgedDir, 'extra.jsonl'),
          JSON.stringify({ ...firstAfterCut, seq: firstAfterCut.seq + 1000 }) + '\n',
        );
        t.throws(
          () => loadReceipts(forgedDir, broker.keys.signingPublicKey),
          /extra\.jsonl:1 \(row \d+\) is REJECTED: .*signature does not verify/,
          'a receipt with a bad signature is rejected',
        );

        // Two genuine receipts giving one row two hashes: the key signed two histories.
        const twoDir = join(dir, 'two-histories');
        cpSync(receiptsDir, twoDir, { recursive: true });
        writeFileSync(
          join(twoDir, 'other.jsonl'),
          JSON.stringify(signAuditReceipt(broker.keys, { seq: firstAfterCut.seq, hash: 'e'.repeat(64) })) + '\n',
        );
        t.throws(
          () => loadReceipts(twoDir, broker.keys.signingPublicKey),
          new RegExp(`rewritten: .* give row ${firstAfterCut.seq} different hashes`),
        );

        // Receipts issued after the export was made are left out when asked, and only then.
        const held = loadReceipts(receiptsDir, broker.keys.signingPublicKey);
        const later = new ReceiptMatcher(held, 'the export', new Date(Date.parse(firstAfterCut.at)));
        for (const l of parse(readFileSync(cut, 'utf8'))) if (l.type === 'entry') later.observe(l.seq, l.hash);
        t.match(
          later.verdict({ fromSeq: 1, toSeq: cutAt }),
          { failures: [], skipped: held.filter((r) => r.receipt.at >= firstAfterCut.at).length },
          '--issued-before leaves out receipts newer than the export',
        );
      },
    );

    await t.test('even the key holder cannot rewrite a receipted row unseen', async (t) => {
      // Someone with the broker's private key alters the submission's row, re-hashes and re-signs the tail.
      const target = afterSubmit.seq;
      let prev = '';
      const rewritten: Line[] = [];
      for (const l of lines) {
        if (l.type === 'checkpoint' && l.seq >= target) continue;
        if (l.type !== 'entry' || l.seq < target) {
          rewritten.push(l);
          continue;
        }
        const { type: _t, prevHash, hash: _h, ...fields } = l;
        const e = chain(
          { ...(fields as ChainedAuditEntry), ...(l.seq === target ? { reason: 'nothing to see' } : {}) },
          l.seq === target ? prevHash : prev,
        );
        prev = e.hash;
        rewritten.push({ type: 'entry', ...e });
      }
      const last = rewritten[rewritten.length - 1]!;
      rewritten.push({ type: 'checkpoint', ...signCheckpoint(broker.keys, { seq: last.seq, hash: last.hash }) });
      const matcher = new ReceiptMatcher(loadReceipts(receiptsDir, broker.keys.signingPublicKey), 'the export');
      const v = await verifyExportText(unparse(rewritten), key, { onEntry: (e) => matcher.observe(e.seq, e.hash) });
      t.match(v, { ok: true }, 'the re-signed export verifies on its own');
      if (!v.ok) return;
      const r = matcher.verdict(v);
      t.match(
        r.failures[0],
        `rewritten: receipt seq ${target} (issued ${afterSubmit.at})`,
        'the receipt shows the row was rewritten',
      );
    });

    await t.test('live database: a superuser deletes the newest rows and checkpoints', async (t) => {
      const before = await matchReceiptsInDatabase(
        broker.db,
        new ReceiptMatcher(loadReceipts(receiptsDir, broker.keys.signingPublicKey), 'the database'),
      );
      t.match(before, { failures: [], matched: kept.length }, 'before: every receipt is in the database with its hash');
      await s.close(); // PGlite: one process at a time
      const h = await openDatabase({ url: s.databaseUrl, dataDir: s.dataDir });
      try {
        await sql`alter table audit_log disable trigger audit_log_no_change`.execute(h.db);
        await sql`alter table audit_checkpoint disable trigger audit_checkpoint_no_change`.execute(h.db);
        await sql`delete from audit_checkpoint where seq > ${cutAt}`.execute(h.db);
        await sql`delete from audit_log where seq > ${cutAt}`.execute(h.db);
        await sql`alter table audit_log enable trigger audit_log_no_change`.execute(h.db);
        await sql`alter table audit_checkpoint enable trigger audit_checkpoint_no_change`.execute(h.db);
      } finally {
        await h.close();
      }
      const h2 = await openDatabase({ url: s.databaseUrl, dataDir: s.dataDir });
      try {
        t.match(
          await verifyAuditChain(h2.db),
          { broken: null, rows: cutAt },
          "without receipts the cut chain is intact (the tester's finding)…",
        );
        t.match(
          await verifyStoredCheckpoints(h2.db, key),
          { broken: null, lastSeq: cutAt },
          '…and so are its checkpoints',
        );
      } finally {
        await h2.close();
      }
      if (storage === 'pglite') {
        // In-process (a spawned CLI on PGlite costs half a minute on a busy machine); the command on PostgreSQL.
        const h3 = await openDatabase({ dataDir: s.dataDir });
        try {
          const r = await matchReceiptsInDatabase(
            h3.db,
            new ReceiptMatcher(loadReceipts(receiptsDir, broker.keys.signingPublicKey), 'the database'),
          );
          t.match(
            r.failures[0],
            `truncated: receipt seq ${firstAfterCut.seq} (issued ${firstAfterCut.at}) is not in the ` +
              `database, which ends at row ${cutAt}`,
            'with receipts it fails',
          );
        } finally {
          await h3.close();
        }
        return;
      }
      const caught = await run(BROKER_BIN, ['audit', 'verify', '--data-dir', s.dataDir, '--receipts', receiptsDir], {
        env: s.env,
      });
      t.equal(caught.code, 1, 'with receipts it fails');
      t.match(caught.stderr, /CUT BACK OR REWRITTEN/);
      t.match(
        caught.stderr,
        `truncated: receipt seq ${firstAfterCut.seq} (issued ${firstAfterCut.at}) is not in the database, ` +
          `which ends at row ${cutAt}`,
      );
    });
  });
}
