import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ProtocolError, type EncodedHeader } from '@blindlink/protocol';
import type { Database } from '../db/schema.js';
import { type EnqueueReport, queuePrivacyReport } from '../privacy-reports/queue.js';
import type { BrokerKeyring } from '../trust/keys.js';
import { checkKeyAgreement, lockPurposeSubmissions, requireKeyCheck } from './key-check.js';
import { currentSubmission, identicalSubmission, makeCurrent } from './current.js';
import { sealEncoding } from './payload.js';
import type { DecodedSubmission } from './validate.js';

const BATCH = 2000;

export interface StoredSubmission {
  id: string;
  recordCount: number;
  digest: string;
  /**
   * 'stored': new; 'made-current': identical to an earlier submission, which is current again;
   * 'already-current': identical to the current submission, nothing changed.
   */
  outcome: 'stored' | 'made-current' | 'already-current';
}

/**
 * The same idempotency key again is a retry of one request, never a decision to go back to a file:
 * answered as before, saying whether that submission is still the current one.
 */
export async function replayError(
  db: Kysely<Database>,
  existing: { id: string; digest: string; purpose: string },
  agency: string,
  digest: string,
): Promise<ProtocolError> {
  if (existing.digest !== digest)
    return new ProtocolError(
      'idempotency-key-reused',
      'this idempotency key was used for a different upload; use a new key for new data',
    );
  const current = await currentSubmission(db, agency, existing.purpose);
  return current?.id === existing.id
    ? new ProtocolError(
        'submission-already-stored',
        `this upload was already stored as submission ${existing.id} (a retry with the same idempotency ` +
          `key), which is the current submission`,
        { submissionId: existing.id, current: true },
      )
    : new ProtocolError(
        'submission-already-stored',
        `this upload was already stored as submission ${existing.id} (a retry with the same idempotency ` +
          `key), but it is no longer the current submission: ${current?.id ?? 'another'} replaced it; to ` +
          `make it current again, submit it with a new idempotency key`,
        { submissionId: existing.id, current: false },
      );
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
  /** Stored and made current at; default now. */
  at?: Date;
}

/**
 * The submission row itself, inside the caller's transaction: the one place both a single-body
 * submission and a chunked upload's commit (uploads/commit.ts) become visible to runs, so checks
 * that must hold for every stored submission belong here, and its privacy report is queued here.
 */
export async function insertSubmissionRow(
  trx: Kysely<Database>,
  row: SubmissionRow,
  enqueueReport: EnqueueReport,
): Promise<void> {
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
      key_check: header.keyCheck ?? null,
      created_at: row.at ?? new Date(),
      current_at: row.at ?? new Date(),
    })
    .execute();
  await queuePrivacyReport(trx, row.id, enqueueReport);
}

/**
 * Store a submission and all its encodings in one transaction: a failure part-way leaves nothing.
 * The same idempotency key is stored once, whether retries arrive in sequence or race. An upload
 * identical to an earlier one (same digest) under a new key makes that one current again. Either is
 * refused when its key check differs from another contributor's current submission; the check runs
 * again under a per-purpose lock just before commit, so of two racing agencies only one is stored.
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
    /** The purpose's contributors under the policy in force: their current key checks must agree. */
    contributors: readonly string[];
    /** Queues the stored submission's privacy report (jobs/queue.ts). */
    enqueueReport: EnqueueReport;
  },
): Promise<StoredSubmission> {
  const { agency, purpose, idempotencyKey, header, decoded } = args;
  const keyCheck = requireKeyCheck(header);
  const agreement = { purpose, agency, contributors: args.contributors, header, keyCheck };
  const existing = await db
    .selectFrom('submission')
    .select(['id', 'digest', 'purpose'])
    .where('agency', '=', agency)
    .where('idempotency_key', '=', idempotencyKey)
    .executeTakeFirst();
  if (existing) throw await replayError(db, existing, agency, decoded.digest);

  const identical = await identicalSubmission(db, agency, purpose, decoded.digest);
  if (identical) {
    const madeCurrent = await db.transaction().execute(async (trx) => {
      await lockPurposeSubmissions(trx, purpose);
      await checkKeyAgreement(trx, agreement);
      // Stored before reports existed, its report may never have been queued.
      await queuePrivacyReport(trx, identical.id, args.enqueueReport);
      return makeCurrent(trx, { id: identical.id, agency, purpose }, new Date());
    });
    return {
      id: identical.id,
      recordCount: identical.record_count,
      digest: decoded.digest,
      outcome: madeCurrent ? 'made-current' : 'already-current',
    };
  }

  // Refuse early, before the encodings are written; the locked check below settles races.
  await checkKeyAgreement(db, agreement);
  const id = randomUUID();
  const now = new Date();
  try {
    await db.transaction().execute(async (trx) => {
      await insertSubmissionRow(
        trx,
        {
          id,
          agency,
          purpose,
          idempotencyKey,
          header,
          digest: decoded.digest,
          recordCount: decoded.tokens.length,
          signature: args.signature,
          at: now,
        },
        args.enqueueReport,
      );
      for (let i = 0; i < decoded.tokens.length; i += BATCH) {
        const rows = [];
        for (let j = i; j < Math.min(i + BATCH, decoded.tokens.length); j++) {
          const token = decoded.tokens[j]!;
          rows.push({
            submission_id: id,
            row_token: token,
            field_mask: decoded.fieldMasks[j]!,
            payload: sealEncoding(keys, id, token, {
              clk: decoded.clks[j]!,
              fields: decoded.fields[j]!,
              blocks: decoded.blocks[j]!,
              attributes: decoded.attributes[j]!,
            }),
          });
        }
        await trx.insertInto('encoding').values(rows).execute();
      }
      await lockPurposeSubmissions(trx, purpose);
      await checkKeyAgreement(trx, agreement);
    });
  } catch (err) {
    if (isUniqueViolation(err)) {
      const raced = await db
        .selectFrom('submission')
        .select(['id', 'digest', 'purpose'])
        .where('agency', '=', agency)
        .where('idempotency_key', '=', idempotencyKey)
        .executeTakeFirst();
      if (raced) throw await replayError(db, raced, agency, decoded.digest);
    }
    throw err;
  }
  return { id, recordCount: decoded.tokens.length, digest: decoded.digest, outcome: 'stored' };
}

/** The current submission of each agency for a purpose (see current.ts). */
export async function latestSubmissions(db: Kysely<Database>, purpose: string) {
  const rows = await db
    .selectFrom('submission')
    .selectAll()
    .where('purpose', '=', purpose)
    .orderBy('agency')
    .orderBy('current_at', 'desc')
    .orderBy('id')
    .execute();
  const latest = new Map<string, (typeof rows)[number]>();
  for (const r of rows) if (!latest.has(r.agency)) latest.set(r.agency, r);
  return [...latest.values()];
}
