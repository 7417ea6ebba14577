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
import { commitUpload, getUploadStatus, openUpload, putChunk } from '../../services/uploads.js';
import { requireRole } from '../auth.js';
import type { RouteDeps } from '../route-deps.js';

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
 * Chunked uploads (docs/submissions.md, services/uploads.ts): a signed manifest opens an upload, sealed
 * chunks arrive in any order, a commit makes the whole a submission at once. Every step is the
 * agency's own and is audited.
 */
export const uploadRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, deps) => {
  // Chunks are raw sealed bytes, never JSON or base64. Registered in this plugin only.
  app.addContentTypeParser(
    'application/octet-stream',
    { parseAs: 'buffer', bodyLimit: CHUNK_BODY_LIMIT },
    (_req, body, done) => done(null, body),
  );
  const agency = requireRole(deps.db, 'agency');

  app.post(
    '/v1/purposes/:purpose/uploads',
    {
      onRequest: agency,
      bodyLimit: UPLOAD_MANIFEST_MAX_BYTES,
      config: { audit: { action: 'upload.create' } },
      schema: {
        summary:
          'Open a chunked upload with a signed, sealed manifest (idempotent by key: the same manifest ' +
          'again answers with the same upload)',
        tags: ['submissions'],
        params: PurposeParams,
        headers: IdempotencyHeaders,
        body: SubmissionEnvelope,
        response: { 200: UploadStatus, 201: UploadStatus, ...errors },
      },
    },
    async (request, reply) => {
      const { status, created } = await openUpload(
        deps,
        {
          purpose: request.params.purpose,
          agency: request.user.sub,
          idempotencyKey: request.headers['idempotency-key'],
          envelope: request.body,
        },
        request.audit,
      );
      return reply.code(created ? 201 : 200).send(status);
    },
  );

  app.get(
    '/v1/purposes/:purpose/uploads/:upload',
    {
      onRequest: agency,
      config: { audit: { action: 'upload.status' } },
      schema: {
        summary: 'Which chunks of an upload the broker holds, to resume after a dropped connection',
        tags: ['submissions'],
        params: UploadParams,
        response: { 200: UploadStatus, ...errors },
      },
    },
    async (request) => getUploadStatus(deps, { ...request.params, agency: request.user.sub }, request.audit),
  );

  app.put(
    '/v1/purposes/:purpose/uploads/:upload/chunks/:n',
    {
      onRequest: agency,
      bodyLimit: CHUNK_BODY_LIMIT,
      config: { audit: { action: 'upload.chunk' } },
      schema: {
        summary:
          'Send chunk n: crypto_box_seal of its record lines, raw bytes (application/octet-stream). The ' +
          'same chunk again is 200; different contents 409',
        tags: ['submissions'],
        params: ChunkParams,
        response: { 200: ChunkResponse, 201: ChunkResponse, ...errors },
      },
    },
    async (request, reply) => {
      const { purpose, upload } = request.params;
      if (!Buffer.isBuffer(request.body))
        throw new ProtocolError('unsupported-media-type', 'send the sealed chunk as application/octet-stream');
      const chunk = await putChunk(
        deps,
        { purpose, upload, agency: request.user.sub, n: Number(request.params.n), sealed: request.body },
        request.audit,
      );
      return reply.code(chunk.stored ? 201 : 200).send(chunk);
    },
  );

  app.post(
    '/v1/purposes/:purpose/uploads/:upload/commit',
    {
      onRequest: agency,
      bodyLimit: 1024,
      config: { audit: { action: 'upload.commit' } },
      schema: {
        summary: 'Store the whole upload as one submission, at once; 409 naming the chunks still missing',
        tags: ['submissions'],
        params: UploadParams,
        response: { 200: SubmissionResponse, 201: SubmissionResponse, ...errors },
      },
    },
    async (request, reply) => {
      const { submission, created } = await commitUpload(
        deps,
        { ...request.params, agency: request.user.sub },
        request.audit,
      );
      return reply.code(created ? 201 : 200).send(submission);
    },
  );
};
