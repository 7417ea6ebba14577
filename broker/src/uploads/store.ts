import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { ProtocolError, type UploadManifest, type UploadStatus } from '@blindlink/protocol';
import type { Database, UploadTable } from '../db/schema.js';
import type { BrokerKeyring } from '../trust/keys.js';
import { sealEncoding } from '../submissions/payload.js';
import { insertSubmissionRow, isUniqueViolation, replayError, type StoredSubmission } from '../submissions/store.js';
import type { DecodedSubmission } from '../submissions/validate.js';
import type { OpenedManifest } from './manifest.js';
import type { EnqueueReport } from '../privacy-reports/queue.js';

/** An uncommitted upload with no chunk for this long is abandoned: refused, then purged. */
export const UPLOAD_IDLE_LIFETIME_MS = 24 * 3600_000;
const BATCH = 2000;

export type UploadRow = Omit<UploadTable, 'created_at'> & { created_at: Date };

const expiresAt = (u: UploadRow) => new Date(u.updated_at.getTime() + UPLOAD_IDLE_LIFETIME_MS);
const isExpired = (u: UploadRow, now: Date) => u.committed_at === null && expiresAt(u) <= now;

export function manifestOf(u: UploadRow): UploadManifest {
  return JSON.parse(u.manifest) as UploadManifest;
}

/**
 * Open an upload for a manifest, or return the one this idempotency key already opened for the same
 * manifest (so a client that lost its place resumes). A key already used for a stored submission, or
 * for a different manifest, is refused as a single-body submission would be.
 */
export async function createUpload(
  db: Kysely<Database>,
  args: { agency: string; purpose: string; idempotencyKey: string; opened: OpenedManifest },
  now = new Date(),
): Promise<{ upload: UploadRow; created: boolean }> {
  const { agency, purpose, idempotencyKey, opened } = args;
  const digest = `sha256:${opened.digest}`;
  const find = async () => {
    const stored = await db
      .selectFrom('submission')
      .select(['id', 'digest', 'purpose'])
      .where('agency', '=', agency)
      .where('idempotency_key', '=', idempotencyKey)
      .executeTakeFirst();
    if (stored) throw await replayError(db, stored, agency, digest);
    const u = await db
      .selectFrom('upload')
      .selectAll()
      .where('agency', '=', agency)
      .where('idempotency_key', '=', idempotencyKey)
      .executeTakeFirst();
    if (!u) return undefined;
    if (u.manifest_digest !== opened.digest)
      throw new ProtocolError(
        'idempotency-key-reused',
        'this idempotency key was used for a different upload; use a new key for new data',
      );
    if (u.purpose !== purpose)
      throw new ProtocolError(
        'idempotency-key-reused',
        'this idempotency key was used for an upload to another purpose',
      );
    return u;
  };
  const existing = await find();
  if (existing && !isExpired(existing, now)) return { upload: existing, created: false };
  if (existing) await db.deleteFrom('upload').where('id', '=', existing.id).execute();

  const row = {
    id: randomUUID(),
    submission_id: randomUUID(),
    agency,
    purpose,
    idempotency_key: idempotencyKey,
    manifest: opened.text,
    manifest_digest: opened.digest,
    signature: opened.signature,
    chunk_count: opened.manifest.chunks.length,
    record_count: opened.manifest.totalRecords,
    created_at: now,
    updated_at: now,
    committed_at: null,
  };
  try {
    await db.insertInto('upload').values(row).execute();
  } catch (err) {
    // Two retries of the same manifest raced: the one that lost answers with the winner's upload.
    if (isUniqueViolation(err)) {
      const raced = await find();
      if (raced) return { upload: raced, created: false };
    }
    throw err;
  }
  return { upload: row, created: true };
}

/** The agency's own upload; another agency's is as unknown as one that never existed. */
export async function loadUpload(
  db: Kysely<Database>,
  agency: string,
  purpose: string,
  id: string,
  now = new Date(),
): Promise<UploadRow> {
  const u = await db
    .selectFrom('upload')
    .selectAll()
    .where('id', '=', id)
    .where('agency', '=', agency)
    .where('purpose', '=', purpose)
    .executeTakeFirst();
  if (!u) throw new ProtocolError('unknown-upload', 'no such upload for this agency and purpose');
  if (isExpired(u, now))
    throw new ProtocolError(
      'upload-expired',
      'this upload was abandoned (nothing arrived for a day); start again with a new manifest',
    );
  return u;
}

