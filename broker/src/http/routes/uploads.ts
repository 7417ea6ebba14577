import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  ChunkParams,
  ChunkResponse,
  ErrorBody,
  IdempotencyHeaders,
  ProtocolError,
  PurposeParams,
  SEALED_BOX_OVERHEAD,
  SubmissionEnvelope,
  SubmissionResponse,
  UPLOAD_CHUNK_MAX_BYTES,
  UPLOAD_MANIFEST_MAX_BYTES,
  UploadParams,
  UploadStatus,
} from '@blindlink/protocol';
import { checkAttributes } from '@blindlink/policies';
import { agencySigningKey } from '../../agencies/registry.js';
import { judgeContribution, refusal } from '../../policies/judge.js';
import { checkKeyAgreement, lockPurposeSubmissions, requireKeyCheck } from '../../submissions/key-check.js';
import { decodeChunk, openChunk } from '../../uploads/chunk.js';
import { firstRowOf, openManifest } from '../../uploads/manifest.js';
import {
  commitUpload,
  createUpload,
  loadUpload,
  manifestOf,
  purgeAbandonedUploads,
  stageChunk,
  storedChunk,
  uploadStatus,
} from '../../uploads/store.js';
import { requireRole } from '../auth.js';
import type { RouteDeps } from '../app.js';
import type { FastifyRequest } from 'fastify';

/** The largest chunk body: the largest plaintext chunk, sealed. */
export const CHUNK_BODY_LIMIT = UPLOAD_CHUNK_MAX_BYTES + SEALED_BOX_OVERHEAD;

const errors = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  410: ErrorBody,
  413: ErrorBody,
  415: ErrorBody,
};

/**
 * Chunked uploads (docs/submissions.md): a signed manifest opens an upload, sealed chunks arrive in
 * any order and are validated and staged as they come, a commit makes the whole a submission at once.
 * Every step is the agency's own and is audited; a chunk is as safe to resend as the manifest.
 */
