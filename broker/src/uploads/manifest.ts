import { Compile } from 'typebox/compile';
import {
  ProtocolError,
  UPLOAD_MANIFEST_SIGNATURE_CONTEXT,
  UploadManifest,
  type SubmissionEnvelope,
} from '@blindlink/protocol';
import type { BrokerKeyring } from '../trust/keys.js';
import { EnvelopeError, openSubmission } from '../trust/submission-envelope.js';

const checkManifest = Compile(UploadManifest);

export interface OpenedManifest {
  manifest: UploadManifest;
  /** The manifest bytes as signed, kept so the signature can be checked again later. */
  text: string;
  /** SHA-256 of `text`, hex: the digest the agency signed. */
  digest: string;
  signature: string;
}

/**
 * Verify and open an upload manifest: the agency's signature (under the manifest context, so a
 * single-body submission's signature never opens an upload), the sealed box, the schema, and that its
 * counts agree with each other and with the route's purpose.
 */
export async function openManifest(
  envelope: SubmissionEnvelope,
  agencyKey: Uint8Array | string,
  keys: BrokerKeyring,
  purpose: string,
): Promise<OpenedManifest> {
  let opened: Awaited<ReturnType<typeof openSubmission>>;
  try {
    opened = await openSubmission(envelope, agencyKey, keys, UPLOAD_MANIFEST_SIGNATURE_CONTEXT);
  } catch (err) {
    if (err instanceof EnvelopeError)
      throw new ProtocolError('invalid-encoding', `upload manifest refused: ${err.message}`);
    throw err;
  }
  const text = Buffer.from(opened.body).toString('utf8');
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch {
    throw new ProtocolError('invalid-body', 'the sealed manifest is not JSON');
  }
  if (!checkManifest.Check(manifest)) {
    const e = [...checkManifest.Errors(manifest)][0];
    throw new ProtocolError('invalid-body', `manifest${e?.instancePath ?? ''} ${e?.message ?? 'is invalid'}`);
  }
  if (manifest.purpose !== purpose)
    throw new ProtocolError('invalid-body', `the manifest is signed for purpose ${manifest.purpose}, not ${purpose}`);
  const sum = manifest.chunks.reduce((n, c) => n + c.records, 0);
  if (sum !== manifest.totalRecords || manifest.header.recordCount !== manifest.totalRecords) {
    throw new ProtocolError(
      'invalid-body',
      `manifest counts disagree: chunks hold ${sum} records, totalRecords is ${manifest.totalRecords}, ` +
        `header.recordCount ${manifest.header.recordCount}`,
    );
  }
  return { manifest, text, digest: opened.digest, signature: opened.signature };
}

/** The row number (in the whole upload) of chunk n's first record. */
export function firstRowOf(manifest: UploadManifest, n: number): number {
  let row = 0;
  for (let i = 0; i < n; i++) row += manifest.chunks[i]!.records;
  return row;
}
