import type { EnrolmentCodeResponse as EnrolmentCodeSchema } from '@blindlink/protocol';
import type { Static } from 'typebox';
import * as registry from '../agencies/registry.js';
import type { AuditNote } from './audit-note.js';
import type { ServiceDeps } from './deps.js';

/** The admin's part in an agency's life: create it, issue a new enrolment code, revoke it. */

type Deps = Pick<ServiceDeps, 'db'>;
type EnrolmentCodeResponse = Static<typeof EnrolmentCodeSchema>;

/** Create an agency; its one-time enrolment code is returned once. */
export async function registerAgency(
  { db }: Deps,
  { agency, name }: { agency: string; name: string },
  audit: AuditNote,
): Promise<EnrolmentCodeResponse> {
  const r = await registry.registerAgency(db, agency, name);
  audit.reason = `agency ${r.slug} registered`;
  return { agency: r.slug, enrolmentCode: r.enrolmentCode, expiresAt: r.expiresAt.toISOString() };
}

/** A new enrolment code (re-enrolment). */
export async function reissueEnrolmentCode(
  { db }: Deps,
  agency: string,
  audit: AuditNote,
): Promise<EnrolmentCodeResponse> {
  const r = await registry.reissueEnrolmentCode(db, agency);
  audit.reason = `new enrolment code for ${agency}`;
  return { agency, enrolmentCode: r.enrolmentCode, expiresAt: r.expiresAt.toISOString() };
}

/** Revoke every certificate of an agency, at once; returns how many were live. */
export async function revokeAgency({ db }: Deps, agency: string, audit: AuditNote): Promise<number> {
  const revoked = await registry.revokeAgency(db, agency);
  audit.reason = `${revoked} certificate(s) of ${agency} revoked`;
  return revoked;
}

/** Every agency, its enrolment and its certificates with expiry and revocation. */
export async function listAgencies({ db }: Deps) {
  return registry.listAgencies(db);
}
