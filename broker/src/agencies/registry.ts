import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ProtocolError } from '@blindlink/protocol';
import type { Database } from '../db/schema.js';

/**
 * Agency credentials are 32 random bytes: high entropy, so a plain SHA-256 at rest is enough (a slow
 * password hash protects guessable secrets, not random ones). The credential is shown once.
 */
function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export async function registerAgency(db: Kysely<Database>, slug: string, displayName: string): Promise<{ slug: string; secret: string }> {
  const existing = await db.selectFrom('agency').select('slug').where('slug', '=', slug).executeTakeFirst();
  if (existing) throw new ProtocolError('agency-exists', `agency ${slug} is already registered`);
  const secret = randomBytes(32).toString('base64url');
  await db.insertInto('agency').values({ slug, display_name: displayName, secret_hash: hashSecret(secret), created_at: new Date() }).execute();
  return { slug, secret };
}

/** True when the credential belongs to the agency; compares in constant time. */
export async function checkAgencyCredential(db: Kysely<Database>, slug: string, secret: string): Promise<boolean> {
  const row = await db.selectFrom('agency').select('secret_hash').where('slug', '=', slug).executeTakeFirst();
  const presented = Buffer.from(hashSecret(secret), 'hex');
  // Compare against a dummy when the agency is unknown so timing does not reveal which agencies exist.
  const stored = Buffer.from(row?.secret_hash ?? hashSecret('unknown agency placeholder'), 'hex');
  return timingSafeEqual(presented, stored) && row !== undefined;
}
