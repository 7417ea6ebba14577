import type { NewPersonRequest, NewPersonResponse } from '@blindlink/protocol';
import type { Static } from 'typebox';
import * as accounts from '../people/accounts.js';
import type { AuditNote } from './audit-note.js';
import { actorOf, type Caller } from './caller.js';
import type { ServiceDeps } from './deps.js';

type Deps = Pick<ServiceDeps, 'db'>;

/** The roles a person can hold. */
export const PERSON_ROLES = accounts.PERSON_ROLES;

/** Add a person (an admin, or the operator); a generated password is returned once, never stored in the clear. */
export async function addPerson(
  { db }: Deps,
  admin: Caller,
  request: Static<typeof NewPersonRequest>,
  audit: AuditNote,
): Promise<Static<typeof NewPersonResponse>> {
  const password = accounts.generatePassword();
  await accounts.addPerson(db, { ...request, password, createdBy: actorOf(admin) });
  audit.reason = `${request.role} ${request.username} added`;
  return { username: request.username, role: request.role, password };
}

/** Unlock an account locked after failed logins. */
export async function unlockPerson({ db }: Deps, username: string, audit: AuditNote): Promise<void> {
  await accounts.unlockPerson(db, username);
  audit.reason = `${username} unlocked`;
}

/** Every person with role, purposes and lockout state. */
export async function listPeople({ db }: Deps) {
  return accounts.listPeople(db);
}
