import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ProtocolError, type EncodedHeader } from '@blindlink/protocol';
import type { Database } from '../db/schema.js';
import type { BrokerKeyring } from '../trust/keys.js';
import { sealEncoding } from './payload.js';
import type { DecodedSubmission } from './validate.js';

const BATCH = 2000;

export interface StoredSubmission {
  id: string;
  recordCount: number;
  digest: string;
}

export function replayError(existing: { id: string; digest: string }, digest: string): ProtocolError {
  return existing.digest === digest
    ? new ProtocolError('submission-already-stored', `this upload was already stored as submission ${existing.id}`, { submissionId: existing.id })
    : new ProtocolError('idempotency-key-reused', 'this idempotency key was used for a different upload; use a new key for new data');
}

export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}

export interface SubmissionRow {
  id: string;
  agency: string;
  purpose: string;
  idempotencyKey: string;
  header: EncodedHeader;
  digest: string;
  recordCount: number;
  signature: { digest: string; signature: string };
}

/**
 * The submission row itself, inside the caller's transaction: the one place both a single-body
 * submission and a chunked upload's commit (uploads/commit.ts) become visible to runs, so checks
 * that must hold for every stored submission belong here.
 */
export async function insertSubmissionRow(trx: Kysely<Database>, row: SubmissionRow): Promise<void> {
  const { header } = row;
  await trx
    .insertInto('submission')
    .values({
      id: row.id,
      agency: row.agency,
      purpose: row.purpose,
      idempotency_key: row.idempotencyKey,
      digest: row.digest,
      schema_id: header.schema.id,
      schema_version: header.schema.version,
      schema_fingerprint: header.schema.fingerprint,
      clk_bits: header.clkBits,
      record_count: row.recordCount,
      header: JSON.stringify(header),
      signature: row.signature.signature,
      signed_digest: row.signature.digest,
      created_at: new Date(),
    })
    .execute();
}

/**
 * Store a submission and all its encodings in one transaction: a failure part-way leaves nothing.
 * The same idempotency key is stored once, whether retries arrive in sequence or race.
 */
export async function storeSubmission(
  db: Kysely<Database>,
  keys: BrokerKeyring,
  args: {
    agency: string;
    purpose: string;
    idempotencyKey: string;
    header: EncodedHeader;
    decoded: DecodedSubmission;
    /** The agency's signature over the sealed body's digest, kept for non-repudiation. */
    signature: { digest: string; signature: string };
  },
): Promise<StoredSubmission> {
  const { agency, purpose, idempotencyKey, header, decoded } = args;
  const existing = await db
    .selectFrom('submission')
    .select(['id', 'digest'])
    .where('agency', '=', agency)
    .where('idempotency_key', '=', idempotencyKey)
    .executeTakeFirst();
  if (existing) throw replayError(existing, decoded.digest);

  const id = randomUUID();
  try {
    await db.transaction().execute(async (trx) => {
      await insertSubmissionRow(trx, { id, agency, purpose, idempotencyKey, header, digest: decoded.digest, recordCount: decoded.tokens.length, signature: args.signature });
      for (let i = 0; i < decoded.tokens.length; i += BATCH) {
        const rows = [];
        for (let j = i; j < Math.min(i + BATCH, decoded.tokens.length); j++) {
          const token = decoded.tokens[j]!;
          rows.push({
            submission_id: id,
            row_token: token,
            field_mask: decoded.fieldMasks[j]!,
            payload: sealEncoding(keys, id, token, { clk: decoded.clks[j]!, fields: decoded.fields[j]!, blocks: decoded.blocks[j]!, attributes: decoded.attributes[j]! }),
          });
        }
        await trx.insertInto('encoding').values(rows).execute();
      }
    });
  } catch (err) {
    if (isUniqueViolation(err)) {
      const raced = await db
        .selectFrom('submission')
        .select(['id', 'digest'])
        .where('agency', '=', agency)
        .where('idempotency_key', '=', idempotencyKey)
        .executeTakeFirst();
      if (raced) throw replayError(raced, decoded.digest);
    }
    throw err;
  }
  return { id, recordCount: decoded.tokens.length, digest: decoded.digest };
}

/** The newest submission of each agency for a purpose. */
export async function latestSubmissions(db: Kysely<Database>, purpose: string) {
  const rows = await db
    .selectFrom('submission')
    .selectAll()
    .where('purpose', '=', purpose)
    .orderBy('agency')
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();
  const latest = new Map<string, (typeof rows)[number]>();
  for (const r of rows) if (!latest.has(r.agency)) latest.set(r.agency, r);
  return [...latest.values()];
}
