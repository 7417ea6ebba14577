import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { BrokerError } from '../broker-client/http.js';
import { BadReceiptError } from '../broker-client/receipts.js';
import { InputError } from '../encode/command.js';
import { describeCsvError } from '../io/csv.js';
import { FileFormatError } from '../io/encoded-file.js';
import { encodeCommand } from './encode.js';
import { identityCommands } from './identity.js';
import { releaseCommands } from './releases.js';
import { reportCommand } from './report.js';
import { reviewCommands } from './review.js';
import { CliError } from './shared.js';
import { subjectAccessCommand } from './subject-access.js';
import { submitCommand } from './submit.js';
import { correctCommand, withdrawCommand } from './withdraw.js';

/** Commands a data officer runs at the agency. Nothing here sends plaintext anywhere. */

/** The version of this package (dist/cli/index.js → ../../package.json). */
function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;
}

export function buildCli(): Command {
  const program = new Command('blindlink-agency')
    .description(
      'blindlink agency client: encode identifiers locally, submit encodings, ask the broker what policy permits.',
    )
    .version(version(), '-V, --version', 'print the version of blindlink-agency')
    .showHelpAfterError();
  encodeCommand(program);
  identityCommands(program);
  submitCommand(program);
  releaseCommands(program);
  reportCommand(program);
  reviewCommands(program);
  subjectAccessCommand(program);
  withdrawCommand(program);
  correctCommand(program);
  return program;
}

/** The one line a failure is reported with: what went wrong and, where it helps, what to do. */
function describe(err: unknown): string {
  if (err instanceof BadReceiptError) return `AUDIT RECEIPT REJECTED: ${err.message}`;
  // No answer at all is not a refusal: the message names the broker's URL and why it was not reached.
  if (err instanceof BrokerError)
    return err.status === 0 ? err.message : `broker refused (${err.status} ${err.code}): ${err.message}`;
  // A parser error that escaped its file's own wrapping: its message may quote a field, so it is replaced.
  return describeCsvError(undefined, err) ?? (err instanceof Error ? err.message : String(err));
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    const known = err instanceof CliError || err instanceof InputError || err instanceof FileFormatError;
    process.stderr.write(`blindlink-agency: error: ${describe(err)}\n`);
    if (!known && !(err instanceof BrokerError) && process.env.BLINDLINK_DEBUG)
      process.stderr.write(String((err as Error).stack) + '\n');
    process.exitCode = 1;
  }
}
