import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { enrol } from '../broker-client/http.js';
import { brokerOptions, CliError, withClient } from './shared.js';

/** enrol and renew: this agency's certificate and keys. */
export function identityCommands(program: Command): void {
  brokerOptions(
    program
      .command('enrol')
      .description('enrol this agency once: one-time code → client certificate (keys stay in --key-dir)'),
    false,
  )
    .requiredOption('--agency <slug>', 'the agency name the broker admin registered')
    .requiredOption('--code <code>', 'the one-time enrolment code from the broker admin')
    .requiredOption('--ca-file <file>', 'the broker CA certificate the operator handed over (compare its fingerprint)')
    .action(async (o: { broker: string; keyDir: string; agency: string; code: string; caFile: string }) => {
      let caPem: string;
      try {
        caPem = readFileSync(o.caFile, 'utf8');
      } catch (err) {
        throw new CliError(
          `cannot read --ca-file ${o.caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      }
      const r = await enrol({ baseUrl: o.broker, keyDir: o.keyDir, agency: o.agency, code: o.code, caPem });
      process.stderr.write(
        `enrolled as ${o.agency}; client certificate valid until ${r.notAfter.toISOString().slice(0, 10)}` +
          `; keys in ${o.keyDir}\n`,
      );
    });

  brokerOptions(
    program
      .command('renew')
      .description('renew our client certificate (the old one is revoked once the new one is issued)'),
    false,
  ).action(async (o: { broker: string; keyDir: string }) => {
    const r = await withClient(o, (client) => client.renew());
    process.stderr.write(`certificate renewed; valid until ${r.notAfter.toISOString().slice(0, 10)}\n`);
  });
}
