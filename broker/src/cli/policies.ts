import { readFileSync } from 'node:fs';
import { parsePolicy } from '@blindlink/policies';
import type { Command } from 'commander';
import { login } from '../services/login.js';
import { approvePolicy, loadPolicy } from '../services/policy-versions.js';
import { audited, CliError, dataDir, localOperator, withDatabase } from './shared.js';

/** policy validate, load, approve: data-sharing policies. */
export function policyCommands(program: Command): void {
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
      const yaml = readFileSync(file, 'utf8');
      // Checked here first, so its problems name the file (and exit 3) before the database is opened.
      const d = parsePolicy(yaml, file).document;
      await withDatabase(o.dataDir, async ({ db }) => {
        const operator = localOperator();
        const { result } = await audited(db, operator, 'policy.load', (audit) =>
          loadPolicy({ db }, operator, yaml, audit),
        );
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
    .option(
      '--privacy-report <digest>',
      "the purpose privacy report's digest, as `blindlink-broker privacy-report --purpose <purpose>` printed it " +
        'after you read it (required once the purpose has a submission)',
    )
    .action(
      async (
        id: string,
        version: string,
        o: { dataDir: string; as: string; passwordFile: string; privacyReport?: string },
      ) => {
        const v = Number(version);
        if (!Number.isInteger(v) || v < 1) throw new CliError(`version "${version}" must be a whole number ≥ 1`);
        if (o.privacyReport !== undefined && !/^sha256:[0-9a-f]{64}$/.test(o.privacyReport))
          throw new CliError(`--privacy-report "${o.privacyReport}" is not a digest (sha256: and 64 hex digits)`);
        const password = readFileSync(o.passwordFile, 'utf8').replace(/\r?\n$/, '');
        await withDatabase(o.dataDir, async ({ db }) => {
          const who = await audited(db, localOperator(), 'person.login', (audit) =>
            login({ db }, { username: o.as, password }, audit),
          );
          const p = await audited(db, who, 'policy.approve', (audit) =>
            approvePolicy({ db }, who, { id, version: v, privacyReportDigest: o.privacyReport }, audit),
          );
          const saw = p.privacyReportDigest ? `, having read privacy report ${p.privacyReportDigest}` : '';
          const already = p.approvedBy !== who.sub ? ` (already approved by ${p.approvedBy}; nothing changed)` : '';
          process.stdout.write(`policy ${id} v${v} approved by ${who.sub}${saw}${already}\n`);
        });
      },
    );
}
