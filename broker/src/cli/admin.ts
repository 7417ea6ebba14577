import type { Command } from 'commander';
import type { PersonRole } from '../db/schema.js';
import { registerAgency, reissueEnrolmentCode, revokeAgency } from '../services/manage-agencies.js';
import { addPerson, PERSON_ROLES, unlockPerson } from '../services/manage-people.js';
import { audited, CliError, dataDir, list, localOperator, SLUG, withDatabase } from './shared.js';

/** agency and user: who may use the broker (the admin routes' services, as the local operator). */
export function adminCommands(program: Command): void {
  const agency = program.command('agency').description('manage agencies');
  dataDir(agency.command('register <slug>').description('register an agency and print its one-time enrolment code'))
    .option('--name <name>', 'display name')
    .action(async (slug: string, o: { dataDir: string; name?: string }) => {
      if (!SLUG.test(slug)) throw new CliError(`agency name "${slug}" must be a lower-case slug (a-z, 0-9, -)`);
      await withDatabase(o.dataDir, async ({ db }) => {
        const r = await audited(db, localOperator(), 'agency.register', (audit) =>
          registerAgency({ db }, { agency: slug, name: o.name ?? slug }, audit),
        );
        process.stdout.write(JSON.stringify(r) + '\n');
        process.stderr.write(
          'Give the code to the agency with the broker CA certificate (keys/ca.cert.pem): it works once, ' +
            'until it expires.\n',
        );
      });
    });
  dataDir(
    agency.command('enrolment-code <slug>').description('issue a fresh enrolment code (lost code, or re-enrolment)'),
  ).action(async (slug: string, o: { dataDir: string }) => {
    await withDatabase(o.dataDir, async ({ db }) => {
      const r = await audited(db, localOperator(), 'agency.enrolment-code', (audit) =>
        reissueEnrolmentCode({ db }, slug, audit),
      );
      process.stdout.write(JSON.stringify(r) + '\n');
    });
  });
  dataDir(
    agency
      .command('revoke <slug>')
      .description('revoke every certificate of an agency; refused from the next request on'),
  ).action(async (slug: string, o: { dataDir: string }) => {
    await withDatabase(o.dataDir, async ({ db }) => {
      const n = await audited(db, localOperator(), 'agency.revoke', (audit) => revokeAgency({ db }, slug, audit));
      process.stdout.write(`${n} certificate(s) of ${slug} revoked\n`);
    });
  });

  const user = program.command('user').description('people: admins, analysts, IG leads');
  dataDir(user.command('add <username>').description('add a person; prints a generated password once'))
    .requiredOption('--role <role>', `one of ${PERSON_ROLES.join(', ')}`)
    .option('--purpose <purposes>', 'analysts: the purposes they may run and read', list, [] as string[])
    .action(async (username: string, o: { dataDir: string; role: string; purpose: string[] }) => {
      if (!PERSON_ROLES.includes(o.role as PersonRole))
        throw new CliError(`--role must be one of ${PERSON_ROLES.join(', ')}`);
      await withDatabase(o.dataDir, async ({ db }) => {
        const operator = localOperator();
        const r = await audited(db, operator, 'person.add', (audit) =>
          addPerson({ db }, operator, { username, role: o.role as PersonRole, purposes: o.purpose }, audit),
        );
        process.stdout.write(JSON.stringify(r) + '\n');
        process.stderr.write('Give this password to the person now: the broker keeps only its Argon2id hash.\n');
      });
    });
  dataDir(
    user.command('unlock <username>').description('unlock an account locked after repeated failed logins'),
  ).action(async (username: string, o: { dataDir: string }) => {
    await withDatabase(o.dataDir, async ({ db }) => {
      await audited(db, localOperator(), 'person.unlock', (audit) => unlockPerson({ db }, username, audit));
      process.stdout.write(`${username} unlocked\n`);
    });
  });
}
