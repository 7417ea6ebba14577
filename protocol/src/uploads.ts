import Type, { type Static } from 'typebox';
import { EncodedHeader } from './encoded.js';

/**
 * Chunked uploads: a large encoded dataset goes up as one signed manifest and many sealed chunks, so
 * neither side ever holds the whole dataset in memory (docs/submissions.md).
 *
 * - The manifest (UploadManifest, JSON) travels in a SubmissionEnvelope signed under
 *   UPLOAD_MANIFEST_SIGNATURE_CONTEXT (not the single-body context, so one can never pass for the other).
 * - Chunk n's plaintext is the encoded file's record lines n·k … in file order, each ending in "\n"
 *   (UTF-8); the manifest lists its record count and the SHA-256 of those plaintext bytes.
 * - On the wire a chunk is crypto_box_seal(plaintext, broker X25519 key), sent as raw bytes
 *   (application/octet-stream): no base64, no JSON around it.
 */

export const UPLOAD_MANIFEST_SIGNATURE_CONTEXT = 'blindlink/upload-manifest/v1';
/** Largest plaintext chunk the broker accepts; the client cuts chunks well under it. */
export const UPLOAD_CHUNK_MAX_BYTES = 8 * 1024 * 1024;
/** crypto_box_seal adds an ephemeral public key and a MAC. */
export const SEALED_BOX_OVERHEAD = 48;
/** At most this many chunks in one upload (with 10,000-record chunks: 100 million records). */
export const UPLOAD_MAX_CHUNKS = 10_000;
/** Largest accepted (sealed, base64) manifest envelope, bytes. */
export const UPLOAD_MANIFEST_MAX_BYTES = 2 * 1024 * 1024;

const Sha256Hex = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256, lower-case hex' });

export const UploadChunkSpec = Type.Object(
  {
    records: Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Records in this chunk' }),
    sha256: Sha256Hex,
  },
  { additionalProperties: false },
);
export type UploadChunkSpec = Static<typeof UploadChunkSpec>;

/** The decrypted, signed body that opens an upload. */
export const UploadManifest = Type.Object(
  {
    /** The purpose it is for: a manifest signed for one purpose cannot be replayed to another. */
    purpose: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
    header: EncodedHeader,
    chunks: Type.Array(UploadChunkSpec, { minItems: 1, maxItems: UPLOAD_MAX_CHUNKS }),
    totalRecords: Type.Integer({ minimum: 1 }),
  },
  { $id: 'UploadManifest', additionalProperties: false },
);
export type UploadManifest = Static<typeof UploadManifest>;

export const UploadParams = Type.Object(
  { purpose: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }), upload: Type.String({ format: 'uuid' }) },
  { additionalProperties: false },
);
export type UploadParams = Static<typeof UploadParams>;

/** Path parameters arrive as text: the chunk number is a digit string. */
export const ChunkParams = Type.Object(
  {
    purpose: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
    upload: Type.String({ format: 'uuid' }),
    n: Type.String({ pattern: '^(0|[1-9][0-9]{0,5})$' }),
  },
  { additionalProperties: false },
);
export type ChunkParams = Static<typeof ChunkParams>;

export const UploadStatus = Type.Object(
  {
    uploadId: Type.String({ format: 'uuid' }),
    purpose: Type.String(),
    chunkCount: Type.Integer(),
    totalRecords: Type.Integer(),
    /** Chunk numbers the broker holds, ascending. */
    received: Type.Array(Type.Integer()),
    /** Chunk numbers still to send, ascending. */
    missing: Type.Array(Type.Integer()),
    committed: Type.Boolean(),
    submissionId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'When an uncommitted upload is purged if nothing more arrives',
    }),
  },
  { $id: 'UploadStatus', additionalProperties: false },
);
export type UploadStatus = Static<typeof UploadStatus>;

export const ChunkResponse = Type.Object(
  {
    uploadId: Type.String({ format: 'uuid' }),
    chunk: Type.Integer(),
    records: Type.Integer(),
    /** False when this chunk was already held (a retry): nothing changed. */
    stored: Type.Boolean(),
  },
  { $id: 'ChunkResponse', additionalProperties: false },
);
export type ChunkResponse = Static<typeof ChunkResponse>;
