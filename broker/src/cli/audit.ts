import { createWriteStream, existsSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Command, InvalidArgumentError } from 'commander';
import { loadExistingBrokerKeys, readBrokerPublicKeyFile } from '../audit/broker-key.js';
import { listCheckpoints, verifyStoredCheckpoints } from '../audit/checkpoints.js';
import { describeVerdict, verifyExportFile } from '../audit/export-verify.js';
import { verifyAuditChain } from '../audit/log.js';
import { describeReceipts, loadReceipts, matchReceiptsInDatabase, ReceiptMatcher } from '../audit/receipt-check.js';
import { keyDir } from '../server.js';
import { SIGNING_SEED_FILE } from '../trust/keys.js';
import { exportAudit } from '../services/audit-export.js';
import { signCheckpoint } from '../services/audit-checkpoint.js';
import { audited, CliError, dataDir, intArg, localOperator, withDatabase } from './shared.js';

/** audit verify, export, checkpoint, broker-key: the audit trail. */
export function auditCommands(program: Command): void {
  const audit = program.command('audit').description('the audit trail: verify, export, checkpoint');
  dataDir(
    audit
      .command('verify')
      .summary('verify the trail (the database, or an export offline); exit 1 naming the first row that fails')
      .description(
        'verify the audit trail and exit 1 naming the first row that fails:\n' +
          "  --data-dir: recompute the database's hash chain and check every stored signed checkpoint\n" +
          '  --file --broker-key: verify an export offline (no database), trusting only the given public key\n' +
          '  --receipts: also check that every receipt agencies kept is in the trail with its signed hash',
      ),
  )
    .option('--file <export.jsonl>', 'an export from `audit export` or GET /v1/audit/export')
    .option(
      '--broker-key <file>',
      "file holding the broker's Ed25519 public key, base64 " +
        '(`audit broker-key`, or signingPublicKey of GET /v1/broker)',
    )
    .option(
      '--receipts <dir>',
      'audit receipts collected from agencies (their <key-dir>/receipts/*.jsonl): ' +
        'fail if the trail lacks a receipted row',
    )
    .option(
      '--issued-before <time>',
      'with --receipts and --file: check only receipts issued before this ISO 8601 time (when the export was made)',
      issuedBeforeArg,
    )
    .action(verifyAction);

  dataDir(
    audit
      .command('export')
      .description(
        'write the audit trail as JSON lines with signed checkpoints, ending on a fresh checkpoint ' +
          '(for `audit verify --file`)',
      ),
  )
    .requiredOption('--out <file>', 'where to write the export (not overwritten if it exists)')
    .option(
      '--from <seq>',
      'first row: 1 (default, the whole chain) or a row that carries a checkpoint',
      intArg('--from'),
    )
    .action(exportAction);

  dataDir(
    audit.command('checkpoint').description('sign a checkpoint on the current head of the audit chain now'),
  ).action(checkpointAction);

  dataDir(
    audit
      .command('broker-key')
      .description(
        "print the broker's Ed25519 public key (base64): give it to IG leads, out of band, to verify exports",
      ),
  ).action(brokerKeyAction);
}

interface VerifyOptions {
  dataDir: string;
  file?: string;
  brokerKey?: string;
  receipts?: string;
  issuedBefore?: Date;
}

function issuedBeforeArg(v: string): Date {
  const d = new Date(v);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(d.getTime()))
    throw new InvalidArgumentError('--issued-before must be an ISO 8601 date-time');
  return d;
}

/** `audit verify`: an export offline (--file), or the database. */
async function verifyAction(o: VerifyOptions, cmd: Command): Promise<void> {
  if (o.file !== undefined) return verifyExport(o, o.file, cmd);
  return verifyDatabase(o);
}

/** `audit verify --file`: the export against a key the caller holds, never the key it carries. */
async function verifyExport(o: VerifyOptions, file: string, cmd: Command): Promise<void> {
  if (!o.brokerKey)
    throw new CliError(
      '--file needs --broker-key: an export is checked against a key you hold, never the key it carries',
    );
  if (cmd.getOptionValueSource('dataDir') === 'cli') throw new CliError('give --file or --data-dir, not both');
  const key = readBrokerPublicKeyFile(o.brokerKey);
  const matcher = o.receipts
    ? new ReceiptMatcher(loadReceipts(o.receipts, key), 'the export', o.issuedBefore)
    : undefined;
  const verdict = await verifyExportFile(file, key, matcher ? { onEntry: (e) => matcher.observe(e.seq, e.hash) } : {});
  (verdict.ok ? process.stdout : process.stderr).write(describeVerdict(verdict) + '\n');
  if (!verdict.ok) process.exitCode = 1;
  if (!verdict.ok || !matcher) return;
  const receipts = matcher.verdict(verdict);
  (receipts.failures.length ? process.stderr : process.stdout).write(describeReceipts(receipts, 'the export'));
  if (receipts.failures.length) process.exitCode = 1;
}

