import { readFileSync } from 'node:fs';
import { PolicyInvalidError } from '@blindlink/policies';
import { ProtocolError } from '@blindlink/protocol';
import { Command } from 'commander';
import { adminCommands } from './admin.js';
import { auditCommands } from './audit.js';
import { policyCommands } from './policies.js';
import { privacyReportCommand } from './privacy-report.js';
import { retentionCommands } from './retention.js';
import { runCommands } from './runs.js';
import { serveCommands } from './serve.js';
import { CliError } from './shared.js';

/** Operator commands. Every change an operator makes is audited like an API request. */

/** The version of this package (dist/cli/index.js → ../../package.json). */
function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;
}

export function buildCli(): Command {
  const program = new Command('blindlink-broker')
    .description(
      "blindlink broker: links agencies' encodings and releases only what policy permits.\nStorage: " +
        'DATABASE_URL=postgres://… for a PostgreSQL server, else embedded PostgreSQL (PGlite) in --data-dir.',
    )
    .version(version(), '-V, --version', 'print the version of blindlink-broker')
    .showHelpAfterError()
    .configureOutput({ outputError: (s, write) => write(s) });
  serveCommands(program);
  adminCommands(program);
  policyCommands(program);
  runCommands(program);
  retentionCommands(program);
  privacyReportCommand(program);
  auditCommands(program);
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
