/**
 * The files `encode` writes (encoded body, token map, optional rejects), held under temporary `.part`
 * names until the run succeeds and then renamed, so a failure leaves no partial output.
 */
import { createWriteStream, renameSync, rmSync, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { once } from 'node:events';
import { tokenMapPath } from '../io/row-tokens.js';

export interface EncodeOutputs {
  tmpOut: string;
  tmpTokens: string;
  tmpRejects: string | undefined;
  body: WriteStream;
  tokenMap: WriteStream;
  rejects: WriteStream | undefined;
  /** Rejects with the first error of any of the streams (opening the file included). */
  failed: Promise<never>;
}

export function openOutputs(out: string, rejectsFile: string | undefined): EncodeOutputs {
  const tmpOut = `${out}.part`;
  const tmpTokens = `${tokenMapPath(out)}.part`;
  const tmpRejects = rejectsFile ? `${rejectsFile}.part` : undefined;
  const body = createWriteStream(tmpOut, { mode: 0o600, highWaterMark: 1 << 20 });
  const tokenMap = createWriteStream(tmpTokens, { mode: 0o600, highWaterMark: 1 << 20 });
  const rejects = tmpRejects ? createWriteStream(tmpRejects, { mode: 0o600 }) : undefined;
  const failed = new Promise<never>((_, reject) => {
    for (const s of streamsOf({ body, tokenMap, rejects })) s.once('error', reject);
  });
  failed.catch(() => {});
  return { tmpOut, tmpTokens, tmpRejects, body, tokenMap, rejects, failed };
}

function streamsOf(o: Pick<EncodeOutputs, 'body' | 'tokenMap' | 'rejects'>): WriteStream[] {
  return [o.body, o.tokenMap, ...(o.rejects ? [o.rejects] : [])];
}

export async function write(stream: WriteStream, chunk: string | Uint8Array): Promise<void> {
  // A stream that failed to open (a missing --out folder) never drains: fail instead of waiting forever.
  if (stream.errored) throw stream.errored;
  if (chunk.length > 0 && !stream.write(chunk)) await once(stream, 'drain');
}

async function closeStream(stream: WriteStream): Promise<void> {
  stream.end();
  await once(stream, 'finish');
}

export async function closeOutputs(o: EncodeOutputs): Promise<void> {
  await closeStream(o.body);
  await closeStream(o.tokenMap);
  if (o.rejects) await closeStream(o.rejects);
}

/**
 * Once closed: writes the final header over the body's space-padded placeholder line (in place, so
 * the body is never copied) and gives every file its real name.
 */
export async function commitOutputs(
  o: EncodeOutputs,
  out: string,
  rejectsFile: string | undefined,
  headerText: string,
  placeholder: number,
): Promise<void> {
  const fh = await open(o.tmpOut, 'r+');
  try {
    await fh.write(headerText.padEnd(placeholder, ' '), 0, 'utf8');
  } finally {
    await fh.close();
  }
  renameSync(o.tmpOut, out);
  renameSync(o.tmpTokens, tokenMapPath(out));
  if (o.tmpRejects && rejectsFile) renameSync(o.tmpRejects, rejectsFile);
}

/** After a failure: stops writing and removes the temporary files. */
export function discardOutputs(o: EncodeOutputs): void {
  for (const s of streamsOf(o)) s.destroy();
  for (const f of [o.tmpOut, o.tmpTokens, o.tmpRejects]) if (f) rmSync(f, { force: true });
}