export async function uploadStatus(db: Kysely<Database>, u: UploadRow): Promise<UploadStatus> {
  const have = u.committed_at
    ? Array.from({ length: u.chunk_count }, (_, i) => i)
    : (await db.selectFrom('upload_chunk').select('n').where('upload_id', '=', u.id).orderBy('n').execute()).map(
        (r) => r.n,
      );
  const got = new Set(have);
  return {
    uploadId: u.id,
    purpose: u.purpose,
    chunkCount: u.chunk_count,
    totalRecords: u.record_count,
    received: have,
    missing: Array.from({ length: u.chunk_count }, (_, i) => i).filter((i) => !got.has(i)),
    committed: u.committed_at !== null,
    submissionId: u.committed_at ? u.submission_id : null,
    expiresAt: u.committed_at ? null : expiresAt(u).toISOString(),
  };
}

/** What the broker already holds as chunk n, if anything. */
export async function storedChunk(db: Kysely<Database>, uploadId: string, n: number) {
  return db
    .selectFrom('upload_chunk')
    .select(['sha256', 'record_count'])
    .where('upload_id', '=', uploadId)
    .where('n', '=', n)
    .executeTakeFirst();
}

/**
 * Stage one validated chunk: its rows (encrypted at rest under the upload's reserved submission id)
 * and the chunk's receipt, in one transaction, so a chunk is either wholly held or not at all.
 * Returns false if the same chunk was stored meanwhile by a concurrent retry. A row token that repeats
 * one of another chunk violates the staging key and is refused.
 */
