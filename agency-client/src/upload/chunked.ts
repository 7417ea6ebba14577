import sodium from 'libsodium-wrappers';
import { UPLOAD_MANIFEST_SIGNATURE_CONTEXT, type SubmissionResponse, type UploadManifest } from '@blindlink/protocol';
import { BrokerError, type BrokerClient } from '../broker-client/http.js';
import { sealSubmission } from '../identity/submission-envelope.js';
import { planChunks, readChunks, type ChunkPlan } from './chunks.js';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from './retry.js';

/**
 * Submit an encoded file of any size as a chunked upload (docs/submissions.md): plan and check the
 * file, open the upload with the signed manifest, send the chunks the broker does not hold yet (at most
 * `concurrency` in flight, each retried with backoff), commit. Run again after any failure, it finds the
 * same upload by its idempotency key and sends only what is missing.
 */

export interface UploadProgress {
  /** Records the broker holds (sent now, or already held from an earlier attempt). */
  records: number;
  totalRecords: number;
  seconds: number;
}

export interface UploadOptions {
  purpose: string;
  path: string;
  /** Default: derived from the file's digest, so running submit again resumes the same upload. */
  idempotencyKey?: string;
  maxChunkRecords?: number;
  maxChunkBytes?: number;
  /** Chunks in flight at once (each is sealed in memory while it is sent). */
  concurrency?: number;
  retry?: Partial<RetryPolicy>;
  progress?: (p: UploadProgress) => void;
  /** Told of the plan once the file has been checked. */
  onPlan?: (plan: ChunkPlan, key: string) => void;
}

export interface UploadResult extends SubmissionResponse {
  uploadId: string;
  chunks: number;
  /** Chunks sent in this call; fewer than `chunks` when resuming. */
  sent: number;
  /** Chunks the broker already held when this call began. */
  alreadyHeld: number;
  /** Sends retried after a transient failure. */
  retries: number;
  seconds: number;
}

export const defaultUploadKey = (fileSha256: string) => `upload-${fileSha256.slice(0, 48)}`;

export async function uploadEncodedFile(client: BrokerClient, opts: UploadOptions): Promise<UploadResult> {
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  let retries = 0;
  const policy: RetryPolicy = {
    ...DEFAULT_RETRY,
    ...opts.retry,
    onRetry: (what, attempt, err, wait) => {
      retries++;
      opts.retry?.onRetry?.(what, attempt, err, wait);
    },
  };
  const plan = await planChunks(opts.path, {
    ...(opts.maxChunkRecords ? { maxRecords: opts.maxChunkRecords } : {}),
    ...(opts.maxChunkBytes ? { maxBytes: opts.maxChunkBytes } : {}),
  });
  const key = opts.idempotencyKey ?? defaultUploadKey(plan.fileSha256);
  opts.onPlan?.(plan, key);

  await sodium.ready;
  const brokerKey = new Uint8Array(Buffer.from(client.brokerSealingKey(), 'base64'));
  const manifest: UploadManifest = {
    purpose: opts.purpose,
    header: plan.header,
    chunks: plan.chunks,
    totalRecords: plan.totalRecords,
  };
  const envelope = await sealSubmission(
    Buffer.from(JSON.stringify(manifest)),
    brokerKey,
    (await client.signingKey()).secretKey,
    UPLOAD_MANIFEST_SIGNATURE_CONTEXT,
  );
  const status = await withRetry('open upload', policy, () => client.openUpload(opts.purpose, envelope, key));
  const uploadId = status.uploadId;
  const alreadyHeld = status.received.length;

  let held = status.received.reduce((n, i) => n + plan.chunks[i]!.records, 0);
  const report = () => opts.progress?.({ records: held, totalRecords: plan.totalRecords, seconds: seconds() });
  let sent = 0;
  const send = async (n: number, plain: Buffer) => {
    // Sealed anew on each try: a sealed box is single-use by design (fresh ephemeral key).
    await withRetry(`chunk ${n}`, policy, () =>
      client.putChunk(opts.purpose, uploadId, n, sodium.crypto_box_seal(plain, brokerKey)),
    );
    sent++;
    held += plan.chunks[n]!.records;
    report();
  };
  if (!status.committed) {
    await sendChunks(opts.path, plan, new Set(status.missing), opts.concurrency ?? 2, send);
  }
  // Commit; if the broker says chunks are missing (it lost some? a race?), send those and try again.
  for (let round = 0; ; round++) {
    try {
      const r = await withRetry('commit', policy, () => client.commitUpload(opts.purpose, uploadId));
      return { ...r, uploadId, chunks: plan.chunks.length, sent, alreadyHeld, retries, seconds: seconds() };
    } catch (err) {
      if (!(err instanceof BrokerError) || err.code !== 'upload-incomplete' || round >= 2) throw err;
      const again = await withRetry('upload status', policy, () => client.uploadStatus(opts.purpose, uploadId));
      await sendChunks(opts.path, plan, new Set(again.missing), opts.concurrency ?? 2, send);
    }
  }
}

/** Read the file once more and send the wanted chunks, `concurrency` at a time; the first failure stops all. */
async function sendChunks(
  path: string,
  plan: ChunkPlan,
  wanted: Set<number>,
  concurrency: number,
  send: (n: number, plain: Buffer) => Promise<void>,
): Promise<void> {
  if (wanted.size === 0) return;
  const source = readChunks(path, plan);
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined) {
      // The generator is pulled by one worker at a time, so the file is read in order.
      const next = await source.next();
      if (next.done) return;
      if (!wanted.has(next.value.n)) continue;
      try {
        await send(next.value.n, next.value.plain);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  } finally {
    await source.return(undefined);
  }
  if (failed !== undefined) throw failed;
}

/** A chunk as it goes on the wire: crypto_box_seal of its plaintext to the broker's X25519 key. */
export async function sealChunk(plain: Uint8Array, brokerSealingPublicKey: Uint8Array): Promise<Uint8Array> {
  await sodium.ready;
  return sodium.crypto_box_seal(plain, brokerSealingPublicKey);
}
