import { sql, type Kysely } from 'kysely';
import { ProtocolError, type EncodedHeader } from '@blindlink/protocol';
import type { Database } from '../db/schema.js';

/**
 * One linkage secret per purpose. Every encoded file carries a key check value derived from the
 * secret (agency-client/src/encode/keys.ts): equal values mean the same secret and schema version.
 * Files encoded with another secret share no bits with the rest, so linking them "succeeds" with no
 * matches at all; the broker refuses them instead, naming the agencies, never the values (they are
 * not secret, but nothing gains from printing them).
 */

/** The header's key check, or a 400 saying to re-encode: files written before key checks have none. */
export function requireKeyCheck(header: EncodedHeader): string {
  if (!header.keyCheck) {
    throw new ProtocolError(
      'key-check-missing',
      'header.keyCheck is missing: the file was encoded by an older blindlink-agency; encode it again ' +
        'with the current version and submit the new file',
      { field: 'header.keyCheck' },
    );
  }
  return header.keyCheck;
}

/**
 * Serialises the key check and the store of submissions to one purpose until the transaction ends,
 * so two agencies submitting at once with different secrets cannot both be stored: the second sees
 * the first's committed row. PostgreSQL and PGlite both have transaction-scoped advisory locks.
 */
export async function lockPurposeSubmissions(trx: Kysely<Database>, purpose: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`blindlink/submissions/${purpose}`}, 0))`.execute(trx);
}

/**
 * Refuses (409 linkage-secret-mismatch) a submission whose key check differs from the current
 * submission of another contributor to the purpose with the same schema id and version (under
 * another schema version every key differs, and the run refuses mixed schemas anyway). Submissions
 * stored before key checks existed have none and are not compared.
 */
export async function checkKeyAgreement(
  db: Kysely<Database>,
  args: { purpose: string; agency: string; contributors: readonly string[]; header: EncodedHeader; keyCheck: string },
): Promise<void> {
  const others = args.contributors.filter((a) => a !== args.agency);
  if (others.length === 0) return;
  const current = await db
    .selectFrom('submission')
    .distinctOn('agency')
    .select(['agency', 'key_check', 'schema_id', 'schema_version'])
    .where('purpose', '=', args.purpose)
    .where('agency', 'in', others)
    .orderBy('agency')
    .orderBy('current_at', 'desc')
    .orderBy('id')
    .execute();
  const differing = current
    .filter(
      (s) =>
        s.key_check !== null &&
        s.schema_id === args.header.schema.id &&
        s.schema_version === args.header.schema.version &&
        s.key_check !== args.keyCheck,
    )
    .map((s) => s.agency);
  if (differing.length > 0) {
    throw new ProtocolError(
      'linkage-secret-mismatch',
      `encoded with a different linkage secret than ${names(differing)}'s current submission` +
        `${differing.length > 1 ? 's' : ''} for ${args.purpose}: every agency of a purpose must encode with ` +
        `the same secret; nothing was stored`,
      { agencies: differing },
    );
  }
}

/**
 * For a run: why the given submissions cannot be linked together, or null when every key check that
 * is known agrees. Names the agencies that differ from the largest group of agreeing ones. Pure.
 */
export function keyCheckMismatch(
  subs: readonly { agency: string; key_check: string | null }[],
  what = 'the current submissions',
): string | null {
  const groups = new Map<string, string[]>();
  for (const s of subs)
    if (s.key_check !== null) groups.set(s.key_check, [...(groups.get(s.key_check) ?? []), s.agency]);
  if (groups.size < 2) return null;
  const [reference, ...rest] = [...groups.values()].sort((a, b) => b.length - a.length || a[0]!.localeCompare(b[0]!));
  const differing = rest.flat().sort();
  return (
    `${what} were encoded with different linkage secrets: ${names(differing)} differ` +
    `${differing.length > 1 ? '' : 's'} from ${names(reference!)}; every agency must encode with the same ` +
    `secret and submit again`
  );
}

function names(list: readonly string[]): string {
  return list.length <= 1 ? (list[0] ?? '') : `${list.slice(0, -1).join(', ')} and ${list.at(-1)}`;
}
