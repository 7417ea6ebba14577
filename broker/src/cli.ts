import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { ProtocolError } from '@blindlink/protocol';
import { parsePolicy, PolicyInvalidError } from '@blindlink/policies';
import { registerAgency } from './agencies/registry.js';
import { appendAudit, verifyAuditChain } from './audit/log.js';
import { openDatabase, type DatabaseHandle } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { storePolicy } from './policies/store.js';
import { startBroker } from './server.js';

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

export function buildCli(): Command {
  const program = new Command('blindlink-broker')
    .description('blindlink broker: links agencies\' encodings and releases only what policy permits.\nStorage: DATABASE_URL=postgres://… for a PostgreSQL server, else embedded PostgreSQL (PGlite) in --data-dir.')
    .showHelpAfterError()
    .configureOutput({ outputError: (s, write) => write(s) });
  const dataDir = (c: Command) => c.option('--data-dir <dir>', 'data directory (embedded database and broker keys)', './.blindlink');

  dataDir(program.command('migrate').description('apply database migrations'))
    .action(async (o: { dataDir: string }) => {
      const h = await openDatabase({ url: process.env.DATABASE_URL, dataDir: o.dataDir });
      try {
        const applied = await migrateToLatest(h.db);
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'already at the latest migration\n');
      } finally {
        await h.close();
      }
    });

  dataDir(program.command('serve').description('run the broker API'))
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 = any free port)', intArg('--port'), 8443)
    .option('--body-limit <bytes>', 'largest request body accepted', intArg('--body-limit'))
    .action(async (o: { dataDir: string; host: string; port: number; bodyLimit?: number }) => {
      const broker = await startBroker({ dataDir: o.dataDir, databaseUrl: process.env.DATABASE_URL, host: o.host, port: o.port, ...(o.bodyLimit ? { bodyLimit: o.bodyLimit } : {}) });
      process.stderr.write(`blindlink-broker listening on ${broker.url} (${broker.database.kind})\n`);
      const stop = async () => {
        await broker.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  const agency = program.command('agency').description('manage agencies');
  dataDir(agency.command('register <slug>').description('register an agency and print its credential (shown once)'))
    .option('--name <name>', 'display name')
    .action(async (slug: string, o: { dataDir: string; name?: string }) => {
      if (!SLUG.test(slug)) throw new CliError(`agency name "${slug}" must be a lower-case slug (a-z, 0-9, -)`);
      await withDatabase(o.dataDir, async ({ db }) => {
        const creds = await registerAgency(db, slug, o.name ?? slug);
        await appendAudit(db, { actor: operator(), action: 'agency.register', purpose: null, policyId: null, policyVersion: null, policyRule: null, decision: 'allowed', status: 0, reason: `agency ${slug} registered`, counts: {}, releaseDigest: null });
        process.stdout.write(JSON.stringify({ agency: creds.slug, secret: creds.secret }) + '\n');
        process.stderr.write('Store this credential now: the broker keeps only its hash and cannot show it again.\n');
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
  dataDir(policy.command('load <file>').description('load a policy version (YAML)'))
    .action(async (file: string, o: { dataDir: string }) => {
      const p = parsePolicy(readFileSync(file, 'utf8'), file);
      await withDatabase(o.dataDir, async ({ db }) => {
        const result = await storePolicy(db, p);
        const d = p.document;
        await appendAudit(db, { actor: operator(), action: 'policy.load', purpose: d.purpose, policyId: d.id, policyVersion: d.version, policyRule: null, decision: 'allowed', status: 0, reason: `policy ${d.id} v${d.version} ${result} (${p.contentHash})`, counts: {}, releaseDigest: null });
        process.stdout.write(`policy ${d.id} v${d.version} for purpose ${d.purpose}: ${result}\n`);
      });
    });

  const audit = program.command('audit').description('the audit trail');
  dataDir(audit.command('verify').description('recompute the audit hash chain; exits 1 naming the first broken row'))
    .action(async (o: { dataDir: string }) => {
      await withDatabase(o.dataDir, async ({ db }) => {
        const { rows, broken } = await verifyAuditChain(db);
        if (broken) {
          process.stderr.write(`audit chain BROKEN at row ${broken.seq}: ${broken.problem} (${rows} rows before it verified)\n`);
          process.exitCode = 1;
          return;
        }
        process.stdout.write(`audit chain intact: ${rows} rows verified\n`);
      });
    });
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    const msg = err instanceof PolicyInvalidError || err instanceof CliError || err instanceof ProtocolError
      ? err.message
      : err instanceof Error
        ? err.message
        : String(err);
    process.stderr.write(`blindlink-broker: error: ${msg}\n`);
    process.exitCode = err instanceof PolicyInvalidError ? 3 : 1;
  }
}
