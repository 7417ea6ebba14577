import type { Command } from 'commander';
import { registerAgency, reissueEnrolmentCode, revokeAgency } from '../agencies/registry.js';
import type { PersonRole } from '../db/schema.js';
import { addPerson, generatePassword, PERSON_ROLES, unlockPerson } from '../people/accounts.js';
import { CliError, dataDir, list, operator, recordAction, SLUG, withDatabase } from './shared.js';

/** agency and user: who may use the broker. */
export function adminCommands(program: Command): void {
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
          'Give the code to the agency with the broker CA certificate (keys/ca.cert.pem): it works once, ' +
            'until it expires.\n',
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

  const user = program.command('user').description('people: admins, analysts, IG leads');
  dataDir(user.command('add <username>').description('add a person; prints a generated password once'))
    .requiredOption('--role <role>', `one of ${PERSON_ROLES.join(', ')}`)
    .option('--purpose <purposes>', 'analysts: the purposes they may run and read', list, [] as string[])
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
}