export const uploadRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { db, keys }) => {
  // Chunks are raw sealed bytes, never JSON or base64. Registered in this plugin only.
  app.addContentTypeParser(
    'application/octet-stream',
    { parseAs: 'buffer', bodyLimit: CHUNK_BODY_LIMIT },
    (_req, body, done) => done(null, body),
  );

  const judge = async (
    request: FastifyRequest,
    purpose: string,
    agency: string,
    fields: readonly string[],
    attributes: readonly string[],
  ) => {
    const { decision, policy } = await judgeContribution(db, purpose, agency, fields, attributes);
    Object.assign(request.audit, {
      policyId: decision.policyId,
      policyVersion: decision.policyVersion,
      policyRule: decision.rule,
    });
    if (!decision.allow) throw refusal(decision);
    return policy;
  };

  app.post(
    '/v1/purposes/:purpose/uploads',
    {
      onRequest: requireRole(db, 'agency'),
      bodyLimit: UPLOAD_MANIFEST_MAX_BYTES,
      schema: {
        summary:
          'Open a chunked upload with a signed, sealed manifest (idempotent by key: the same manifest again answers with the same upload)',
        tags: ['submissions'],
        params: PurposeParams,
        headers: IdempotencyHeaders,
        body: SubmissionEnvelope,
        response: { 200: UploadStatus, 201: UploadStatus, ...errors },
      },
    },
    async (request, reply) => {
      const { purpose } = request.params;
      const agency = request.user.sub;
      request.audit.action = 'upload.create';
      request.audit.purpose = purpose;
      const opened = await openManifest(request.body, await agencySigningKey(db, agency), keys, purpose);
      const { header } = opened.manifest;
      const policy = await judge(request, purpose, agency, header.schema.fields, header.attributes ?? []);
      // Refused before a chunk is sent: a file without a key check, or encoded with another secret.
      await checkKeyAgreement(db, {
        purpose,
        agency,
        contributors: contributorsOf(policy),
        header,
        keyCheck: requireKeyCheck(header),
      });
      await purgeAbandonedUploads(db);
      const { upload, created } = await createUpload(db, {
        agency,
        purpose,
        idempotencyKey: request.headers['idempotency-key'],
        opened,
      });
      request.audit.counts = { records: upload.record_count, chunks: upload.chunk_count };
      request.audit.reason = `upload ${upload.id} ${created ? 'opened' : 'resumed'}, manifest signature verified`;
      return reply.code(created ? 201 : 200).send(await uploadStatus(db, upload));
    },
  );

  app.get(
    '/v1/purposes/:purpose/uploads/:upload',
    {
      onRequest: requireRole(db, 'agency'),
      schema: {
        summary: 'Which chunks of an upload the broker holds, to resume after a dropped connection',
        tags: ['submissions'],
        params: UploadParams,
        response: { 200: UploadStatus, ...errors },
      },
    },
    async (request) => {
      const { purpose, upload: id } = request.params;
      request.audit.action = 'upload.status';
      request.audit.purpose = purpose;
      const status = await uploadStatus(db, await loadUpload(db, request.user.sub, purpose, id));
      request.audit.counts = { received: status.received.length, missing: status.missing.length };
      request.audit.reason = `upload ${id}`;
      return status;
    },
  );

  app.put(
    '/v1/purposes/:purpose/uploads/:upload/chunks/:n',
    {
      onRequest: requireRole(db, 'agency'),
      bodyLimit: CHUNK_BODY_LIMIT,
      schema: {
        summary:
          'Send chunk n: crypto_box_seal of its record lines, raw bytes (application/octet-stream). The same chunk again is 200; different contents 409',
        tags: ['submissions'],
        params: ChunkParams,
        response: { 200: ChunkResponse, 201: ChunkResponse, ...errors },
      },
    },
    async (request, reply) => {
      const { purpose, upload: id } = request.params;
      const n = Number(request.params.n);
      const agency = request.user.sub;
      request.audit.action = 'upload.chunk';
      request.audit.purpose = purpose;
      if (!Buffer.isBuffer(request.body))
        throw new ProtocolError('unsupported-media-type', 'send the sealed chunk as application/octet-stream');
      const upload = await loadUpload(db, agency, purpose, id);
      if (upload.committed_at) throw new ProtocolError('upload-committed', 'this upload is already committed');
      const manifest = manifestOf(upload);
      const spec = manifest.chunks[n];
      if (!spec)
        throw new ProtocolError(
          'invalid-body',
          `chunk ${n} is out of range: this upload has chunks 0 to ${manifest.chunks.length - 1}`,
        );
      const { plain, sha256 } = openChunk(keys, request.body);
      const held = await storedChunk(db, id, n);
      const answer = (code: number, stored: boolean) => {
        request.audit.counts = { chunk: n, records: spec.records };
        request.audit.reason = `upload ${id} chunk ${n} ${stored ? 'validated and staged' : 'already held'}`;
        return reply.code(code).send({ uploadId: id, chunk: n, records: spec.records, stored });
      };
      if (held) {
        if (held.sha256 !== sha256)
          throw new ProtocolError('chunk-conflict', `chunk ${n} is already held with different contents`);
        return answer(200, false);
      }
      if (sha256 !== spec.sha256)
        throw new ProtocolError(
          'chunk-digest-mismatch',
          `chunk ${n} does not match the digest the signed manifest lists for it`,
        );
      const policy = await judge(
        request,
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
      const stored = await stageChunk(db, keys, upload, n, sha256, decoded);
      return answer(stored ? 201 : 200, stored);
    },
  );

  app.post(
    '/v1/purposes/:purpose/uploads/:upload/commit',
    {
      onRequest: requireRole(db, 'agency'),
      bodyLimit: 1024,
      schema: {
        summary: 'Store the whole upload as one submission, at once; 409 naming the chunks still missing',
        tags: ['submissions'],
        params: UploadParams,
        response: { 200: SubmissionResponse, 201: SubmissionResponse, ...errors },
      },
    },
    async (request, reply) => {
      const { purpose, upload: id } = request.params;
      const agency = request.user.sub;
      request.audit.action = 'upload.commit';
      request.audit.purpose = purpose;
      const upload = await loadUpload(db, agency, purpose, id);
      const { header } = manifestOf(upload);
      // The policy must still allow the contribution when it becomes visible, not only when it began.
      const policy = upload.committed_at
        ? null
        : await judge(request, purpose, agency, header.schema.fields, header.attributes ?? []);
      // Checked again under the purpose's lock, in the commit's transaction: of two agencies racing
      // with different secrets, only one is stored.
      const stored = await commitUpload(db, upload, async (trx) => {
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
      request.audit.counts = { records: stored.recordCount, chunks: upload.chunk_count };
      request.audit.reason = `upload ${id} ${stored.already ? 'was already committed as' : 'committed as'} submission ${stored.id}`;
      return reply
        .code(stored.already ? 200 : 201)
        .send({ submissionId: stored.id, purpose, agency, recordCount: stored.recordCount, digest: stored.digest });
    },
  );
};

/** The agencies a policy lets contribute to its purpose: their current key checks must agree. */
function contributorsOf(policy: { document: { contributors: readonly { agency: string }[] } }): string[] {
  return policy.document.contributors.map((c) => c.agency);
}
