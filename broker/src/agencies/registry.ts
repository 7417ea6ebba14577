import type { Kysely } from 'kysely';
import { ProtocolError } from '@blindlink/protocol';
import type { Database } from '../db/schema.js';
import { issueClientCertificate, type CertificateAuthority } from '../trust/ca.js';
import {
  checkEnrolmentCode,
  ENROLMENT_CODE_TTL_MS,
  enrolmentCodeExpired,
  newEnrolmentCode,
} from '../trust/enrolment.js';

/** Client certificates last a year; renewal issues a new one and revokes the old. */
export const CLIENT_CERT_DAYS = 365;

/**
 * Create an agency and its one-time enrolment code. The code is shown once (only its hash is kept)
 * and expires; the agency exchanges it, with a CSR and its signing key, for a client certificate.
 */
export async function registerAgency(
  db: Kysely<Database>,
  slug: string,
  displayName: string,
  now = new Date(),
): Promise<{ slug: string; enrolmentCode: string; expiresAt: Date }> {
  const existing = await db.selectFrom('agency').select('slug').where('slug', '=', slug).executeTakeFirst();
  if (existing) throw new ProtocolError('agency-exists', `agency ${slug} is already registered`);
  const { code, hash } = newEnrolmentCode();
  const expiresAt = new Date(now.getTime() + ENROLMENT_CODE_TTL_MS);
  await db
    .insertInto('agency')
    .values({
      slug,
      display_name: displayName,
      enrolment_code_hash: hash,
      enrolment_expires_at: expiresAt,
      signing_public_key: null,
      enrolled_at: null,
      created_at: now,
    })
    .execute();
  return { slug, enrolmentCode: code, expiresAt };
}

/** A fresh enrolment code for an existing agency (lost code, or re-enrolment after a compromise). */
export async function reissueEnrolmentCode(
  db: Kysely<Database>,
  slug: string,
  now = new Date(),
): Promise<{ enrolmentCode: string; expiresAt: Date }> {
  const { code, hash } = newEnrolmentCode();
  const expiresAt = new Date(now.getTime() + ENROLMENT_CODE_TTL_MS);
  const r = await db
    .updateTable('agency')
    .set({ enrolment_code_hash: hash, enrolment_expires_at: expiresAt })
    .where('slug', '=', slug)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) throw new ProtocolError('unknown-agency', `no agency ${slug}`);
  return { enrolmentCode: code, expiresAt };
}

async function issue(trx: Kysely<Database>, ca: CertificateAuthority, slug: string, csrPem: string, now: Date) {
  let cert: ReturnType<typeof issueClientCertificate>;
  try {
    cert = issueClientCertificate(ca, csrPem, slug, CLIENT_CERT_DAYS, now);
  } catch (err) {
    throw new ProtocolError('invalid-body', `certificate signing request refused: ${(err as Error).message}`);
  }
  await trx
    .insertInto('agency_certificate')
    .values({
      serial: cert.serialHex,
      agency: slug,
      thumbprint: cert.thumbprint,
      issued_at: now,
      not_after: cert.notAfter,
      revoked_at: null,
      certificate: cert.certPem,
    })
    .execute();
  return cert;
}

/**
 * Enrolment: the code is checked (constant time, unexpired, single use), the CSR signed by our CA
 * with the agency slug as subject whatever the CSR says, and the signing key registered.
 */
