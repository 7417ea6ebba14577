import { checkAttributes } from '@blindlink/policies';
import {
  type ChunkResponse,
  ProtocolError,
  type SubmissionEnvelope,
  type SubmissionResponse,
  type UploadStatus,
} from '@blindlink/protocol';
import type { Kysely } from 'kysely';
import { agencySigningKey } from '../agencies/registry.js';
import type { Database } from '../db/schema.js';
import { judgeContribution, refusal } from '../governance/judge.js';
import { checkKeyAgreement, lockPurposeSubmissions, requireKeyCheck } from '../submissions/key-check.js';
import { decodeChunk, openChunk } from '../uploads/chunk.js';
import { firstRowOf, openManifest } from '../uploads/manifest.js';
import * as store from '../uploads/store.js';
import { type AuditNote, noteDecision } from './audit-note.js';
import type { ServiceDeps } from './deps.js';

/**
 * Chunked uploads (docs/submissions.md): a signed manifest opens an upload, sealed chunks arrive in
 * any order and are validated and staged as they come, a commit makes the whole a submission at once.
 * Every step is the agency's own; a chunk is as safe to resend as the manifest.
 */

type Deps = Pick<ServiceDeps, 'db' | 'keys'>;

/** One upload of one agency for one purpose. */
export interface UploadRef {
  purpose: string;
  agency: string;
  upload: string;
}

/** The policy in force must let this agency contribute these fields; else refused (and audited). */
async function judge(
  db: Kysely<Database>,
  audit: AuditNote,
  purpose: string,
  agency: string,
  fields: readonly string[],
  attributes: readonly string[],
) {
  const { decision, policy } = await judgeContribution(db, purpose, agency, fields, attributes);
  noteDecision(audit, decision);
  if (!decision.allow) throw refusal(decision);
  return policy;
}

/** The agencies a policy lets contribute to its purpose: their current key checks must agree. */
function contributorsOf(policy: { document: { contributors: readonly { agency: string }[] } }): string[] {
  return policy.document.contributors.map((c) => c.agency);
}

/** Open an upload with a signed, sealed manifest; the same manifest again resumes the same upload. */
export async function openUpload(
  { db, keys }: Deps,
  input: { purpose: string; agency: string; idempotencyKey: string; envelope: SubmissionEnvelope },
  audit: AuditNote,
): Promise<{ status: UploadStatus; created: boolean }> {
  const { purpose, agency } = input;
  const opened = await openManifest(input.envelope, await agencySigningKey(db, agency), keys, purpose);
  const { header } = opened.manifest;
  const policy = await judge(db, audit, purpose, agency, header.schema.fields, header.attributes ?? []);
  // Refused before a chunk is sent: a file without a key check, or encoded with another secret.
  await checkKeyAgreement(db, {
    purpose,
    agency,
    contributors: contributorsOf(policy),
    header,
    keyCheck: requireKeyCheck(header),
  });
  await store.purgeAbandonedUploads(db);
  const { upload, created } = await store.createUpload(db, {
    agency,
    purpose,
    idempotencyKey: input.idempotencyKey,
    opened,
  });
  audit.counts = { records: upload.record_count, chunks: upload.chunk_count };
  audit.reason = `upload ${upload.id} ${created ? 'opened' : 'resumed'}, manifest signature verified`;
  return { status: await store.uploadStatus(db, upload), created };
}

/** Which chunks of an upload the broker holds, to resume after a dropped connection. */
export async function getUploadStatus(
  { db }: Pick<ServiceDeps, 'db'>,
  { purpose, agency, upload: id }: UploadRef,
  audit: AuditNote,
): Promise<UploadStatus> {
  const status = await store.uploadStatus(db, await store.loadUpload(db, agency, purpose, id));
  audit.counts = { received: status.received.length, missing: status.missing.length };
  audit.reason = `upload ${id}`;
  return status;
}