export async function stageChunk(
  db: Kysely<Database>,
  keys: BrokerKeyring,
  u: UploadRow,
  n: number,
  sha256: string,
  decoded: DecodedSubmission,
  now = new Date(),
): Promise<boolean> {
  try {
    await db.transaction().execute(async (trx) => {
      // Take the upload's row lock first: a commit running now finishes before this goes on, and then
      // this chunk is refused rather than staged under an upload that will never move it.
      const live = await trx
        .updateTable('upload')
        .set({ updated_at: now })
        .where('id', '=', u.id)
        .where('committed_at', 'is', null)
        .executeTakeFirst();
      if (Number(live.numUpdatedRows) !== 1)
        throw new ProtocolError('upload-committed', 'this upload is already committed');
      await trx
        .insertInto('upload_chunk')
        .values({ upload_id: u.id, n, sha256, record_count: decoded.tokens.length, received_at: now })
        .execute();
      for (let i = 0; i < decoded.tokens.length; i += BATCH) {
        const rows = [];
        for (let j = i; j < Math.min(i + BATCH, decoded.tokens.length); j++) {
          const token = decoded.tokens[j]!;
          rows.push({
            upload_id: u.id,
            row_token: token,
            chunk: n,
            field_mask: decoded.fieldMasks[j]!,
            payload: sealEncoding(keys, u.submission_id, token, {
              clk: decoded.clks[j]!,
              fields: decoded.fields[j]!,
              blocks: decoded.blocks[j]!,
              attributes: decoded.attributes[j]!,
            }),
          });
        }
        await trx.insertInto('upload_encoding').values(rows).execute();
      }
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const raced = await storedChunk(db, u.id, n);
    if (raced) {
      if (raced.sha256 === sha256) return false;
      throw new ProtocolError('chunk-conflict', `chunk ${n} is already held with different contents`);
    }
    throw new ProtocolError(
      'duplicate-row-token',
      `a row token in chunk ${n} repeats one in an earlier chunk of this upload`,
      { chunk: n },
    );
  }
  return true;
}

/**
 * Make an upload a submission in one transaction: the submission row (through the same
 * insertSubmissionRow as single-body submissions), every staged row moved into `encoding` inside the
 * database (no row passes through the broker's memory), the staging rows deleted. Until this commits,
 * runs see nothing of the upload. A second commit answers with the stored submission.
 */
export async function commitUpload(
  db: Kysely<Database>,
  u: UploadRow,
  enqueueReport: EnqueueReport,
  beforeCommit: (trx: Kysely<Database>, manifest: UploadManifest) => Promise<void> = async () => {},
): Promise<Omit<StoredSubmission, 'outcome'> & { already: boolean }> {
  const manifest = manifestOf(u);
  const result = { id: u.submission_id, recordCount: u.record_count, digest: `sha256:${u.manifest_digest}` };
  try {
    return await db.transaction().execute(async (trx) => {
      // Lock the upload: a chunk or a second commit racing this one waits, then sees it committed.
      const locked = await trx
        .selectFrom('upload')
        .select(['committed_at'])
        .where('id', '=', u.id)
        .forUpdate()
        .executeTakeFirst();
      if (!locked) throw new ProtocolError('unknown-upload', 'no such upload for this agency and purpose');
      if (locked.committed_at) return { ...result, already: true };
      const chunks = await trx
        .selectFrom('upload_chunk')
        .select(['n', 'record_count'])
        .where('upload_id', '=', u.id)
        .execute();
      const have = new Set(chunks.map((c) => c.n));
      const missing = Array.from({ length: u.chunk_count }, (_, i) => i).filter((i) => !have.has(i));
      if (missing.length) {
        const shown = missing.slice(0, 50);
        throw new ProtocolError(
          'upload-incomplete',
          `${missing.length} of ${u.chunk_count} chunks not received: ${shown.join(', ')}` +
            `${missing.length > shown.length ? ', …' : ''}`,
          { missing: shown, missingCount: missing.length },
        );
      }
      await beforeCommit(trx, manifest);
      await insertSubmissionRow(
        trx,
        {
          id: u.submission_id,
          agency: u.agency,
          purpose: u.purpose,
          idempotencyKey: u.idempotency_key,
          header: manifest.header,
          digest: result.digest,
          recordCount: u.record_count,
          signature: { digest: u.manifest_digest, signature: u.signature },
        },
        enqueueReport,
      );
      const moved = await sql`insert into encoding (submission_id, row_token, field_mask, payload)
        select cast(${u.submission_id} as uuid), row_token, field_mask, payload from upload_encoding
        where upload_id = cast(${u.id} as uuid)`.execute(trx);
      if (Number(moved.numAffectedRows ?? -1) !== u.record_count) {
        throw new Error(`commit moved ${String(moved.numAffectedRows)} rows for an upload of ${u.record_count}`);
      }
      await trx.deleteFrom('upload_encoding').where('upload_id', '=', u.id).execute();
      await trx.deleteFrom('upload_chunk').where('upload_id', '=', u.id).execute();
      await trx.updateTable('upload').set({ committed_at: new Date() }).where('id', '=', u.id).execute();
      return { ...result, already: false };
    });
  } catch (err) {
    // A single-body submission took this idempotency key meanwhile.
    if (isUniqueViolation(err)) {
      const stored = await db
        .selectFrom('submission')
        .select(['id', 'digest', 'purpose'])
        .where('agency', '=', u.agency)
        .where('idempotency_key', '=', u.idempotency_key)
        .executeTakeFirst();
      if (stored) throw await replayError(db, stored, u.agency, result.digest);
    }
    throw err;
  }
}

/**
 * Delete uploads abandoned before commit (idle past their lifetime), with everything they staged,
 * and the bookkeeping of committed uploads whose submission is gone (purged past retention).
 */
export async function purgeAbandonedUploads(
  db: Kysely<Database>,
  opts: { now?: Date; dryRun?: boolean } = {},
): Promise<{ uploads: number; stagedRecords: number }> {
  const cutoff = new Date((opts.now ?? new Date()).getTime() - UPLOAD_IDLE_LIFETIME_MS);
  const abandoned = await db
    .selectFrom('upload')
    .select('id')
    .where('committed_at', 'is', null)
    .where('updated_at', '<=', cutoff)
    .execute();
  const ids = abandoned.map((r) => r.id);
  const staged = ids.length
    ? Number(
        (
          await db
            .selectFrom('upload_encoding')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('upload_id', 'in', ids)
            .executeTakeFirstOrThrow()
        ).n,
      )
    : 0;
  if (opts.dryRun) return { uploads: ids.length, stagedRecords: staged };
  if (ids.length) await db.deleteFrom('upload').where('id', 'in', ids).execute();
  await db
    .deleteFrom('upload')
    .where('committed_at', 'is not', null)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('submission').select('id').whereRef('submission.id', '=', 'upload.submission_id'))),
    )
    .execute();
  return { uploads: ids.length, stagedRecords: staged };
}