export async function enrolAgency(
  db: Kysely<Database>,
  ca: CertificateAuthority,
  args: { agency: string; code: string; csrPem: string; signingPublicKey: string },
  now = new Date(),
) {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('agency')
      .selectAll()
      .where('slug', '=', args.agency)
      .forUpdate()
      .executeTakeFirst();
    const valid = row?.enrolment_code_hash && checkEnrolmentCode(args.code, row.enrolment_code_hash);
    if (!row || !valid) throw new ProtocolError('bad-credentials', 'unknown agency or wrong enrolment code');
    if (!row.enrolment_expires_at || enrolmentCodeExpired(row.enrolment_expires_at, now)) {
      throw new ProtocolError('bad-credentials', 'the enrolment code has expired; ask the broker admin for a new one');
    }
    if (Buffer.from(args.signingPublicKey, 'base64').length !== 32)
      throw new ProtocolError('invalid-body', 'signingPublicKey must be a base64 Ed25519 public key (32 bytes)');
    // Re-enrolment replaces the identity: every earlier certificate stops working now.
    await trx
      .updateTable('agency_certificate')
      .set({ revoked_at: now })
      .where('agency', '=', args.agency)
      .where('revoked_at', 'is', null)
      .execute();
    const cert = await issue(trx, ca, args.agency, args.csrPem, now);
    await trx
      .updateTable('agency')
      .set({
        enrolment_code_hash: null,
        enrolment_expires_at: null,
        signing_public_key: args.signingPublicKey,
        enrolled_at: now,
      })
      .where('slug', '=', args.agency)
      .execute();
    return cert;
  });
}

/** Renewal over mutual TLS with the current certificate: a new one is issued and the old revoked. */
export async function renewCertificate(
  db: Kysely<Database>,
  ca: CertificateAuthority,
  agency: string,
  currentSerial: string,
  csrPem: string,
  now = new Date(),
) {
  return db.transaction().execute(async (trx) => {
    const cert = await issue(trx, ca, agency, csrPem, now);
    await trx.updateTable('agency_certificate').set({ revoked_at: now }).where('serial', '=', currentSerial).execute();
    return cert;
  });
}

/** Revoke every live certificate of an agency; refused at once on the next request. */
export async function revokeAgency(db: Kysely<Database>, slug: string, now = new Date()): Promise<number> {
  const agency = await db.selectFrom('agency').select('slug').where('slug', '=', slug).executeTakeFirst();
  if (!agency) throw new ProtocolError('unknown-agency', `no agency ${slug}`);
  const r = await db
    .updateTable('agency_certificate')
    .set({ revoked_at: now })
    .where('agency', '=', slug)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** A client certificate this broker issued, by serial, and when it was revoked (null: live); undefined if none. */
export async function issuedCertificate(
  db: Kysely<Database>,
  serial: string,
): Promise<{ revokedAt: Date | null } | undefined> {
  const row = await db
    .selectFrom('agency_certificate')
    .select(['revoked_at'])
    .where('serial', '=', serial)
    .executeTakeFirst();
  return row && { revokedAt: row.revoked_at };
}

export async function agencySigningKey(db: Kysely<Database>, slug: string): Promise<string> {
  const row = await db.selectFrom('agency').select('signing_public_key').where('slug', '=', slug).executeTakeFirst();
  if (!row?.signing_public_key) throw new ProtocolError('forbidden', `agency ${slug} has not enrolled a signing key`);
  return row.signing_public_key;
}

/** Every agency with its enrolment state and certificates (newest first): the admin's view. */
export async function listAgencies(db: Kysely<Database>) {
  const agencies = await db
    .selectFrom('agency')
    .select(['slug', 'display_name', 'enrolled_at', 'enrolment_expires_at', 'enrolment_code_hash'])
    .orderBy('slug')
    .execute();
  const certs = await db
    .selectFrom('agency_certificate')
    .select(['agency', 'serial', 'issued_at', 'not_after', 'revoked_at'])
    .orderBy('issued_at', 'desc')
    .execute();
  return agencies.map((a) => ({
    slug: a.slug,
    name: a.display_name,
    enrolledAt: a.enrolled_at,
    enrolmentCodeExpiresAt: a.enrolment_code_hash ? a.enrolment_expires_at : null,
    certificates: certs
      .filter((c) => c.agency === a.slug)
      .map((c) => ({ serial: c.serial, issuedAt: c.issued_at, notAfter: c.not_after, revokedAt: c.revoked_at })),
  }));
}