/**
 * Chunk n: opened, checked against the digest the signed manifest lists, validated row by row and
 * staged. `stored` is false when the same chunk was already held.
 */
export async function putChunk(
  { db, keys }: Deps,
  { purpose, agency, upload: id, n, sealed }: UploadRef & { n: number; sealed: Uint8Array },
  audit: AuditNote,
): Promise<ChunkResponse> {
  const upload = await store.loadUpload(db, agency, purpose, id);
  if (upload.committed_at) throw new ProtocolError('upload-committed', 'this upload is already committed');
  const manifest = store.manifestOf(upload);
  const spec = manifest.chunks[n];
  if (!spec)
    throw new ProtocolError(
      'invalid-body',
      `chunk ${n} is out of range: this upload has chunks 0 to ${manifest.chunks.length - 1}`,
    );
  const { plain, sha256 } = openChunk(keys, sealed);
  const held = await store.storedChunk(db, id, n);
  const answer = (stored: boolean): ChunkResponse => {
    audit.counts = { chunk: n, records: spec.records };
    audit.reason = `upload ${id} chunk ${n} ${stored ? 'validated and staged' : 'already held'}`;
    return { uploadId: id, chunk: n, records: spec.records, stored };
  };
  if (held) {
    if (held.sha256 !== sha256)
      throw new ProtocolError('chunk-conflict', `chunk ${n} is already held with different contents`);
    return answer(false);
  }
  if (sha256 !== spec.sha256)
    throw new ProtocolError(
      'chunk-digest-mismatch',
      `chunk ${n} does not match the digest the signed manifest lists for it`,
    );
  const policy = await judge(
    db,
    audit,
    purpose,
    agency,
    manifest.header.schema.fields,
    manifest.header.attributes ?? [],
  );
  const decoded = decodeChunk(
    plain,
    manifest.header,
    { records: spec.records, firstRow: firstRowOf(manifest, n) },
    (attrs, row) => {
      const r = checkAttributes(policy.document, agency, attrs);
      if (!r.ok) throw new ProtocolError('invalid-body', `records[${row}]: ${r.problem}`, { row });
      return r.value;
    },
  );
  return answer(await store.stageChunk(db, keys, upload, n, sha256, decoded));
}

/**
 * Store the whole upload as one submission, at once, its privacy report queued with it; `created` is
 * false when it was already committed.
 */
export async function commitUpload(
  { db, jobs }: Pick<ServiceDeps, 'db' | 'jobs'>,
  { purpose, agency, upload: id }: UploadRef,
  audit: AuditNote,
): Promise<{ submission: SubmissionResponse; created: boolean }> {
  const upload = await store.loadUpload(db, agency, purpose, id);
  const { header } = store.manifestOf(upload);
  // The policy must still allow the contribution when it becomes visible, not only when it began.
  const policy = upload.committed_at
    ? null
    : await judge(db, audit, purpose, agency, header.schema.fields, header.attributes ?? []);
  // Checked again under the purpose's lock, in the commit's transaction: of two agencies racing
  // with different secrets, only one is stored.
  const stored = await store.commitUpload(db, upload, jobs.enqueueReport, async (trx) => {
    if (!policy) return;
    await lockPurposeSubmissions(trx, purpose);
    await checkKeyAgreement(trx, {
      purpose,
      agency,
      contributors: contributorsOf(policy),
      header,
      keyCheck: requireKeyCheck(header),
    });
  });
  // Its privacy report was queued in the commit's transaction; a worker computes it (privacy-reports/).
  if (!stored.already) jobs.queued(stored.id);
  audit.counts = { records: stored.recordCount, chunks: upload.chunk_count };
  audit.reason = `upload ${id} ${stored.already ? 'was already committed as' : 'committed as'} submission ${stored.id}`;
  return {
    submission: { submissionId: stored.id, purpose, agency, recordCount: stored.recordCount, digest: stored.digest },
    created: !stored.already,
  };
}