/** `audit verify --data-dir`: the hash chain, the signed checkpoints, then any receipts. */
async function verifyDatabase(o: VerifyOptions): Promise<void> {
  if (o.issuedBefore)
    throw new CliError('--issued-before applies to an export (--file); the live database holds every receipted row');
  const publicKey = o.brokerKey
    ? readBrokerPublicKeyFile(o.brokerKey)
    : existsSync(join(keyDir(o.dataDir), SIGNING_SEED_FILE))
      ? (await loadExistingBrokerKeys(keyDir(o.dataDir))).signingPublicKey
      : null;
  if (o.receipts && !publicKey)
    throw new CliError(`--receipts needs the broker key: give --broker-key (no key in ${keyDir(o.dataDir)})`);
  const matcher =
    o.receipts && publicKey ? new ReceiptMatcher(loadReceipts(o.receipts, publicKey), 'the database') : undefined;
  await withDatabase(o.dataDir, async ({ db }) => {
    const { rows, broken } = await verifyAuditChain(db);
    if (broken) {
      process.stderr.write(
        `audit chain BROKEN at row ${broken.seq}: ${broken.problem} (${rows} rows before it verified)\n`,
      );
      process.exitCode = 1;
      return;
    }
    const stored = await listCheckpoints(db, { limit: 1 });
    if (!publicKey) {
      if (stored.length) {
        process.stderr.write(
          `audit chain intact: ${rows} rows verified, but its signed checkpoints were NOT checked: ` +
            `no broker key in ${keyDir(o.dataDir)}; give --broker-key\n`,
        );
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`audit chain intact: ${rows} rows verified (no signed checkpoints yet)\n`);
      return;
    }
    const cps = await verifyStoredCheckpoints(db, publicKey);
    if (cps.broken) {
      process.stderr.write(
        `audit checkpoint BROKEN at row ${cps.broken.seq}: ${cps.broken.problem} ` +
          `(${cps.checked} checkpoint(s) before it verified)\n`,
      );
      process.exitCode = 1;
      return;
    }
    const tail = rows > cps.lastSeq ? `; rows ${cps.lastSeq + 1}–${rows} not yet signed` : '';
    if (matcher) {
      // Self-consistent is not the same as whole: a cut-back trail with its checkpoints is consistent.
      const receipts = await matchReceiptsInDatabase(db, matcher);
      if (receipts.failures.length) {
        process.stderr.write(
          `audit chain CUT BACK OR REWRITTEN: its ${rows} rows and ${cps.checked} checkpoint(s) are consistent, ` +
            'but agencies hold receipts it does not match\n' +
            describeReceipts(receipts, 'the database'),
        );
        process.exitCode = 1;
        return;
      }
      process.stdout.write(describeReceipts(receipts, 'the database'));
    }
    process.stdout.write(
      `audit chain intact: ${rows} rows verified; ${cps.checked} signed checkpoint(s) verified` +
        `${cps.checked ? `, the last on row ${cps.lastSeq}` : ''}${tail}\n`,
    );
  });
}

/**
 * `audit export`: the trail as JSON lines, ending on a fresh signed checkpoint. Audited once the file
 * is whole, as `GET /v1/audit/export` is before its reply leaves: an export that failed is audited as
 * failed and leaves no file behind.
 */
async function exportAction(o: { dataDir: string; out: string; from?: number }): Promise<void> {
  const keys = await loadExistingBrokerKeys(keyDir(o.dataDir));
  // Create the file first (never overwriting one), so a bad --out records and signs nothing.
  const fd = openSync(o.out, 'wx', 0o640);
  const file = createWriteStream('', { fd });
  try {
    await withDatabase(o.dataDir, async ({ db }) => {
      const written = await audited(db, localOperator(), 'audit.export', async (audit) => {
        const { chunks, ...range } = await exportAudit({ db, keys }, { from: o.from }, audit);
        await pipeline(Readable.from(chunks), file);
        return range;
      });
      process.stdout.write(
        `exported audit rows ${written.fromSeq}–${written.toSeq} to ${o.out} (broker key ${written.brokerKeyId})\n`,
      );
    });
  } catch (err) {
    file.destroy();
    rmSync(o.out, { force: true }); // no half-written export left to be mistaken for a whole one
    throw err;
  }
}

/** `audit checkpoint`: signs the current head now. */
async function checkpointAction(o: { dataDir: string }): Promise<void> {
  const keys = await loadExistingBrokerKeys(keyDir(o.dataDir));
  await withDatabase(o.dataDir, async ({ db }) => {
    const cp = await audited(db, localOperator(), 'audit.checkpoint', (audit) => signCheckpoint({ db, keys }, audit));
    process.stdout.write(JSON.stringify(cp) + '\n');
  });
}

/** `audit broker-key`: the public key IG leads verify exports with. */
async function brokerKeyAction(o: { dataDir: string }): Promise<void> {
  const keys = await loadExistingBrokerKeys(keyDir(o.dataDir));
  process.stdout.write(keys.signingPublicKeyBase64 + '\n');
  process.stderr.write(`key id ${keys.keyId}\n`);
}
