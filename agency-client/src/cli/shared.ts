import { renameSync, writeFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { BrokerClient } from '../broker-client/http.js';

/** A mistake the person running the command can fix: printed as one line, exit 1. */
export class CliError extends Error {}

export function mapOption(v: string, prev: Record<string, string> = {}): Record<string, string> {
  for (const pair of v.split(',')) {
    const [field, column, ...rest] = pair.split('=');
    if (!field || !column || rest.length) throw new InvalidArgumentError(`"${pair}" is not field=COLUMN`);
    prev[field.trim()] = column.trim();
  }
  return prev;
}

export const list = (v: string, prev: string[] = []) => [
  ...prev,
  ...v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];

const DEFAULT_KEY_DIR = './.blindlink-agency';

/** One mutual-TLS client per command, closed after it so no idle socket keeps the process alive. */
export async function withClient<T>(
  o: { broker: string; keyDir: string },
  fn: (c: BrokerClient) => Promise<T>,
): Promise<T> {
  let client: BrokerClient;
  try {
    client = new BrokerClient(o.broker, o.keyDir);
  } catch (err) {
    throw new CliError(`${(err as Error).message} (--key-dir ${o.keyDir})`);
  }
  try {
    return await fn(client);
  } finally {
    client.close();
    // An answer without its audit receipt leaves a gap an IG lead cannot check later: say so.
    if (client.missingReceipts)
      process.stderr.write(
        `warning: ${client.missingReceipts} answer(s) from the broker carried no audit receipt ` +
          `(blindlink-audit-head header)\n`,
      );
  }
}

/** --broker and --key-dir (and --purpose unless `purpose` is false): every command that talks to the broker. */
export function brokerOptions(c: Command, purpose = true): Command {
  c.addOption(
    new Option('--broker <url>', 'broker base URL (https://…)').env('BLINDLINK_BROKER').makeOptionMandatory(),
  ).addOption(
    new Option('--key-dir <dir>', 'the agency\'s keys and certificate (from "enrol")')
      .env('BLINDLINK_KEY_DIR')
      .default(DEFAULT_KEY_DIR),
  );
  return purpose ? c.requiredOption('--purpose <purpose>', 'the purpose (data-sharing policy) this is for') : c;
}

/** Written under a temporary name (readable by the agency alone), then renamed: a failure leaves no partial file. */
export function writeAnswer(out: string, text: string): void {
  writeFileSync(`${out}.part`, text, { mode: 0o600 });
  renameSync(`${out}.part`, out);
}
