import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ProtocolError } from '@blindlink/protocol';
import type { Database, PersonRole } from '../db/schema.js';
import { checkPasswordPolicy } from '../trust/password-policy.js';
import { hashPassword, verifyPassword } from '../trust/passwords.js';
import { INITIAL_LOCKOUT_STATE, loginGate, nextLockoutState } from '../trust/lockout.js';

export const PERSON_ROLES: PersonRole[] = ['admin', 'analyst', 'ig-lead'];
const USERNAME = /^[a-z][a-z0-9._-]{1,62}$/;

/** A generated password: 24 random bytes, shown once, like an agency's enrolment code. */
export function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}

export async function addPerson(
  db: Kysely<Database>,
  args: { username: string; role: PersonRole; password: string; createdBy: string; purposes?: string[] },
): Promise<void> {
  // Each problem names its field (details.field), as the API's schedule errors do, so a form can mark it.
  if (!USERNAME.test(args.username))
    throw new ProtocolError(
      'invalid-body',
      `username "${args.username.slice(0, 63)}" must start with a lower-case letter, then lower-case letters, ` +
        'digits, . _ - (2–63 characters)',
      { field: 'username' },
    );
  // The API's schema and the CLI check this too; here it keeps a form's stray value out of the database.
  if (!PERSON_ROLES.includes(args.role))
    throw new ProtocolError('invalid-body', `role must be one of ${PERSON_ROLES.join(', ')}`, { field: 'role' });
  const policy = checkPasswordPolicy(args.password, { username: args.username });
  if (!policy.ok) throw new ProtocolError('invalid-body', `password refused: ${policy.reasons.join('; ')}`);
  if ((args.purposes?.length ?? 0) > 0 && args.role !== 'analyst')
    throw new ProtocolError('invalid-body', 'only analysts are assigned to purposes', { field: 'purposes' });
  const hash = await hashPassword(args.password);
  await db.transaction().execute(async (trx) => {
    const exists = await trx
      .selectFrom('person')
      .select('username')
      .where('username', '=', args.username)
      .executeTakeFirst();
    if (exists)
      throw new ProtocolError('agency-exists', `a person named ${args.username} already exists`, {
        field: 'username',
      });
    await trx
      .insertInto('person')
      .values({
        username: args.username,
        role: args.role,
        password_hash: hash,
        lockout: JSON.stringify(INITIAL_LOCKOUT_STATE),
        created_by: args.createdBy,
        created_at: new Date(),
      })
      .execute();
    for (const purpose of args.purposes ?? [])
      await trx.insertInto('analyst_assignment').values({ username: args.username, purpose }).execute();
  });
}

/**
 * Check a login. Throttled per account: after a failure the next attempt must wait (1 s, 2 s, 4 s…),
 * and ten failures lock the account. A refused or failed login never says whether the user exists.
 */
export async function login(
  db: Kysely<Database>,
  username: string,
  password: string,
  now = new Date(),
): Promise<{ username: string; role: PersonRole; sessionEpoch: number }> {
  const person = await db.selectFrom('person').selectAll().where('username', '=', username).executeTakeFirst();
  if (!person) {
    await verifyPassword(null, password); // same work as a real check, so timing does not reveal unknown users
    throw new ProtocolError('bad-credentials', 'unknown user or wrong password');
  }
  const gate = loginGate(person.lockout, now);
  if (!gate.allowed) {
    const wait =
      gate.retryAfterMs === null ? 'until an admin unlocks it' : `for ${Math.ceil(gate.retryAfterMs / 1000)} s`;
    throw new ProtocolError(
      'rate-limited',
      gate.reason === 'locked'
        ? `account locked after repeated failures; try again ${wait}`
        : `too many failed logins; wait ${wait}`,
    );
  }
  const ok = await verifyPassword(person.password_hash, password);
  const next = nextLockoutState(person.lockout, ok ? 'success' : 'failure', now);
  await db
    .updateTable('person')
    .set({ lockout: JSON.stringify(next) })
    .where('username', '=', username)
    .execute();
  if (!ok) throw new ProtocolError('bad-credentials', 'unknown user or wrong password');
  return { username, role: person.role, sessionEpoch: person.session_epoch };
}

export async function unlockPerson(db: Kysely<Database>, username: string): Promise<void> {
  const r = await db
    .updateTable('person')
    .set({ lockout: JSON.stringify(INITIAL_LOCKOUT_STATE) })
    .where('username', '=', username)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) throw new ProtocolError('not-found', `no person named ${username}`);
}

export async function analystPurposes(db: Kysely<Database>, username: string): Promise<string[]> {
  return (await db.selectFrom('analyst_assignment').select('purpose').where('username', '=', username).execute()).map(
    (r) => r.purpose,
  );
}

/** Every person: name, role, purposes (analysts) and whether locked out; never a password hash. */
export async function listPeople(db: Kysely<Database>, now = Date.now()) {
  const people = await db
    .selectFrom('person')
    .select(['username', 'role', 'lockout', 'created_by'])
    .orderBy('username')
    .execute();
  const assignments = await db.selectFrom('analyst_assignment').select(['username', 'purpose']).execute();
  return people.map((p) => ({
    username: p.username,
    role: p.role,
    createdBy: p.created_by,
    purposes: assignments.filter((a) => a.username === p.username).map((a) => a.purpose),
    locked: p.lockout.locked && (p.lockout.lockedUntil === null || p.lockout.lockedUntil > now),
  }));
}
