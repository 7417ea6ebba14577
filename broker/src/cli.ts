import { createWriteStream, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { userInfo } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { ProtocolError } from '@blindlink/protocol';
import { parsePolicy, PolicyInvalidError } from '@blindlink/policies';
import { registerAgency, reissueEnrolmentCode, revokeAgency } from './agencies/registry.js';
import { appendAudit, verifyAuditChain, type AuditInput } from './audit/log.js';
import { loadExistingBrokerKeys, readBrokerPublicKeyFile } from './audit/broker-key.js';
import { checkpointHead, listCheckpoints, verifyStoredCheckpoints } from './audit/checkpoints.js';
import { exportChunks, planExport } from './audit/export.js';
import { describeVerdict, verifyExportFile } from './audit/export-verify.js';
import { describeReceipts, loadReceipts, matchReceiptsInDatabase, ReceiptMatcher } from './audit/receipt-check.js';
import { SIGNING_SEED_FILE } from './trust/keys.js';
import { openDatabase, type DatabaseHandle } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { approvePolicy, storePolicy } from './governance/policy-store.js';
import { linkFiles, writeEntities } from './linkage/offline.js';
import { runPrivacyReport } from './privacy/command.js';
import { purge, purgeUploads } from './retention/purge.js';
import { formatLocal } from './schedule/next-due.js';
import { listSchedules } from './schedule/store.js';
import { addPerson, generatePassword, login, PERSON_ROLES, unlockPerson } from './people/accounts.js';
import type { PersonRole } from './db/schema.js';
import { certificateFingerprint, keyDir, startBroker } from './server.js';
import { join } from 'node:path';
import { runWorkerCommand } from './jobs/worker-command.js';

/** Operator commands. Every change an operator makes is audited like an API request. */

class CliError extends Error {}

function intArg(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number`);
    return n;
  };
}

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

async function withDatabase<T>(dataDir: string, fn: (h: DatabaseHandle) => Promise<T>): Promise<T> {
  const h = await openDatabase({ url: process.env.DATABASE_URL, dataDir });
  try {
    await migrateToLatest(h.db);
    return await fn(h);
  } finally {
    await h.close();
  }
}

const operator = () => `operator:${userInfo().username}`;

/** Operator actions go into the same audit chain as API requests (status 0: not an HTTP request). */
function recordAction(db: DatabaseHandle['db'], action: string, reason: string, extra: Partial<AuditInput> = {}) {
  return appendAudit(db, {
    actor: operator(),
    action,
    purpose: null,
    policyId: null,
    policyVersion: null,
    policyRule: null,
    decision: 'allowed',
    status: 0,
    reason,
    counts: {},
    releaseDigest: null,
    ...extra,
  });
}

export function buildCli(): Command {
  const program = new Command('blindlink-broker')
    .description(
      "blindlink broker: links agencies' encodings and releases only what policy permits.\nStorage: DATABASE_URL=postgres://… for a PostgreSQL server, else embedded PostgreSQL (PGlite) in --data-dir.",
    )
    .showHelpAfterError()
    .configureOutput({ outputError: (s, write) => write(s) });
  const dataDir = (c: Command) =>
    c.option('--data-dir <dir>', 'data directory (embedded database and broker keys)', './.blindlink');

  dataDir(program.command('migrate').description('apply database migrations')).action(
    async (o: { dataDir: string }) => {
      const h = await openDatabase({ url: process.env.DATABASE_URL, dataDir: o.dataDir });
      try {
        const applied = await migrateToLatest(h.db);
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'already at the latest migration\n');
      } finally {
        await h.close();
      }
    },
  );

  dataDir(program.command('serve').description('run the broker API'))
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 = any free port)', intArg('--port'), 8443)
    .option(
      '--body-limit <bytes>',
      'largest submission body accepted (default 256 MiB); other routes accept 64 KiB to 2 MiB',
      intArg('--body-limit'),
    )
    .option('--tls-cert <file>', "the operator's TLS certificate (PEM); default: one issued by the broker CA")
    .option('--tls-key <file>', 'its private key (PEM)')
    .option('--no-worker', 'link no runs in this broker: separate `blindlink-broker worker` processes do')
    .action(
      async (o: {
        dataDir: string;
        host: string;
        port: number;
        bodyLimit?: number;
        tlsCert?: string;
        tlsKey?: string;
        worker: boolean;
      }) => {
        if (Boolean(o.tlsCert) !== Boolean(o.tlsKey)) throw new CliError('give --tls-cert and --tls-key together');
        const broker = await startBroker({
          dataDir: o.dataDir,
          databaseUrl: process.env.DATABASE_URL,
          host: o.host,
          port: o.port,
          tls: o.tlsCert && o.tlsKey ? { certFile: o.tlsCert, keyFile: o.tlsKey } : undefined,
          ...(o.bodyLimit ? { bodyLimit: o.bodyLimit } : {}),
          // Runs are linked in a forked worker process, never on the API's event loop (jobs/).
          worker: o.worker ? 'fork' : 'none',
        });
        process.stderr.write(
          `blindlink broker CA: ${join(keyDir(o.dataDir), 'ca.cert.pem')} (SHA-256 ${certificateFingerprint(broker.caCertificate)}); clients pin it\n` +
            `blindlink-broker listening on ${broker.url} (${broker.database.kind})\n`,
        );
        const stop = async () => {
          await broker.close();
          process.exit(0);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      },
    );

  dataDir(
    program
      .command('worker')
      .description(
        'link queued runs (needs DATABASE_URL and the broker keys in <data-dir>/keys); run any number, on any machine sharing the database',
      ),
  )
    .option('--concurrency <n>', 'runs linked at once by this process', intArg('--concurrency'), 1)
    .action(async (o: { dataDir: string; concurrency: number }) => {
      // A test knob: how long a run's heartbeat may be silent before its worker is presumed dead.
      const stale = Number(process.env.BLINDLINK_WORKER_STALE_MS ?? '');
      await runWorkerCommand({
        dataDir: o.dataDir,
        keyDir: keyDir(o.dataDir),
        concurrency: Math.max(1, o.concurrency),
        ...(stale > 0 ? { staleAfterMs: stale } : {}),
      });
    });

  const agency = program.command('agency').description('manage agencies');
  dataDir(agency.command('register <slug>').description('register an agency and print its one-time enrolment code'))
    .option('--name <name>', 'display name')
    .action(async (slug: string, o: { dataDir: string; name?: string }) => {
      if (!SLUG.test(slug)) throw new CliError(`agency name "${slug}" must be a lower-case slug (a-z, 0-9, -)`);
      await withDatabase(o.dataDir, async ({ db }) => {
        const r = await registerAgency(db, slug, o.name ?? slug);
        await recordAction(db, 'agency.register', `agency ${slug} registered`);
        process.stdout.write(
          JSON.stringify({ agency: r.slug, enrolmentCode: r.enrolmentCode, expiresAt: r.expiresAt.toISOString() }) +
            '\n',
        );
        process.stderr.write(
          'Give the code to the agency with the broker CA certificate (keys/ca.cert.pem): it works once, until it expires.\n',
        );
      });
    });
  dataDir(
    agency.command('enrolment-code <slug>').description('issue a fresh enrolment code (lost code, or re-enrolment)'),
  ).action(async (slug: string, o: { dataDir: string }) => {
    await withDatabase(o.dataDir, async ({ db }) => {
      const r = await reissueEnrolmentCode(db, slug);
      await recordAction(db, 'agency.enrolment-code', `new enrolment code for ${slug}`);
      process.stdout.write(
        JSON.stringify({ agency: slug, enrolmentCode: r.enrolmentCode, expiresAt: r.expiresAt.toISOString() }) + '\n',
      );
    });
  });
  dataDir(
    agency
      .command('revoke <slug>')
      .description('revoke every certificate of an agency; refused from the next request on'),
  ).action(async (slug: string, o: { dataDir: string }) => {
    await withDatabase(o.dataDir, async ({ db }) => {
      const n = await revokeAgency(db, slug);
      await recordAction(db, 'agency.revoke', `${n} certificate(s) of ${slug} revoked`);
      process.stdout.write(`${n} certificate(s) of ${slug} revoked\n`);
    });
  });

  const policy = program.command('policy').description('manage data-sharing policies');
  policy
    .command('validate <file>')
    .description('check a policy file; lists every problem')
    .action((file: string) => {
      const p = parsePolicy(readFileSync(file, 'utf8'), file);
      process.stdout.write(`${file}: valid (policy ${p.document.id} v${p.document.version}, ${p.contentHash})\n`);
    });
  dataDir(policy.command('load <file>').description('load a policy version (YAML)')).action(
    async (file: string, o: { dataDir: string }) => {
      const p = parsePolicy(readFileSync(file, 'utf8'), file);
      await withDatabase(o.dataDir, async ({ db }) => {
        const result = await storePolicy(db, p, operator());
        const d = p.document;
        await recordAction(db, 'policy.load', `policy ${d.id} v${d.version} ${result} (${p.contentHash})`, {
          purpose: d.purpose,
          policyId: d.id,
          policyVersion: d.version,
        });
        process.stdout.write(`policy ${d.id} v${d.version} for purpose ${d.purpose}: ${result}\n`);
      });
    },
  );

  dataDir(
    policy
      .command('approve <id> <version>')
      .description('approve a loaded policy version as an IG lead (it is in force only once approved)'),
  )
    .requiredOption('--as <username>', 'the approving IG lead (not the person who loaded it)')
    .requiredOption('--password-file <file>', "file holding that IG lead's password")
    .action(async (id: string, version: string, o: { dataDir: string; as: string; passwordFile: string }) => {
      const v = Number(version);
      if (!Number.isInteger(v) || v < 1) throw new CliError(`version "${version}" must be a whole number ≥ 1`);
      const password = readFileSync(o.passwordFile, 'utf8').replace(/\r?\n$/, '');
      await withDatabase(o.dataDir, async ({ db }) => {
        const who = await login(db, o.as, password);
        const p = await approvePolicy(db, id, v, who.username);
        await recordAction(db, 'policy.approve', `policy ${id} v${v} approved`, {
          actor: `ig-lead:${who.username}`,
          purpose: p.document.purpose,
          policyId: id,
          policyVersion: v,
        });
        process.stdout.write(`policy ${id} v${v} approved by ${who.username}\n`);
      });
    });

  const user = program.command('user').description('people: admins, analysts, IG leads');
  dataDir(user.command('add <username>').description('add a person; prints a generated password once'))
    .requiredOption('--role <role>', `one of ${PERSON_ROLES.join(', ')}`)
    .option(
      '--purpose <purposes>',
      'analysts: the purposes they may run and read',
      (v: string, prev: string[] = []) => [...prev, ...v.split(',')],
      [] as string[],
    )
    .action(async (username: string, o: { dataDir: string; role: string; purpose: string[] }) => {
      if (!PERSON_ROLES.includes(o.role as PersonRole))
        throw new CliError(`--role must be one of ${PERSON_ROLES.join(', ')}`);
      const password = generatePassword();
      await withDatabase(o.dataDir, async ({ db }) => {
        await addPerson(db, {
          username,
          role: o.role as PersonRole,
          password,
          createdBy: operator(),
          purposes: o.purpose,
        });
        await recordAction(db, 'person.add', `${o.role} ${username} added`);
        process.stdout.write(JSON.stringify({ username, role: o.role, password }) + '\n');
        process.stderr.write('Give this password to the person now: the broker keeps only its Argon2id hash.\n');
      });
    });
  dataDir(
    user.command('unlock <username>').description('unlock an account locked after repeated failed logins'),
  ).action(async (username: string, o: { dataDir: string }) => {
    await withDatabase(o.dataDir, async ({ db }) => {
      await unlockPerson(db, username);
      await recordAction(db, 'person.unlock', `${username} unlocked`);
      process.stdout.write(`${username} unlocked\n`);
    });
  });

  const schedule = program
    .command('schedule')
    .description('nightly linkage runs (analysts set them over the API; `serve` runs them)');
  dataDir(
    schedule
      .command('list')
      .description("every purpose's nightly schedule, next due first, with its last outcome: one JSON line each"),
  ).action(async (o: { dataDir: string }) => {
    await withDatabase(o.dataDir, async ({ db }) => {
      const rows = await listSchedules(db);
      for (const s of rows) {
        process.stdout.write(
          JSON.stringify({
            purpose: s.purpose,
            at: s.time_of_day,
            timeZone: s.time_zone,
            owner: s.owner,
            nextDue: s.next_due.toISOString(),
            nextDueLocal: formatLocal(s.next_due, s.time_zone),
            last: s.last_status
              ? {
                  status: s.last_status,
                  at: s.last_attempt_at?.toISOString() ?? null,
                  runId: s.last_run_id,
                  detail: s.last_detail,
                }
              : null,
          }) + '\n',
        );
      }
      process.stderr.write(`${rows.length} nightly schedule(s)\n`);
    });
  });

  dataDir(program.command('purge').description("delete submissions and runs past their policy's retention; audited"))
    .option('--dry-run', 'only say what would be deleted')
    .action(async (o: { dataDir: string; dryRun?: boolean }) => {
      await withDatabase(o.dataDir, async ({ db }) => {
        const results = await purge(db, operator(), { ...(o.dryRun ? { dryRun: true } : {}) });
        for (const r of results) {
          process.stdout.write(
            `${r.purpose} (${r.policy}): ${o.dryRun ? 'would delete' : 'deleted'} ${r.submissions} submissions (${r.encodings} encodings), ${r.runs} runs\n`,
          );
        }
        const uploads = await purgeUploads(db, operator(), { ...(o.dryRun ? { dryRun: true } : {}) });
        process.stdout.write(
          `uploads abandoned before commit: ${o.dryRun ? 'would delete' : 'deleted'} ${uploads.uploads} (${uploads.stagedRecords} staged records)\n`,
        );
      });
    });

  program
    .command('link <files...>')
    .description('link encoded files offline (to trial quality on test data): writes entity_id,source,row_token')
    .requiredOption('--out <csv>', 'where to write the entities')
    .option(
      '--duplicate-free <sources>',
      'sources that hold one row per person (file names without .enc)',
      (v: string, prev: string[] = []) => [...prev, ...v.split(',')],
      [] as string[],
    )
    .option(
      '--adults <sources>',
      'sources that hold only people aged 18 or over (e.g. council tax): never in one entity with a --children source',
      (v: string, prev: string[] = []) => [...prev, ...v.split(',')],
      [] as string[],
    )
    .option(
      '--children <sources>',
      'sources that hold only people under 18 (e.g. school pupils)',
      (v: string, prev: string[] = []) => [...prev, ...v.split(',')],
      [] as string[],
    )
    .option(
      '--threshold <dice>',
      'record-level Dice threshold for inputs without field filters (clkhash CLKs)',
      (v: string) => {
        const n = Number(v);
        if (!(n > 0 && n <= 1)) throw new InvalidArgumentError('--threshold must be in (0, 1]');
        return n;
      },
      0.8,
    )
    .option('--clk-only', 'score by record-level Dice even when field filters are present')
    .action(
      async (
        files: string[],
        o: {
          out: string;
          duplicateFree: string[];
          adults: string[];
          children: string[];
          threshold: number;
          clkOnly?: boolean;
        },
      ) => {
        const { sources, result } = linkFiles(files, {
          duplicateFree: o.duplicateFree,
          adults: o.adults,
          children: o.children,
          diceThreshold: o.threshold,
          ...(o.clkOnly ? { clkOnly: true } : {}),
        });
        writeEntities(o.out, sources, result);
        const s = result.stats;
        process.stderr.write(
          `${s.records} records from ${sources.length} sources → ${s.entities} entities, ${s.households} households; ` +
            `${s.candidatePairs} candidate pairs, ${s.linksAccepted} links (${result.scoring.mode}, threshold ${result.scoring.threshold.toFixed(3)}) in ${s.seconds.total!.toFixed(2)} s → ${o.out}\n` +
            result.scoring.reasoning.map((r) => `  ${r}\n`).join(''),
        );
      },
    );

  program
    .command('privacy-report <files...>')
    .description(
      'run the published attacks on encoded files (frequency alignment, q-gram pattern mining, graph matching) and report what they re-identify, for a DPIA (docs/privacy-report.md)',
    )
    .option('--json', 'the machine-readable report')
    .option(
      '--truth <csv>',
      'token,field,value: true normalised values, to measure re-identification instead of estimating it',
    )
    .option(
      '--background <csv>',
      "field,value,count: the attacker's name and year-of-birth frequencies (default: the shipped table)",
    )
    .option('--attacks <list>', 'comma-separated subset of frequency,mining,graph')
    .action((files: string[], o: { json?: boolean; truth?: string; background?: string; attacks?: string }) => {
      process.stdout.write(runPrivacyReport(files, o).text);
    });

  // ── audit ────────────────────────────────────────────────────────────────────────────────
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
      "file holding the broker's Ed25519 public key, base64 (`audit broker-key`, or signingPublicKey of GET /v1/broker)",
    )
    .option(
      '--receipts <dir>',
      'audit receipts collected from agencies (their <key-dir>/receipts/*.jsonl): fail if the trail lacks a receipted row',
    )
    .option(
      '--issued-before <time>',
      'with --receipts and --file: check only receipts issued before this ISO 8601 time (when the export was made)',
      (v: string) => {
        const d = new Date(v);
        if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(d.getTime()))
          throw new InvalidArgumentError('--issued-before must be an ISO 8601 date-time');
        return d;
      },
    )
    .action(
      async (
        o: { dataDir: string; file?: string; brokerKey?: string; receipts?: string; issuedBefore?: Date },
        cmd: Command,
      ) => {
        if (o.file !== undefined) {
          if (!o.brokerKey)
            throw new CliError(
              '--file needs --broker-key: an export is checked against a key you hold, never the key it carries',
            );
          if (cmd.getOptionValueSource('dataDir') === 'cli') throw new CliError('give --file or --data-dir, not both');
          const key = readBrokerPublicKeyFile(o.brokerKey);
          const matcher = o.receipts
            ? new ReceiptMatcher(loadReceipts(o.receipts, key), 'the export', o.issuedBefore)
            : undefined;
          const verdict = await verifyExportFile(
            o.file,
            key,
            matcher ? { onEntry: (e) => matcher.observe(e.seq, e.hash) } : {},
          );
          (verdict.ok ? process.stdout : process.stderr).write(describeVerdict(verdict) + '\n');
          if (!verdict.ok) process.exitCode = 1;
          if (!verdict.ok || !matcher) return;
          const receipts = matcher.verdict(verdict);
          (receipts.failures.length ? process.stderr : process.stdout).write(describeReceipts(receipts, 'the export'));
          if (receipts.failures.length) process.exitCode = 1;
          return;
        }
        if (o.issuedBefore)
          throw new CliError(
            '--issued-before applies to an export (--file); the live database holds every receipted row',
          );
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
                `audit chain intact: ${rows} rows verified, but its signed checkpoints were NOT checked: no broker key in ${keyDir(o.dataDir)}; give --broker-key\n`,
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
              `audit checkpoint BROKEN at row ${cps.broken.seq}: ${cps.broken.problem} (${cps.checked} checkpoint(s) before it verified)\n`,
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
                `audit chain CUT BACK OR REWRITTEN: its ${rows} rows and ${cps.checked} checkpoint(s) are consistent, but agencies hold receipts it does not match\n` +
                  describeReceipts(receipts, 'the database'),
              );
              process.exitCode = 1;
              return;
            }
            process.stdout.write(describeReceipts(receipts, 'the database'));
          }
          process.stdout.write(
            `audit chain intact: ${rows} rows verified; ${cps.checked} signed checkpoint(s) verified${cps.checked ? `, the last on row ${cps.lastSeq}` : ''}${tail}\n`,
          );
        });
      },
    );

  dataDir(
    audit
      .command('export')
      .description(
        'write the audit trail as JSON lines with signed checkpoints, ending on a fresh checkpoint (for `audit verify --file`)',
      ),
  )
    .requiredOption('--out <file>', 'where to write the export (not overwritten if it exists)')
    .option(
      '--from <seq>',
      'first row: 1 (default, the whole chain) or a row that carries a checkpoint',
      intArg('--from'),
    )
    .action(async (o: { dataDir: string; out: string; from?: number }) => {
      const keys = await loadExistingBrokerKeys(keyDir(o.dataDir));
      // Create the file first (never overwriting one), so a bad --out records and signs nothing.
      const fd = openSync(o.out, 'wx', 0o640);
      const file = createWriteStream('', { fd });
      try {
        await withDatabase(o.dataDir, async ({ db }) => {
          await recordAction(
            db,
            'audit.export',
            `audit export to a file by the operator${o.from ? ` from row ${o.from}` : ''}`,
          );
          const header = await planExport(db, keys, o.from !== undefined ? { from: o.from } : {});
          await pipeline(Readable.from(exportChunks(db, header)), file);
          process.stdout.write(
            `exported audit rows ${header.fromSeq}–${header.toSeq} to ${o.out} (broker key ${header.brokerKeyId})\n`,
          );
        });
      } catch (err) {
        file.destroy();
        rmSync(o.out, { force: true }); // no half-written export left to be mistaken for a whole one
        throw err;
      }
    });

  dataDir(
    audit.command('checkpoint').description('sign a checkpoint on the current head of the audit chain now'),
  ).action(async (o: { dataDir: string }) => {
    const keys = await loadExistingBrokerKeys(keyDir(o.dataDir));
    await withDatabase(o.dataDir, async ({ db }) => {
      await recordAction(db, 'audit.checkpoint', 'checkpoint signed on demand by the operator');
      const cp = await checkpointHead(db, keys);
      process.stdout.write(JSON.stringify(cp) + '\n');
    });
  });

  dataDir(
    audit
      .command('broker-key')
      .description(
        "print the broker's Ed25519 public key (base64): give it to IG leads, out of band, to verify exports",
      ),
  ).action(async (o: { dataDir: string }) => {
    const keys = await loadExistingBrokerKeys(keyDir(o.dataDir));
    process.stdout.write(keys.signingPublicKeyBase64 + '\n');
    process.stderr.write(`key id ${keys.keyId}\n`);
  });
  // ── end audit ────────────────────────────────────────────────────────────────────────────────
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    const msg =
      err instanceof PolicyInvalidError || err instanceof CliError || err instanceof ProtocolError
        ? err.message
        : err instanceof Error
          ? err.message
          : String(err);
    process.stderr.write(`blindlink-broker: error: ${msg}\n`);
    process.exitCode = err instanceof PolicyInvalidError ? 3 : 1;
  }
}
